#!/bin/sh
# systemd-analyze verify on the example units (examples/systemd).  The
# service's ExecStart is pointed at the binary under test, since verify checks
# that the command exists.  Exit 77 (skipped) without systemd-analyze.
# Usage: test_systemd.sh SLUICE_BINARY UNITS_DIR
set -eu
sluice=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")   # absolute: ExecStart needs one
units=$2
if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "systemd-analyze not installed: skipped"
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$units/sluice-batch.service" "$units/sluice-batch.timer" "$tmp/"
sed -i "s|/usr/local/bin/sluice|$sluice|" "$tmp/sluice-batch.service"
grep -q "^ExecStart=$sluice batch " "$tmp/sluice-batch.service"
# The options the unit passes must be ones sluice batch knows.
opts=$(sed -n 's/^ExecStart=[^ ]* batch //p' "$tmp/sluice-batch.service" | tr ' ' '\n' | grep '^--' | sed 's/=.*//')
help=$("$sluice" batch --help)
for o in $opts; do
  echo "$help" | grep -q -- "$o" || { echo "unknown option in ExecStart: $o"; exit 1; }
done
out=$(systemd-analyze verify "$tmp/sluice-batch.service" "$tmp/sluice-batch.timer" 2>&1) || {
  echo "$out"; exit 1; }
# verify exits 0 on some warnings: treat any line about our units as a failure.
if echo "$out" | grep -q "sluice-batch"; then
  echo "$out"; exit 1
fi
echo "ok"
