#!/usr/bin/env bash
# Installs what the browser tests need when it is missing: Debian's chromium
# (browser downloads fail here, so never Playwright's own), and the two fonts the
# reflow test forces on every page: Liberation Sans (fonts-liberation2: Arial's
# metrics, what Arial resolves to) and DejaVu Sans (fonts-dejavu-core: the widest
# common fallback). The npm packages (axe-core, vnu-jar, govuk-frontend) are
# installed by the Makefile. The going-live tests (tests/test_hosts_*.py) run the web servers Caddy and nginx
# and an SSH server (openssh-server) on 127.0.0.1, started and stopped by the tests themselves.
# On a computer with systemd, Debian also starts them as services (nginx on port 80, ssh on port 22) when it
# installs them; on a developer's own computer, stop that with: sudo systemctl disable --now nginx ssh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/apt-install.sh chromium fonts-liberation2 fonts-dejavu-core caddy nginx openssh-server
