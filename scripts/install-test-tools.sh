#!/usr/bin/env bash
# Installs what the browser tests need when it is missing: Debian's chromium
# (browser downloads fail here, so never Playwright's own). The npm packages
# (axe-core, vnu-jar, govuk-frontend) are installed by the Makefile.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
fi
