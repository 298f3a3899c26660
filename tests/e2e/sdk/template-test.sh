#!/bin/sh
# Installs sluice into a temporary prefix, checks the installed layout and
# pkg-config file, builds examples/plugin-template/ against the install with
# nothing but PKG_CONFIG_PATH, runs its tests, installs it, and runs a
# pipeline using it with the installed sluice and no environment variables.
#
# usage: template-test.sh SOURCE_ROOT WORK_DIR
# WORK_DIR keeps the build of the installed sluice between runs (only the
# first run compiles everything); the prefix is reinstalled from scratch.
set -eu
src=$1
work=$2
build=$work/sluice-build
prefix=$work/prefix
tbuild=$work/template-build
log=$work/log.txt
mkdir -p "$work"
: > "$log"
unset SLUICE_PLUGIN_PATH PKG_CONFIG_PATH LD_LIBRARY_PATH 2>/dev/null || true

fail () {
  echo "FAIL: $*" >&2
  echo "--- log ($log):" >&2
  tail -n 40 "$log" >&2
  exit 1
}
# Runs a command with an empty environment (only PATH).
clean_env () {
  env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$work" "$@"
}

# 1. Build and install sluice into $prefix (tests off: only what ships).
if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" "$src" --prefix "$prefix" -Dtests=false >>"$log" 2>&1 \
    || fail "meson setup of sluice"
fi
meson compile -C "$build" >>"$log" 2>&1 || fail "building sluice"
rm -rf "$prefix"
meson install -C "$build" --quiet >>"$log" 2>&1 || fail "meson install"

# 2. The installed layout.
[ -x "$prefix/bin/sluice" ] || fail "no bin/sluice"
for h in sluice.h version.h document.h stage.h harness.h; do
  [ -f "$prefix/include/sluice/$h" ] || fail "no include/sluice/$h"
done
pc=$(find "$prefix" -name sluice.pc | head -n 1)
[ -n "$pc" ] || fail "no sluice.pc"
PKG_CONFIG_PATH=$(dirname "$pc")
export PKG_CONFIG_PATH
plugindir=$(pkg-config --variable=plugindir sluice)
datadir=$(pkg-config --variable=datadir sluice)
libdir=$(pkg-config --variable=libdir sluice)
case "$plugindir" in "$prefix"/lib*/sluice/plugins) ;; *) fail "plugindir is '$plugindir'" ;; esac
[ "$datadir" = "$prefix/share/sluice" ] || fail "datadir is '$datadir'"
ls "$libdir"/libsluice.so* >/dev/null 2>&1 || fail "no libsluice in $libdir"
pkg-config --cflags sluice | grep -q -- "-I$prefix/include" || fail "cflags: $(pkg-config --cflags sluice)"
nstages=$(ls "$plugindir" | grep -c '^sluice-.*\.so$' || true)
[ "$nstages" -ge 1 ] || fail "no stage installed in $plugindir"

# 3. The installed sluice finds its stages and their data with no
#    environment variables at all.
clean_env "$prefix/bin/sluice" plugins > "$work/plugins.txt" 2>>"$log" || fail "sluice plugins"
listed=$(grep -c "$plugindir" "$work/plugins.txt" || true)
[ "$listed" -eq "$nstages" ] || fail "sluice plugins lists $listed of $nstages installed stages"
for so in "$plugindir"/sluice-*.so; do
  name=$(basename "$so" .so); name=${name#sluice-}
  clean_env "$prefix/bin/sluice" plugins --describe "$name" --json > "$work/describe.json" 2>>"$log" \
    || fail "sluice plugins --describe $name"
  if [ -d "$datadir/$name" ]; then
    grep -q "\"data_dir\" *: *\"$datadir/$name\"" "$work/describe.json" \
      || fail "$name: data_dir is not $datadir/$name: $(cat "$work/describe.json")"
  fi
done
# The default pipeline (every bundled stage) runs on a plain text.
printf 'A short plain text for the default pipeline.\n' > "$work/in.txt"
clean_env "$prefix/bin/sluice" run -j 1 "$work/in.txt" > "$work/default.jsonl" 2>>"$log" \
  || fail "default pipeline with the installed sluice (exit $?)"
grep -q '"id":"in"' "$work/default.jsonl" || fail "default pipeline output: $(cat "$work/default.jsonl")"

# 4. The example stage, built with nothing but PKG_CONFIG_PATH.
rm -rf "$tbuild"
meson setup "$tbuild" "$src/examples/plugin-template" >>"$log" 2>&1 || fail "meson setup of the template"
meson compile -C "$tbuild" >>"$log" 2>&1 || fail "building the template"
meson test -C "$tbuild" --print-errorlogs >>"$log" 2>&1 || fail "the template's own tests"
meson install -C "$tbuild" --quiet >>"$log" 2>&1 || fail "installing the template"
[ -f "$plugindir/sluice-keywords.so" ] || fail "template not installed in $plugindir"
[ -f "$datadir/keywords/words.txt" ] || fail "template data not installed"

# 5. A pipeline using it, run by the installed sluice, found by name.
printf 'alpha\nBeta\n' > "$work/words.txt"
cat > "$work/kw.cfg" <<CFG
pipeline = {
  stages = (
    { plugin = "keywords"; name = "kw"; words_file = "words.txt"; type = "TERM"; },
    { plugin = "keywords"; name = "defaults"; }
  );
};
CFG
printf '%s\n' '{"id":"d1","text":"Alpha and BETA, not alphabet; a pipeline stage."}' > "$work/kw.jsonl"
clean_env "$prefix/bin/sluice" run -j 2 -c "$work/kw.cfg" "$work/kw.jsonl" > "$work/kw.out" 2>>"$log" \
  || fail "pipeline with the example stage (exit $?)"
terms=$(grep -o '"type":"TERM"' "$work/kw.out" | wc -l)
[ "$terms" -eq 2 ] || fail "expected 2 TERM annotations: $(cat "$work/kw.out")"
grep -q '"text":"BETA","stage":"kw","attrs":{"keyword":"Beta"}' "$work/kw.out" \
  || fail "TERM annotation on BETA: $(cat "$work/kw.out")"
kws=$(grep -o '"type":"KEYWORD"' "$work/kw.out" | wc -l)
[ "$kws" -eq 2 ] || fail "expected 2 KEYWORD annotations from the installed default list: $(cat "$work/kw.out")"
clean_env "$prefix/bin/sluice" plugins --describe keywords --json > "$work/kw.json" 2>>"$log" \
  || fail "describe keywords"
for o in words_file case_sensitive type; do
  grep -q "\"$o\"" "$work/kw.json" || fail "--describe keywords lacks option $o"
done
echo "ok: installed into $prefix, $nstages bundled stage(s), example stage built, tested and run"
