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
# Rewritten as FCS 3.1 by our own writer, then its DATA repeated: $TOT and the offsets are
# rewritten in place (the writer pads them, so the TEXT keeps its length).
"$binary" export "$ref/FCSFiles/9399_1_3_NKR.fcs" -o "$work/nkr.fcs"
python3 - "$work/nkr.fcs" "$work/nkr_1M.fcs" 1000000 <<'PY'
import re, sys
src, dst, events = sys.argv[1], sys.argv[2], int(sys.argv[3])
b = open(src, 'rb').read()
ts, te, ds, de = (int(b[i:i + 8]) for i in (10, 18, 26, 34))
text = b[ts:te + 1].decode('latin-1')
d = text[0]
keys = dict(zip(text[1:].split(d)[0::2], text[1:].split(d)[1::2]))
per_event = (de - ds + 1) // int(keys['$TOT'])
data = b[ds:de + 1]
reps = -(-events // int(keys['$TOT']))
data = (data * reps)[:events * per_event]
def put(t, key, value):
    return re.sub(re.escape(d + key + d) + r'[^' + re.escape(d) + r']*', lambda m: d + key + d + value, t, count=1)
text = put(text, '$TOT', str(events))
for _ in range(3):  # offsets depend on the TEXT length, which depends on the offsets
    begin = 58 + len(text.encode('latin-1'))
    text = put(put(text, '$BEGINDATA', str(begin)), '$ENDDATA', str(begin + len(data) - 1))
t = text.encode('latin-1')
begin = 58 + len(t)
head = b'FCS3.1    ' + b''.join(f'{x:>8}'.encode() for x in (58, 58 + len(t) - 1, begin, begin + len(data) - 1, 0, 0))
open(dst, 'wb').write(head + t + data)
PY
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
