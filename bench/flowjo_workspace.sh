#!/usr/bin/env bash
# FlowJo workspace path against the Gating-ML path, on the same 30 gates (a polygon, a rectangle,
# 11 compensated ranges, 8 polygons on logicle-scaled compensated pairs, a quadrant, 8 booleans)
# over FlowSOM's 68983.fcs (19,225 events x 18 float channels) and a 1,000,000-event copy:
#   1. import: `gate --workspace` of a 100-sample x 30-gate workspace (written by `--write-wsp`),
#      gating one 19k-event file, against `gate --strategy` of the Gating-ML file on that file
#      (only the matched sample is read in full: the best case), then all 100 files (every
#      sample read; they share one set of gates, as FlowJo's group gating writes them, so one
#      is read in full and the others share its reading), and the same with every sample's
#      gates different (each read in full: the worst);
#   2. gating: both on four 1,000,000-event files (the same bytes under four names), then on 100
#      (the issue's case: each of the workspace's samples a 1,000,000-event file);
#   3. the round trip at 1,000,000 events: the strategy written by --write-wsp over one big file and
#      read back, per evaluation mode, how many population counts equal the written run's (all in
#      the default mode; the flowjo mode counts polygons on FlowJo's gate grid).
# Times: best wall (nanosecond clock) and best CPU (user + sys of the child, from wait4) of N runs,
# with the load average around them; given an OLD binary, its runs alternate with the new one's
# and its figures follow in parentheses (the same load for both).
#   bench/flowjo_workspace.sh [path/to/cytopipe] [runs] [path/to/old/cytopipe]
# Needs python3 (to write the strategy and lengthen the file).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
binary=${1:-$root/build/cytopipe}
runs=${2:-3}
old=${3:-}
src=$root/../shared/gatingml_ref/flowjo/FlowSOM_example/68983.fcs
[ -x "$binary" ] || { echo "no cytopipe binary at $binary (build it first)" >&2; exit 2; }
[ -z "$old" ] || [ -x "$old" ] || { echo "no old cytopipe binary at $old" >&2; exit 2; }
[ -f "$src" ] || { echo "missing $src" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/small" "$work/big"

# The strategy, as Gating-ML 2.0.
python3 - "$work/strategy.xml" <<'PY'
import sys
fl = ['FITC-A', 'Pacific Blue-A', 'AmCyan-A', 'Qdot 605-A', 'APC-A', 'Alexa Fluor 700-A', 'APC-Cy7-A', 'PE-A',
      'PE-Texas Red-A', 'PE-Cy5-A', 'PE-Cy7-A']
def dim(ch, comp='uncompensated', t=None, lo=None, hi=None):
    a = f' gating:compensation-ref="{comp}"'
    if t: a += f' gating:transformation-ref="{t}"'
    if lo is not None: a += f' gating:min="{lo}"'
    if hi is not None: a += f' gating:max="{hi}"'
    return f'<gating:dimension{a}><data-type:fcs-dimension data-type:name="{ch}"/></gating:dimension>'
def poly(gid, parent, d1, d2, vs):
    p = f' gating:parent_id="{parent}"' if parent else ''
    v = ''.join(f'<gating:vertex><gating:coordinate data-type:value="{x}"/><gating:coordinate data-type:value="{y}"/></gating:vertex>' for x, y in vs)
    return f'<gating:PolygonGate gating:id="{gid}"{p}>{d1}{d2}{v}</gating:PolygonGate>'
g = ['<transforms:transformation transforms:id="L"><transforms:logicle transforms:T="262144" transforms:W="0.5" transforms:M="4.5" transforms:A="0"/></transforms:transformation>']
g.append(poly('cells', None, dim('FSC-A'), dim('SSC-A'),
              [(121241, 27904), (101580, 13952), (72089, 8128), (58982, 12800), (53521, 22080), (56797, 41920),
               (67720, 59392), (95027, 74560), (122333, 75712), (139810, 67520), (146363, 53568), (137625, 36096)]))
g.append(f'<gating:RectangleGate gating:id="singlets" gating:parent_id="cells">{dim("FSC-H", lo=14199, hi=78643)}{dim("FSC-W", lo=17472, hi=201536)}</gating:RectangleGate>')
for c in fl:
    g.append(f'<gating:RectangleGate gating:id="{c}+" gating:parent_id="singlets">{dim(c, "FCS", lo=1000)}</gating:RectangleGate>')
for i in range(8):
    a, b = fl[i], fl[(i + 3) % len(fl)]
    g.append(poly(f'{a} x {b}', 'singlets', dim(a, 'FCS', 'L'), dim(b, 'FCS', 'L'),
                  [(0.3, 0.3), (0.8, 0.35), (0.85, 0.8), (0.4, 0.75)]))
g.append('<gating:QuadrantGate gating:id="quad" gating:parent_id="singlets">'
         '<gating:divider gating:id="d1" gating:compensation-ref="FCS"><data-type:fcs-dimension data-type:name="PE-A"/><gating:value>1000</gating:value></gating:divider>'
         '<gating:divider gating:id="d2" gating:compensation-ref="FCS"><data-type:fcs-dimension data-type:name="PE-Cy7-A"/><gating:value>1000</gating:value></gating:divider>'
         + ''.join(f'<gating:Quadrant gating:id="{n}"><gating:position gating:divider_ref="d1" gating:location="{x}"/><gating:position gating:divider_ref="d2" gating:location="{y}"/></gating:Quadrant>'
                   for n, x, y in [('Q++', 5000, 5000), ('Q+-', 5000, 0), ('Q-+', 0, 5000), ('Q--', 0, 0)])
         + '</gating:QuadrantGate>')
for i in range(8):
    g.append(f'<gating:BooleanGate gating:id="both {i}" gating:parent_id="singlets"><gating:and>'
             f'<gating:gateReference gating:ref="{fl[i]}+"/><gating:gateReference gating:ref="{fl[i + 1]}+"/></gating:and></gating:BooleanGate>')
open(sys.argv[1], 'w').write(
    '<?xml version="1.0" encoding="UTF-8"?>\n<gating:Gating-ML xmlns:gating="http://www.isac-net.org/std/Gating-ML/v2.0/gating" '
    'xmlns:transforms="http://www.isac-net.org/std/Gating-ML/v2.0/transformations" '
    'xmlns:data-type="http://www.isac-net.org/std/Gating-ML/v2.0/datatypes">\n' + '\n'.join(g) + '\n</gating:Gating-ML>\n')
PY

# 100 small samples and four 1M-event ones (the DATA repeated; $TOT and offsets rewritten).
for i in $(seq -w 1 100); do ln -s "$src" "$work/small/s$i.fcs"; done
python3 "$root/bench/lengthen_fcs.py" "$src" "$work/big/s001.fcs" 1000000
for i in 002 003 004; do ln -s "$work/big/s001.fcs" "$work/big/s$i.fcs"; done

"$binary" gate --strategy "$work/strategy.xml" --values flowcore "$work"/small/s*.fcs --write-wsp "$work/w100.wsp" > /dev/null
echo "workspace: 100 samples x $(grep -c '<Population \|<AndNode ' "$work/w100.wsp" | awk '{print $1 / 100}') populations (30 gates; the quadrant is 4), $(du -h "$work/w100.wsp" | cut -f1)"
# The same workspace with every sample's gates different (the first polygon vertex moved by a
# thousandth per sample), so that no sample shares another's reading: a workspace gated sample by
# sample rather than by group.
python3 - "$work/w100.wsp" "$work/w100d.wsp" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
head, *samples = text.split('<Sample>')
def moved(i, s):
    return re.sub(r'data-type:value="([^"]+)"', lambda m: f'data-type:value="{float(m.group(1)) + i / 1000}"', s, count=1)
open(sys.argv[2], 'w').write(head + ''.join('<Sample>' + moved(i, s) for i, s in enumerate(samples)))
PY

best() {  # best wall and best CPU of $runs runs of the command (and of the old binary's, alternating)
  local cmds=("$@")
  [ -z "$old" ] || cmds+=(--- "$old" "${@:2}")
  python3 "$root/bench/best_time.py" "$runs" "$work/stderr" "${cmds[@]}" |
    awk -v old="$old" 'NR == 1 { printf "%.4f s wall, %.4f s CPU", $1, $2 } NR == 2 { printf "   (old: %.4f s wall, %.4f s CPU)", $1, $2 }'
}
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores); best of $runs runs"
echo "import (100-sample workspace) + gate one 19k-event file: $(best "$binary" gate --workspace "$work/w100.wsp" "$work/small/s001.fcs")"
echo "Gating-ML strategy          + gate one 19k-event file: $(best "$binary" gate --strategy "$work/strategy.xml" --values flowcore "$work/small/s001.fcs")"
echo "import + gate 100 19k-event files (every sample): $(best "$binary" gate --workspace "$work/w100.wsp" "$work"/small/s*.fcs)"
echo "Gating-ML   + gate 100 19k-event files:            $(best "$binary" gate --strategy "$work/strategy.xml" --values flowcore "$work"/small/s*.fcs)"
echo "import + gate 100 files, every sample's gates different: $(best "$binary" gate --workspace "$work/w100d.wsp" "$work"/small/s*.fcs)"
echo "workspace: gate 4 x 1,000,000 events:  $(best "$binary" gate --workspace "$work/w100.wsp" "$work"/big/s00[1-4].fcs)"
echo "Gating-ML: gate 4 x 1,000,000 events:  $(best "$binary" gate --strategy "$work/strategy.xml" --values flowcore "$work"/big/s00[1-4].fcs)"
# The goal's case in full: every sample of the 100-sample workspace a 1,000,000-event file (the
# same bytes under 100 names; ~4 s a run here, so at most 3 runs each).
for i in $(seq -w 5 100); do ln -s "$work/big/s001.fcs" "$work/big/s$i.fcs"; done
echo "workspace: gate 100 x 1,000,000 events (every sample): $(runs=$((runs < 3 ? runs : 3)) best "$binary" gate --workspace "$work/w100.wsp" "$work"/big/s*.fcs)"
echo "Gating-ML: gate 100 x 1,000,000 events:                $(runs=$((runs < 3 ? runs : 3)) best "$binary" gate --strategy "$work/strategy.xml" --values flowcore "$work"/big/s*.fcs)"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

