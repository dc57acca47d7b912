#!/usr/bin/env bash
# Installs what the browser tests need when it is missing: Debian's chromium
# (browser downloads fail here, so never Playwright's own), and the two fonts the
# reflow test forces on every page: Liberation Sans (fonts-liberation2: Arial's
# metrics, what Arial resolves to) and DejaVu Sans (fonts-dejavu-core: the widest
# common fallback). The npm packages (axe-core, vnu-jar, govuk-frontend) are
# installed by the Makefile.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
for package in fonts-liberation2 fonts-dejavu-core; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
done

# Quiet: apt's output (debconf notes included) is shown only if it fails.
quietly() {
  local log
  if ! log=$("$@" 2>&1); then
    printf '%s\n' "$log" >&2
    echo "install-test-tools.sh: failed: $*" >&2
    return 1
  fi
}

if [ "${#missing[@]}" -gt 0 ]; then
  as_root=()
  [ "$(id -u)" = "0" ] || as_root=(sudo)
  quietly "${as_root[@]}" apt-get update -qq
  quietly "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
