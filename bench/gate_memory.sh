#!/usr/bin/env bash
# Peak memory and time of `cytopipe gate` over 20 copies of one simulated 1,000,000-event file
# (13 float32 channels, 104 MB decoded), against one copy: with at most --in-flight samples held,
# the peak must not grow with the number of files.
#   bench/gate_memory.sh [path/to/cytopipe] [extra gate options, e.g. --in-flight 2]
# Needs GNU time (/usr/bin/time, Debian package `time`).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
binary=${1:-$root/build/cytopipe}
shift || true
[ -x "$binary" ] || { echo "no cytopipe binary at $binary (build it first)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$binary" simulate "$root/sample_fcs/design.yaml" -o "$work/sim" --events 1000000 --replicates 1 \
  --experiments tumour_bcma --threads 1 --quiet
one="$work/sim/bcma_MM1S_0nM_r1.fcs"
mkdir "$work/files"
for i in $(seq -w 1 20); do cp "$one" "$work/files/tube_$i.fcs"; done

# Scatter, singlets (a ratio), live and a polygon: raw channel names, no panel needed.
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

measure() {
  local label=$1; shift
  /usr/bin/time -v "$binary" gate --strategy "$work/strategy.yaml" "$@" 2> "$work/time.txt" > /dev/null ||
    { cat "$work/time.txt" >&2; exit 1; }
  awk -F': ' -v l="$label" '
    /Maximum resident set size/ {kb = $2}
    /Elapsed \(wall clock\)/ {wall = $2}
    END { printf "%-34s peak RSS %7.1f MB   wall %s\n", l, kb / 1024, wall }' "$work/time.txt"
}
echo "cytopipe gate, 1,000,000 events x 13 channels per file ($(stat -c %s "$one") bytes), $(nproc) cores"
measure "1 file" "${@}" "$work/files/tube_01.fcs"
measure "20 files" "${@}" "$work"/files/tube_*.fcs
