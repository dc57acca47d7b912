#!/usr/bin/env bash
# Installs what the browser and HTML tests need when it is missing:
# Debian's chromium (browser downloads fail here, so never Playwright's own),
# and the npm packages in package.json (axe-core, vnu-jar, govuk-frontend).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
fi
if [ -f package.json ] && [ ! -d node_modules ] ; then
  npm ci --no-audit --no-fund --silent
fi
