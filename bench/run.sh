#!/bin/sh
# Throughput and peak memory of `sluice run` on generated feed-like JSONL.
#
#   bench/run.sh [--sluice BIN] [--runs N] [--jobs N] [--sizes "10 100"] [--with-1g]
#                [--stages LIST | --pipeline FILE] [--cyrillic] [--dir DIR]
#
# Builds nothing.  Generates corpora of each size (MB = 10^6 bytes) with
# bench/gen_corpus.py into DIR (default: ${TMPDIR:-/tmp}/sluice-bench), reusing
# them when present, then runs
#   sluice run -j JOBS <-c PIPELINE | --stages LIST> --input-format jsonl CORPUS > /dev/null
# RUNS times per size under /usr/bin/time and prints the median throughput by
# wall-clock time and by CPU time (user + sys of all threads: what the run
# costs even when the machine is busy), and the largest peak RSS.
# Default: no stages (bench/none.cfg), -j 1, sizes 10 and 100 MB, 5 runs.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
sluice=build/sluice
runs=5
jobs=1
sizes="10 100"
stages=
pipeline=
cyrillic=
dir=${TMPDIR:-/tmp}/sluice-bench

usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

while [ $# -gt 0 ]; do
  case $1 in
    --sluice) sluice=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --jobs|-j) jobs=$2; shift 2 ;;
    --sizes) sizes=$2; shift 2 ;;
    --with-1g) sizes="$sizes 1000"; shift ;;
    --stages) stages=$2; shift 2 ;;
    --pipeline) pipeline=$2; shift 2 ;;
    --cyrillic) cyrillic=--cyrillic; shift ;;
    --dir) dir=$2; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "run.sh: unknown argument '$1'" >&2; usage 2 >&2 ;;
  esac
done

[ -x "$sluice" ] || { echo "run.sh: no sluice binary at '$sluice' (build it, or pass --sluice BIN)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "run.sh: /usr/bin/time is missing (apt-get install time)" >&2; exit 2; }
if [ -n "$stages" ] && [ -n "$pipeline" ]; then
  echo "run.sh: give --stages or --pipeline, not both" >&2; exit 2
fi
if [ -n "$stages" ]; then
  set -- --stages "$stages"
  what="stages: $stages"
else
  pipeline=${pipeline:-$here/none.cfg}
  set -- -c "$pipeline"
  what="pipeline: $pipeline"
fi

mkdir -p "$dir"
echo "sluice: $sluice   $what   -j $jobs   runs: $runs   corpus dir: $dir"
printf '%8s %10s %14s %14s %14s\n' "size MB" "docs" "wall MB/s" "CPU MB/s" "peak RSS MB"

for size in $sizes; do
  corpus="$dir/feed-${size}MB${cyrillic:+-cyrillic}.jsonl"
  if [ ! -s "$corpus" ]; then
    python3 "$here/gen_corpus.py" --size-mb "$size" $cyrillic -o "$corpus.tmp"
    mv "$corpus.tmp" "$corpus"
  fi
  bytes=$(wc -c < "$corpus")
  docs=$(wc -l < "$corpus")
  times="$dir/times.$$"
  : > "$times"
  i=0
  while [ "$i" -lt "$runs" ]; do
    if ! /usr/bin/time -a -o "$times" -f '%e %U %S %M' \
         "$sluice" run -q -j "$jobs" "$@" --input-format jsonl "$corpus" > /dev/null; then
      echo "run.sh: sluice failed on $corpus" >&2
      rm -f "$times"
      exit 1
    fi
    i=$((i + 1))
  done
  # median of wall and CPU throughput, max RSS
  awk -v bytes="$bytes" -v size="$size" -v docs="$docs" '
    { wall[NR] = bytes / 1e6 / ($1 > 0 ? $1 : 0.001)
      cpu[NR] = bytes / 1e6 / (($2 + $3) > 0 ? ($2 + $3) : 0.001)
      if ($4 > rss) rss = $4 }
    function median(a, n,   i, j, t) {
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
    END { printf "%8s %10d %14.1f %14.1f %14.1f\n", size, docs, median(wall, NR), median(cpu, NR), rss / 1024 }
  ' "$times"
  rm -f "$times"
done
