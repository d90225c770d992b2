#!/usr/bin/env bash
# Issue 18's measurement: a sharded run of the Fig. 3 pipeline over simulated files. Generates the
# batch with `cytopipe simulate` (or reuses DATA), then, each step in its own process under GNU
# time: the unsharded run (reference), the threshold pass, the SHARDS shards one after the other
# (each as one node would run it, with THREADS threads), and the merge. Prints per-shard
# throughput (events/s), the merge's time and peak memory, checks the merge equals the unsharded
# run, and projects the wall time of TARGET_FILES x TARGET_EVENTS on NODES nodes.
#   bench/sharded_run.sh [path/to/cytopipe]          (default: build/cytopipe)
# Environment: REPLICATES (3: 104 files), EVENTS (200000 per file), SHARDS (4), THREADS (2),
# DATA (an existing `cytopipe simulate` folder to reuse), TARGET_FILES (1000),
# TARGET_EVENTS (1000000), NODES (50). Needs GNU time (/usr/bin/time) and ~55 bytes per event in $TMPDIR.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cytopipe=$(realpath "${1:-$root/build/cytopipe}")
[ -x "$cytopipe" ] || { echo "no cytopipe at $cytopipe" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
replicates=${REPLICATES:-3} events=${EVENTS:-200000} shards=${SHARDS:-4} threads=${THREADS:-2}
target_files=${TARGET_FILES:-1000} target_events=${TARGET_EVENTS:-1000000} nodes=${NODES:-50}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
data=${DATA:-$work/data}
if [ -z "${DATA:-}" ]; then
  echo "simulating: replicates $replicates, $events events per file ..."
  "$cytopipe" simulate "$root/sample_fcs/design.yaml" -o "$data" --events "$events" --replicates "$replicates" \
    --experiments tcell_viability tumour_bcma coculture -q
fi
data=$(realpath "$data")
# The shipped config over the simulated folder.
sed -e "s|\.\./sample_fcs/|$data/|g" -e "s|\.\./gating/|$root/gating/|g" "$root/pipelines/fig3_selinexor.yaml" >"$work/p.yaml"
cat "$data"/*.fcs >/dev/null  # every step reads from the page cache

# step NAME COMMAND...: runs it under GNU time; sets wall (s) and rss (MB).
step() {
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time.txt" "$@" >"$work/$name.log" 2>&1 || { cat "$work/$name.log"; exit 1; }
  read -r wall rss_kb <"$work/time.txt"
  rss=$((rss_kb / 1024))
}
events_of() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['counts']['events'])" "$1/run.json"; }

step whole "$cytopipe" run "$work/p.yaml" -q -j "$threads" -o "$work/whole"
whole_wall=$wall whole_rss=$rss total_events=$(events_of "$work/whole")
files=$(ls "$data"/*.fcs | wc -l)
echo "batch: $files files, $total_events events (the config selects $(python3 -c "import json; print(len(json.load(open('$work/whole/run.json'))['inputs']))"))"
printf "%-22s %8s %12s %14s %9s\n" step "wall s" events "events/s" "peak MB"
printf "%-22s %8.2f %12d %14.0f %9d\n" "unsharded run" "$whole_wall" "$total_events" "$(echo "$total_events / $whole_wall" | bc -l)" "$whole_rss"

step thresholds "$cytopipe" run "$work/p.yaml" --thresholds-only -q -j "$threads" -o "$work/thr"
thr_wall=$wall
controls=$(python3 -c "import json; print(len(json.load(open('$work/thr/run.json'))['inputs']))")
printf "%-22s %8.2f %12s %14s %9d   (%d control files)\n" "threshold pass" "$wall" "" "" "$rss" "$controls"

shard_wall=0 shard_events=0 max_rss=0 folders=()
for i in $(seq 1 "$shards"); do
  step "shard$i" "$cytopipe" run "$work/p.yaml" --shard "$i/$shards" --thresholds "$work/thr" -q -j "$threads" -o "$work/shard-$i"
  e=$(events_of "$work/shard-$i")
  printf "%-22s %8.2f %12d %14.0f %9d\n" "shard $i/$shards" "$wall" "$e" "$(echo "$e / $wall" | bc -l)" "$rss"
  shard_wall=$(echo "$shard_wall + $wall" | bc -l) shard_events=$((shard_events + e))
  folders+=("$work/shard-$i")
done
per_shard=$(echo "$shard_events / $shard_wall" | bc -l)
step merge "$cytopipe" merge "${folders[@]}" -o "$work/merged"
merge_wall=$wall merge_rss=$rss
# Of the merge: reading the shards' summaries and the read-outs, then the outputs (statistics,
# figures and the report, whose gating sheets read a few representative files again).
read -r merge_summaries merge_outputs < <(python3 -c "
import json,sys; t=json.load(open(sys.argv[1]))['timings_seconds']
print(t['resolve_inputs'] + t['readouts'], t['outputs'])" "$work/merged/run.json")
printf "%-22s %8.2f %12s %14s %9d   (%.1f %% of the shards' time: summaries %.2f s, outputs %.2f s)\n" merge "$merge_wall" "" "" \
  "$merge_rss" "$(echo "100 * $merge_wall / $shard_wall" | bc -l)" "$merge_summaries" "$merge_outputs"
diff -r -x run.json -q "$work/whole" "$work/merged" >/dev/null && echo "merged tables = unsharded run's (run.json aside)" ||
  { echo "MERGE DIFFERS from the unsharded run"; exit 1; }

# Projection: the threshold pass reads the controls (their share of the files) on one node; the
# shards split the events over the nodes at the measured per-shard rate; the merge grows with
# the number of files for its summaries, and with the events per file for the report's sheets
# (a fixed number of representative files per group, read again).
python3 - "$per_shard" "$thr_wall" "$controls" "$files" "$merge_summaries" "$merge_outputs" "$target_files" \
  "$target_events" "$nodes" "$total_events" <<'PY'
import sys
per_shard, thr_wall, controls, files, summaries, outputs, tf, te, nodes, events = map(float, sys.argv[1:])
total = tf * te
thr = thr_wall * (total * controls / files) / events       # same share of control files, same rate
shard = total / nodes / per_shard
merge = summaries * tf / files + outputs * te / (events / files)
print(f"per-shard throughput: {per_shard:,.0f} events/s with this machine's threads")
print(f"projection for {tf:.0f} files x {te:,.0f} events on {nodes:.0f} nodes (each as fast as this machine):")
print(f"  threshold pass {thr/60:.1f} min + shards {shard/60:.1f} min + merge {merge/60:.1f} min = {(thr+shard+merge)/60:.1f} min"
      f" (one node: {total/per_shard/3600:.1f} h)")
PY
