#!/usr/bin/env bash
# Time of `cytopipe gate --stats` (every default statistic on all channels) against the
# counts-only run, on the Gating-ML reference gates5.xml and nkr_1M.fcs: the reference
# 9399_1_3_NKR.fcs (124,600 events x 8 float32 channels) repeated to 1,000,000 events.
#   bench/gate_stats.sh [path/to/cytopipe] [another cytopipe to compare, e.g. main's] [runs]
# Needs python3 (to lengthen the file) and GNU time.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
binary=${1:-$root/build/cytopipe}
other=${2:-}
runs=${3:-5}
ref=$root/../shared/gatingml_ref/gatingMLData
[ -x "$binary" ] || { echo "no cytopipe binary at $binary (build it first)" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Rewritten as FCS 3.1 by our own writer, then lengthened to 1,000,000 events (its DATA repeated).
"$binary" export "$ref/FCSFiles/9399_1_3_NKR.fcs" -o "$work/nkr.fcs"
python3 "$root/bench/lengthen_fcs.py" "$work/nkr.fcs" "$work/nkr_1M.fcs" 1000000
xml=$ref/Gating-MLFiles/gates5.xml
"$binary" info "$work/nkr_1M.fcs" | sed -n 3,5p

best() {  # best wall seconds of $runs runs of the command
  local b=
  for _ in $(seq "$runs"); do
    local s e
    s=$(date +%s.%N); "$@" > /dev/null; e=$(date +%s.%N)
    b=$(awk -v b="$b" -v t="$(echo "$e - $s" | bc)" 'BEGIN { print (b == "" || t < b) ? t : b }')
  done
  echo "$b"
}
row() {
  local label=$1 bin=$2
  local counts stats
  counts=$(best "$bin" gate --strategy "$xml" "$work/nkr_1M.fcs")
  stats=$(best "$bin" gate --strategy "$xml" "$work/nkr_1M.fcs" --stats "$work/out_$label.csv")
  printf '%-8s counts-only %6.3f s   --stats %6.3f s   ratio %5.2f   (%s rows)\n' "$label" "$counts" "$stats" \
    "$(echo "$stats / $counts" | bc -l)" "$(($(wc -l < "$work/out_$label.csv") - 1))"
}
cp "$work/nkr_1M.fcs" "$work/copy.fcs"
printf 'cp of the file %.3f s (best of %s)\n' "$(best cp "$work/nkr_1M.fcs" "$work/copy2.fcs")" "$runs"
row this "$binary"
if [ -n "$other" ]; then
  row other "$other"
  cmp "$work/out_this.csv" "$work/out_other.csv" && echo "stats tables identical"
fi
