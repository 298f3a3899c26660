#!/bin/sh
# ABI guard of libsluice's public plugin API (issue 8.5).
#
#   scripts/abi-check.sh [BUILDDIR]            compare BUILDDIR's libsluice with abi/
#   scripts/abi-check.sh --update [BUILDDIR]   check, then record BUILDDIR's libsluice
#                                              as the new baseline
#   scripts/abi-check.sh --update --force [BUILDDIR]   record without checking
#                                              (e.g. a member taking a reserved slot,
#                                              which abidiff reports as a change)
#
# Only the public API counts: the functions declared in include/sluice/
# and the types they reach (libsluice also exports SLUICE_INTERNAL symbols
# for the sluice command and the tests; they are filtered out with a symbol
# list made from the preprocessed public headers, and abidw's
# --headers-dir/--drop-private-types drops the core's private types).
#
# The baseline is abi/libsluice.abi (abidw XML), abi/public-symbols.txt
# (the public functions when it was recorded) and abi/VERSION (the
# SLUICE_ABI_MAJOR/MINOR it was recorded with).  The check fails when
#   - abidiff reports an incompatible change (something removed or changed)
#     and SLUICE_ABI_MAJOR in include/sluice/version.h was not raised;
#   - abidiff reports a compatible change (something added) and neither
#     the major nor the minor was raised;
#   - the version went down.
# After a deliberate, correctly versioned change, run with --update.
# Needs abidw/abidiff (Debian: abigail-tools) and a build with debug info
# (the default buildtype, debugoptimized, has it).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
update=0
force=0
if [ "${1:-}" = "--update" ]; then update=1; shift; fi
if [ "${1:-}" = "--force" ]; then force=1; shift; fi
builddir=${1:-$here/build}
lib=$builddir/core/libsluice.so
abidir=$here/abi
headers=$here/include/sluice
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

die () { echo "abi-check: $*" >&2; exit 1; }

command -v abidw >/dev/null && command -v abidiff >/dev/null \
  || die "abidw/abidiff not found (apt-get install abigail-tools)"
[ -e "$lib" ] || die "$lib not found (build first: meson compile -C $builddir)"
lib=$(readlink -f "$lib")
readelf -S "$lib" | grep -q '\.debug_info' \
  || die "$lib has no debug info; use a debug or debugoptimized build"

num () { sed -n "s/^#define $1 \([0-9][0-9]*\).*/\1/p" "$headers/version.h"; }
major=$(num SLUICE_ABI_MAJOR)
minor=$(num SLUICE_ABI_MINOR)
[ -n "$major" ] && [ -n "$minor" ] || die "cannot read SLUICE_ABI_MAJOR/MINOR from $headers/version.h"

# The public functions: every sluice_* identifier followed by '(' in the
# preprocessed public headers (comments and macro bodies are gone by then).
public_symbols () {
  cc=${CC:-cc}
  # shellcheck disable=SC2046
  echo '#include <sluice/sluice.h>' \
    | $cc -E -P -I"$here/include" $(pkg-config --cflags glib-2.0 gmodule-2.0) -x c - \
    | grep -o '\bsluice_[a-z0-9_]* *(' | sed 's/ *($//' | sort -u
}
public_symbols > "$tmp/public.txt"
[ -s "$tmp/public.txt" ] || die "no public function found in $headers"

whitelist () {   # a kmi whitelist from symbol lists
  echo '[abi_whitelist]'
  sort -u "$@" | sed 's/^/  /'
}

dump () {   # dump LIB SYMBOLS OUT
  whitelist "$2" > "$tmp/dump.wl"
  abidw --headers-dir "$headers" --drop-private-types --no-show-locs \
        --no-corpus-path --kmi-whitelist "$tmp/dump.wl" "$1" > "$3"
}

record () {
  mkdir -p "$abidir"
  dump "$lib" "$tmp/public.txt" "$abidir/libsluice.abi"
  cp "$tmp/public.txt" "$abidir/public-symbols.txt"
  printf 'SLUICE_ABI_MAJOR=%s\nSLUICE_ABI_MINOR=%s\n' "$major" "$minor" > "$abidir/VERSION"
  echo "abi-check: baseline recorded for ABI $major.$minor ($(wc -l < "$tmp/public.txt") public functions)"
  exit 0
}
if [ "$update" = 1 ] && { [ "$force" = 1 ] || [ ! -f "$abidir/libsluice.abi" ]; }; then
  record
