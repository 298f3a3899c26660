#!/usr/bin/env bash
# Installs what sluice needs to build and test on Debian 12 (bookworm), if
# it is missing.  Uses sudo when not run as root.  Safe to run repeatedly.
set -euo pipefail

PKGS=(
  build-essential pkg-config meson ninja-build python3
  libglib2.0-dev libjson-glib-dev libconfig-dev libcmocka-dev
  libpcre2-dev libxml2-dev libsqlite3-dev
)
# Only for the full test suite (sanitizers need nothing extra with gcc).
if [ "${1:-}" = "--test" ]; then
  PKGS+=(valgrind abigail-tools)
fi

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
echo "install-deps: installing ${missing[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
