#!/usr/bin/env bash
# Are two cytopipe binaries' `gate --stats` outputs byte-identical? Both run on the same inputs and
# every table, stdout/stderr and exit code is compared: the Gating-ML reference pairs (gates1-5 x
# the three reference files), nkr_1M.fcs (the reference NKR file lengthened to 1M events) with
# gates1-5 and extra percentiles, simulated FACSDiva and FACSCalibur batches (with and without
# compensation, a channel subset) and every shared corpus file with a strategy made from its own
# values (quartiles of its first two channels; a NOT and an AND; a population under 1 %).
#   bench/gate_stats_identity.sh OLD_CYTOPIPE NEW_CYTOPIPE
# Needs python3. Run it again with CYTOPIPE_NO_AVX512=1 for the scalar paths.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
old=$1 new=$2
shared=$root/../shared
ref=$shared/gatingml_ref/gatingMLData
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$old" export "$ref/FCSFiles/9399_1_3_NKR.fcs" -o "$work/nkr.fcs" > /dev/null
python3 "$root/bench/lengthen_fcs.py" "$work/nkr.fcs" "$work/nkr_1M.fcs" 1000000
"$old" simulate "$root/sample_fcs/design.yaml" -o "$work/sim" --replicates 1 --events 200000 \
  --experiments tumour_bcma --threads 2 --quiet
"$old" simulate "$root/sample_fcs/design.yaml" -o "$work/simcal" --replicates 1 --events 50000 \
  --experiments tcell_viability --style facscalibur --threads 2 --quiet
mkdir "$work/corpus"
python3 - "$old" "$shared/fcs_corpus" "$work/corpus" <<'PY'
import csv, json, os, subprocess, sys
binary, corpus, out = sys.argv[1:4]
for f in sorted(os.listdir(corpus)):
    if not f.endswith('.fcs'):
        continue
    r = subprocess.run([binary, 'export', os.path.join(corpus, f)], capture_output=True, text=True)
    if r.returncode != 0:
        continue
    rows = list(csv.reader(r.stdout.splitlines()))
    if len(rows) < 3:
        continue
    head, data = rows[0], rows[1:]
    def column(i):
        v = []
        for row in data:
            try:
                x = float(row[i])
            except (ValueError, IndexError):
                continue
            if x == x:
                v.append(x)
        return sorted(v)
    second = 1 if len(head) > 1 else 0
    c0, c1 = column(0), column(second)
    if not c0 or not c1:
        continue
    q = lambda v, p: v[min(len(v) - 1, int(p * len(v)))]
    n0, n1 = json.dumps(head[0]), json.dumps(head[second])
    with open(os.path.join(out, f[:-4] + '.yaml'), 'w') as y:
        y.write(f"""gates:
  - {{id: all, type: range, dimension: {n0}, min: -1.0e300}}
  - {{id: upper, type: range, dimension: {n0}, min: {q(c0, 0.25)!r}}}
  - {{id: band, parent: upper, type: range, dimension: {n1}, max: {q(c1, 0.75)!r}}}
  - {{id: notband, type: boolean, op: not, operands: [band]}}
  - {{id: few, type: range, dimension: {n0}, max: {q(c0, 0.01)!r}}}
  - {{id: both, type: boolean, op: and, operands: [upper, few]}}
""")
PY
cat > "$work/sim.yaml" <<'YAML'
gates:
  - {id: cells, type: range, dimension: FSC-A, min: 25000}
  - {id: singlets, parent: cells, type: range, dimension: {ratio: {numerator: FSC-H, denominator: FSC-A}}, min: 0.68}
  - {id: live, parent: singlets, type: range, dimension: APC-Cy7-A, max: 3000}
  - {id: dead, type: boolean, op: not, operands: [live]}
  - id: blob
    parent: live
    type: polygon
    dimensions: [FSC-A, SSC-A]
    vertices: [[30000, 0], [200000, 0], [200000, 150000], [30000, 150000]]
  - {id: tiny, parent: live, type: range, dimension: SSC-A, max: 2000}
YAML

runs=0 same=0 tables=0
compare() {  # label, gate arguments...
  local label=$1; shift
  runs=$((runs + 1))
  "$old" gate "$@" --stats "$work/a.csv" > "$work/a.out" 2>&1; local ra=$?
  "$new" gate "$@" --stats "$work/b.csv" > "$work/b.out" 2>&1; local rb=$?
  if [ "$ra" != "$rb" ] || ! cmp -s "$work/a.out" "$work/b.out" || { [ "$ra" = 0 ] && ! cmp -s "$work/a.csv" "$work/b.csv"; }; then
    echo "DIFFERS: $label (exit $ra / $rb)"
  else
    same=$((same + 1))
    [ "$ra" = 0 ] && tables=$((tables + 1))
  fi
  rm -f "$work/a.csv" "$work/b.csv"
}
for x in "$ref"/Gating-MLFiles/gates*.xml; do
  for f in "$ref"/FCSFiles/*.fcs; do compare "$(basename "$x") $(basename "$f")" --strategy "$x" "$f"; done
  compare "$(basename "$x") nkr_1M" --strategy "$x" "$work/nkr_1M.fcs"
done
compare "gates5 nkr_1M, percentiles" --strategy "$ref/Gating-MLFiles/gates5.xml" "$work/nkr_1M.fcs" --percentiles 0,0.1,1,50,99,99.9,100
compare "gates2 nkr_1M, -j 1" --strategy "$ref/Gating-MLFiles/gates2.xml" "$work/nkr_1M.fcs" -j 1
compare "simulated batch" --strategy "$work/sim.yaml" "$work"/sim/*.fcs
compare "simulated batch, compensated" --strategy "$work/sim.yaml" "$work"/sim/*.fcs --compensation file
compare "simulated FACSCalibur batch" --strategy "$work/sim.yaml" "$work"/simcal/*.fcs
compare "simulated, channel subset" --strategy "$work/sim.yaml" "$work/sim/bcma_MM1S_0nM_r1.fcs" --channels FSC-A,PE-A,Time --percentiles 1,50,99
for y in "$work"/corpus/*.yaml; do
  b=$(basename "$y" .yaml)
  compare "corpus $b" --strategy "$y" "$shared/fcs_corpus/$b.fcs"
done
echo "$same of $runs gate --stats runs identical ($tables of them wrote a table)"
[ "$same" = "$runs" ]