fi

[ -f "$abidir/libsluice.abi" ] && [ -f "$abidir/VERSION" ] && [ -f "$abidir/public-symbols.txt" ] \
  || die "no baseline in $abidir (record one with --update)"
base_major=$(sed -n 's/^SLUICE_ABI_MAJOR=//p' "$abidir/VERSION")
base_minor=$(sed -n 's/^SLUICE_ABI_MINOR=//p' "$abidir/VERSION")

# Both sides filtered by the union of the old and new public lists, so a
# function removed from the headers shows up as removed.
cat "$abidir/public-symbols.txt" "$tmp/public.txt" > "$tmp/all.txt"
dump "$lib" "$tmp/all.txt" "$tmp/current.abi"
whitelist "$tmp/all.txt" > "$tmp/all.wl"
set +e
abidiff --no-default-suppression --kmi-whitelist "$tmp/all.wl" \
        "$abidir/libsluice.abi" "$tmp/current.abi" > "$tmp/diff.txt" 2>&1
rc=$?
set -e
[ $((rc & 3)) -eq 0 ] || { cat "$tmp/diff.txt" >&2; die "abidiff failed (status $rc)"; }

raised_major=0; raised_minor=0
if [ "$major" -gt "$base_major" ]; then raised_major=1
elif [ "$major" -lt "$base_major" ]; then die "SLUICE_ABI_MAJOR went down ($base_major -> $major)"
elif [ "$minor" -gt "$base_minor" ]; then raised_minor=1
elif [ "$minor" -lt "$base_minor" ]; then die "SLUICE_ABI_MINOR went down ($base_minor -> $minor)"
fi

# What the change needs.  abidiff sets bit 8 only for a few changes it knows
# to be incompatible (removed symbols); a changed type (a struct member
# moved, resized or inserted, an enum value changed, a parameter type) only
# sets bit 4 and shows as a "Changed" function or variable.  Anything
# removed or changed needs a new major; only additions need a new minor.
count () {   # count WHAT KIND: N from "... N Removed, N Changed, N Added ..."
  sed -n "s/^$1 changes summary: \([0-9]*\) Removed[^,]*, \([0-9]*\) Changed[^,]*, \([0-9]*\) Added.*/\\$2/p" \
    "$tmp/diff.txt" | head -n 1
}
need=none
if [ $((rc & 12)) -ne 0 ]; then
  need=minor
  for what in Functions Variables; do
    for k in 1 2; do
      n=$(count "$what" "$k"); n=${n:-0}
      [ "$n" -eq 0 ] || need=major
    done
  done
  [ $((rc & 8)) -eq 0 ] || need=major
  # A change abidiff reports without a per-function summary (say, only in
  # ELF symbols) is treated as incompatible too.
  grep -q 'changes summary' "$tmp/diff.txt" || need=major
  cat "$tmp/diff.txt"
fi

case $need in
  major)
    [ "$raised_major" = 1 ] \
      || die "INCOMPATIBLE change of the public ABI (above: something removed or changed) without raising SLUICE_ABI_MAJOR (still $major.$minor); see docs/PLUGINS.md"
    ;;
  minor)
    [ "$raised_major" = 1 ] || [ "$raised_minor" = 1 ] \
      || die "the public ABI grew (above) without raising SLUICE_ABI_MINOR (still $major.$minor); see docs/PLUGINS.md"
    ;;
esac
if [ "$need" = none ] && [ "$raised_major" = 0 ] && [ "$raised_minor" = 0 ]; then
  echo "abi-check: public ABI $major.$minor unchanged ($(wc -l < "$tmp/public.txt") public functions)"
else
  echo "abi-check: ABI $base_major.$base_minor -> $major.$minor, change: $need; OK; record the new baseline with: scripts/abi-check.sh --update"
fi
[ "$update" = 0 ] || record
