#!/usr/bin/env bash
# Installs what building the site needs from Debian when it is missing: the
# libraries WeasyPrint lays the easy-read booklets out with (Pango, its FreeType
# backend and HarfBuzz's font subsetter) and the booklets' font, Liberation Sans
# (fonts-liberation2: Arial's measurements), which every booklet embeds by path.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/apt-install.sh libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 fonts-liberation2
