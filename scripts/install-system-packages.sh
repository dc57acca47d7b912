#!/usr/bin/env bash
# Installs what building the site needs from Debian when it is missing: the
# booklets' font, Liberation Sans (fonts-liberation2: Arial's measurements),
# which every booklet embeds from its own files (Typst is given those alone).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/apt-install.sh fonts-liberation2