# 3. Round trip: "  /path  count  (...)" lines of the written run against the workspace's.
"$binary" gate --strategy "$work/strategy.xml" --values flowcore "$work/big/s001.fcs" --write-wsp "$work/big.wsp" > "$work/written.txt"
for mode in gating-ml flowjo; do
  "$binary" gate --workspace "$work/big.wsp" --evaluation $mode "$work/big/s001.fcs" > "$work/read.txt"
  python3 - "$work/written.txt" "$work/read.txt" $mode <<'PY'
import sys
def counts(f):
    return {l.split('  ')[1]: int(l.split('  ')[2]) for l in open(f) if l.startswith('  /')}
a, b = counts(sys.argv[1]), counts(sys.argv[2])
diff = [f'{p.rsplit("/", 1)[1]} {a[p]} -> {b.get(p)}' for p in a if a[p] != b.get(p)]
print(f'round trip at 1,000,000 events, --evaluation {sys.argv[3]}: {len(a) - len(diff)} of {len(a)} populations equal'
      + ('' if not diff else '; differ: ' + ', '.join(diff))
      + (' (by design: the polygons on FlowJo\'s 256-channel gate grid, as FlowJo counts them; '
         'tests/gating/test_flowjo_roundtrip.cpp checks this mode against a grid count)' if sys.argv[3] == 'flowjo' else ''))
PY
done
