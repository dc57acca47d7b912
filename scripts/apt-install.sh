#!/usr/bin/env bash
# Installs the Debian packages named, those that are missing only (with sudo when not root).
# apt's output (debconf notes included) is shown only if it fails.
set -euo pipefail

missing=()
for package in "$@"; do
  case "$package" in
    chromium) command -v chromium >/dev/null 2>&1 && continue ;;
  esac
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
done
[ "${#missing[@]}" -gt 0 ] || exit 0

quietly() {
  local log
  if ! log=$("$@" 2>&1); then
    printf '%s\n' "$log" >&2
    echo "apt-install.sh: failed: $*" >&2
    return 1
  fi
}

as_root=()
[ "$(id -u)" = "0" ] || as_root=(sudo)
echo "Installing Debian packages: ${missing[*]}"
quietly "${as_root[@]}" apt-get update -qq
quietly "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
