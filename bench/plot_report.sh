#!/usr/bin/env bash
# Figures against gating (issue 16's speed bar), and the size of the Fig. 3 report.html:
#  1. the Fig. 3 run: `cytopipe run` records per phase in run.json; "samples" is reading and gating
#     the 104 files, "outputs" the tables, stats, plots and report.html (gating sheets included);
#     best of $runs runs, and the same run with plots and report off for the difference.
#  2. a gating sheet of a 1,000,000-event file: `cytopipe plot gates` on the Gating-ML reference
#     gates5.xml (polygon, range, rectangle gates) and nkr_1M.fcs (9399_1_3_NKR.fcs repeated to
#     1,000,000 events), against `cytopipe gate` (read + gate only) on the same file.
#   bench/plot_report.sh [path/to/cytopipe] [runs]
# Needs python3 (to lengthen the file) and bc.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
binary=${1:-$root/build/cytopipe}
runs=${2:-3}
ref=$root/../shared/gatingml_ref/gatingMLData
[ -x "$binary" ] || { echo "no cytopipe binary at $binary (build it first)" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Rewritten as FCS 3.1 by our own writer, then lengthened to 1,000,000 events (its DATA repeated).
"$binary" export "$ref/FCSFiles/9399_1_3_NKR.fcs" -o "$work/nkr.fcs"
python3 "$root/bench/lengthen_fcs.py" "$work/nkr.fcs" "$work/nkr_1M.fcs" 1000000
xml=$ref/Gating-MLFiles/gates5.xml

best() {  # best wall seconds of $runs runs of the command
  local b=
  for _ in $(seq "$runs"); do
    local s e
    s=$(date +%s.%N); "$@" > /dev/null 2>&1; e=$(date +%s.%N)
    b=$(awk -v b="$b" -v t="$(echo "$e - $s" | bc)" 'BEGIN { print (b == "" || t < b) ? t : b }')
  done
  echo "$b"
}

# 1. Fig. 3: best "samples" and "outputs" seconds of run.json over $runs runs.
phase() {  # phase NAME CONFIG
  local b=
  for _ in $(seq "$runs"); do
    "$binary" run -q --no-hash "$2" -o "$work/fig3" > /dev/null 2>&1
    local t
    t=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['timings_seconds'][sys.argv[2]])" "$work/fig3/run.json" "$1" 2>/dev/null ||
        python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(d['timings'][sys.argv[2]])" "$work/fig3/run.json" "$1")
    b=$(awk -v b="$b" -v t="$t" 'BEGIN { print (b == "" || t < b) ? t : b }')
  done
  echo "$b"
}
config=$root/pipelines/fig3_selinexor.yaml
sed 's/^  plots: true/  plots: false/; s/^  report: true/  report: false/' "$config" > "$root/pipelines/.bench_noplots.yaml"
trap 'rm -rf "$work" "$root/pipelines/.bench_noplots.yaml"' EXIT
samples=$(phase samples "$config"); with=$(phase outputs "$config"); size=$(stat -c %s "$work/fig3/report.html")
without=$(phase outputs "$root/pipelines/.bench_noplots.yaml")
printf 'Fig. 3 run (best of %s): gating the files (samples) %.3f s; outputs with plots + report %.3f s; outputs without %.3f s\n' \
  "$runs" "$samples" "$with" "$without"
printf 'plots + report (the difference) %.3f s vs gating %.3f s; report.html %s bytes\n' \
  "$(echo "$with - $without" | bc)" "$samples" "$size"

# 2. The 1M-event gating sheet.
printf '1M events, gates5.xml: gate (read + gate) %.3f s; plot gates -> SVG %.3f s; -> PNG 300 dpi %.3f s (best of %s)\n' \
  "$(best "$binary" gate --strategy "$xml" "$work/nkr_1M.fcs")" \
  "$(best "$binary" plot gates --strategy "$xml" "$work/nkr_1M.fcs" -o "$work/sheet.svg")" \
  "$(best "$binary" plot gates --strategy "$xml" "$work/nkr_1M.fcs" -o "$work/sheet.png")" "$runs"
