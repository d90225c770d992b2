#!/usr/bin/env bash
# Issue 14: `cytopipe init` reads only HEADER + TEXT. Simulates about 1,000 files of the Fig. 3
# design (opaque file names, the identity in TUBE NAME, $VOL; EVENTS per file, default 2000),
# warms the page cache, then times `cytopipe init` over them (best of REPEAT, default 3) and
# prints files/s, next to the files' total size.
#   bench/init_headers.sh [path/to/cytopipe]   (default: build/cytopipe)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/build/cytopipe}
[ -x "$bin" ] || { echo "no cytopipe at $bin" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# 31 replicates: 200 T-cell + 256 tumour + 496 co-culture tubes + 19 CAR kinetics = 971 ... plus
# the isotype tubes: 1,019 files.
"$bin" simulate "$root/sample_fcs/design.yaml" -o "$work/plate" --replicates 31 --events "${EVENTS:-2000}" \
  --file-names opaque --tube-names words --tube-volume 200 -q
files=$(ls "$work/plate"/*.fcs | wc -l)
bytes=$(du -sb "$work/plate" | cut -f1)
cat "$work/plate"/*.fcs >/dev/null
best=""
for _ in $(seq "${REPEAT:-3}"); do
  rm -rf "$work/out"
  start=$(date +%s.%N)
  "$bin" init "$work/plate" -o "$work/out" >/dev/null
  end=$(date +%s.%N)
  t=$(echo "$end - $start" | bc -l)
  if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
done
printf 'init: %d files (%d MB) in %.3f s = %.0f files/s (HEADER + TEXT only)\n' "$files" $((bytes / 1000000)) "$best" \
  "$(echo "$files / $best" | bc -l)"
