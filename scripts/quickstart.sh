#!/usr/bin/env bash
# Quick start: install what is missing, build, and run the default pipeline
# (clean, entities, numbers, translit) on the bundled sample documents.
# Output: annotated JSONL on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
[ -f build/build.ninja ] || meson setup build -Dbuildtype=release >&2
meson compile -C build >&2
build/sluice run data/samples/*.txt
