#!/bin/sh
# Builds the libFuzzer binaries (clang, -fsanitize=fuzzer,address,undefined)
# in a separate build directory and runs one target.
#
#   tests/fuzz/run-fuzzer.sh TARGET [SECONDS] [-- LIBFUZZER-ARGS...]
#   tests/fuzz/run-fuzzer.sh --build-only
#
# TARGET: json, pipeline, rewriter, clean, entities, numbers, translit.
# Environment: BUILD (default build-fuzz-libfuzzer, under the project root),
# WORK (default $BUILD/fuzz-work): new corpus entries go to WORK/TARGET (the
# committed seeds in tests/fuzz/corpus/TARGET are read, never written), and
# crashes to WORK/artifacts/.  Minimise a crash and add it as a regression
# case with:
#   $BUILD/tests/fuzz/fuzz-TARGET -minimize_crash=1 -max_total_time=60 \
#       -exact_artifact_path=tests/fuzz/corpus/TARGET/crash-NAME CRASH-FILE
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${BUILD:-$root/build-fuzz-libfuzzer}
case $build in /*) ;; *) build=$root/$build ;; esac

if [ ! -f "$build/build.ninja" ]; then
  # fuzzer-no-link: coverage instrumentation everywhere (libsluice, plugins);
  # tests/fuzz/meson.build sees it and adds the -fsanitize=fuzzer binaries.
  CC=clang meson setup "$build" "$root" \
    -Dbuildtype=debugoptimized \
    -Db_sanitize=address,undefined -Db_lundef=false \
    -Dc_args='-fsanitize=fuzzer-no-link -fno-sanitize-recover=all -fno-omit-frame-pointer -gline-tables-only' \
    -Dc_link_args='-fno-sanitize-recover=all'
fi
meson compile -C "$build" fuzzers

[ "${1:-}" = "--build-only" ] && exit 0
target=${1:?usage: run-fuzzer.sh TARGET [SECONDS] [-- LIBFUZZER-ARGS...]}
shift
secs=180
if [ $# -gt 0 ] && [ "$1" != "--" ]; then secs=$1; shift; fi
[ "${1:-}" = "--" ] && shift

work=${WORK:-$build/fuzz-work}
mkdir -p "$work/$target" "$work/artifacts"
dict=
[ -f "$here/dict/$target.dict" ] && dict="-dict=$here/dict/$target.dict"

# Leak checking off: GLib keeps deliberate one-time allocations (interned
# strings, type system); the replay tests under ASan check leaks per input.
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1:symbolize=1} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
exec "$build/tests/fuzz/fuzz-$target" \
  -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -max_len=65536 \
  -print_final_stats=1 -artifact_prefix="$work/artifacts/$target-" \
  $dict "$@" "$work/$target" "$here/corpus/$target"
