#!/usr/bin/env bash
# Throughput and peak memory of `cytopipe gate --stats` (every default statistic on all 13
# channels) over 20 copies of one simulated 1,000,000-event file (the strategy of
# bench/gate_memory.sh: scatter, singlets ratio, live, a polygon), against one copy: events per
# second of wall time, CPU time, peak RSS, and the load average around the run (the machine is
# shared; compare figures taken at similar load).
#   bench/gate_batch_stats.sh [path/to/cytopipe] [runs] [extra gate options, e.g. -j 2]
# Needs GNU time (/usr/bin/time).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
binary=${1:-$root/build/cytopipe}
runs=${2:-3}
shift 2 || shift $# || true
[ -x "$binary" ] || { echo "no cytopipe binary at $binary (build it first)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$binary" simulate "$root/sample_fcs/design.yaml" -o "$work/sim" --events 1000000 --replicates 1 \
  --experiments tumour_bcma --threads 1 --quiet
one="$work/sim/bcma_MM1S_0nM_r1.fcs"
mkdir "$work/files"
for i in $(seq -w 1 20); do cp "$one" "$work/files/tube_$i.fcs"; done
cat > "$work/strategy.yaml" <<'YAML'
gates:
  - {id: cells, type: range, dimension: FSC-A, min: 25000}
  - {id: singlets, parent: cells, type: range, dimension: {ratio: {numerator: FSC-H, denominator: FSC-A}}, min: 0.68}
  - {id: live, parent: singlets, type: range, dimension: APC-Cy7-A, max: 3000}
  - id: blob
    parent: live
    type: polygon
    dimensions: [FSC-A, SSC-A]
    vertices: [[30000, 0], [200000, 0], [200000, 150000], [30000, 150000]]
YAML

measure() {  # label, events, files...: best wall of $runs runs, with its CPU, RSS and load
  local label=$1 events=$2; shift 2
  local best=
  for _ in $(seq "$runs"); do
    local load
    load=$(cut -d' ' -f1 /proc/loadavg)
    /usr/bin/time -f '%e %U %S %M' "$binary" gate --strategy "$work/strategy.yaml" "$@" --stats "$work/stats.csv" \
      "${extra[@]}" 2> "$work/time.txt" > /dev/null || { cat "$work/time.txt" >&2; exit 1; }
    local line
    line="$(tail -1 "$work/time.txt") $load"
    if [ -z "$best" ] || awk -v a="$line" -v b="$best" 'BEGIN { split(a, x, " "); split(b, y, " "); exit !(x[1] < y[1]) }'; then
      best=$line
    fi
  done
  echo "$best" | awk -v l="$label" -v n="$events" '{
    printf "%-9s wall %6.2f s  CPU %6.2f s  %5.2f M events/s  peak RSS %6.1f MB  (load %s before)\n",
      l, $1, $2 + $3, n / $1 / 1e6, $4 / 1024, $5 }'
}
extra=("$@")
echo "cytopipe gate --stats, 1,000,000 events x 13 channels per file, 5 populations, $(nproc) cores; best of $runs"
measure "1 file" 1000000 "$work/files/tube_01.fcs"
measure "20 files" 20000000 "$work"/files/tube_*.fcs
echo "table rows: $(($(wc -l < "$work/stats.csv") - 1))"
