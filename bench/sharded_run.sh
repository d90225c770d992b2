#!/usr/bin/env bash
# Issue 18's measurement: a sharded run of the Fig. 3 pipeline over simulated files, each step in
# its own process under GNU time, as the nodes of a cluster would run it.
#  A. Per-shard work on files of EVENTS events (default 1,000,000; `cytopipe simulate`, or reuse
#     DATA): the unsharded run (reference), pass 1 as the array `cytopipe slurm` submits (one
#     task per control group, each timed), the SHARDS shards one after the other (THREADS threads
#     each; the CPU time their gating sheets took, from shard.json), the merge.
#  B. The merge at scale: MERGE_REPLICATES replicates of small files (default 31: 1,000 files of
#     MERGE_EVENTS events; or reuse MERGE_DATA), pass 1, MERGE_SHARDS shards and the merge of
#     1,000 per-sample summaries, its time and peak memory (the merge reads no events: summaries
#     and the shards' gating sheets, so its cost does not depend on the events per file).
# Both merges are checked against the unsharded run (every output but run.json). Then the wall
# time of TARGET_FILES x TARGET_EVENTS on NODES nodes is projected from the measured rates.
#   bench/sharded_run.sh [path/to/cytopipe]          (default: build/cytopipe)
# Environment: EVENTS (1000000), REPLICATES (1: 40 files), SHARDS (4), THREADS (2), DATA,
# MERGE_EVENTS (2000), MERGE_REPLICATES (31), MERGE_SHARDS (10), MERGE_DATA, TARGET_FILES (1000),
# TARGET_EVENTS (1000000), NODES (50). Needs GNU time (/usr/bin/time), python3 and ~55 bytes per
# simulated event in $TMPDIR (40 x 1M events: 2.1 GB).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cytopipe=$(realpath "${1:-$root/build/cytopipe}")
[ -x "$cytopipe" ] || { echo "no cytopipe at $cytopipe" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
replicates=${REPLICATES:-1} events=${EVENTS:-1000000} shards=${SHARDS:-4} threads=${THREADS:-2}
merge_replicates=${MERGE_REPLICATES:-31} merge_events=${MERGE_EVENTS:-2000} merge_shards=${MERGE_SHARDS:-10}
target_files=${TARGET_FILES:-1000} target_events=${TARGET_EVENTS:-1000000} nodes=${NODES:-50}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# simulate DIR EVENTS REPLICATES: the Fig. 3 experiments as `cytopipe simulate` writes them.
simulate() {
  echo "simulating: $3 replicates, $2 events per file ..."
  "$cytopipe" simulate "$root/sample_fcs/design.yaml" -o "$1" --events "$2" --replicates "$3" \
    --experiments tcell_viability tumour_bcma coculture -q
}
# config DATA OUT: the shipped config over a simulated folder.
config() {
  sed -e "s|\.\./sample_fcs/|$1/|g" -e "s|\.\./gating/|$root/gating/|g" "$root/pipelines/fig3_selinexor.yaml" >"$2"
}
# step NAME COMMAND...: runs it under GNU time; sets wall (s), cpu (user + system s) and rss (MB).
# On a shared machine wall time counts the other jobs too; CPU time does not.
step() {
  local name=$1; shift
  /usr/bin/time -f "%e %U %S %M" -o "$work/time.txt" "$@" >"$work/$name.log" 2>&1 || { cat "$work/$name.log"; exit 1; }
  read -r wall user sys rss_kb <"$work/time.txt"
  cpu=$(echo "$user + $sys" | bc -l)
  rss=$((rss_kb / 1024))
}
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }
events_of() { json "$1/run.json" "d['counts']['events']"; }
same_as_whole() {
  diff -r -x run.json -q "$1" "$2" >/dev/null && echo "  merged outputs = unsharded run's (run.json aside)" ||
    { echo "  MERGE DIFFERS from the unsharded run"; diff -r -x run.json -q "$1" "$2" | head; exit 1; }
}
row() { printf "%-30s %8.2f %8.2f %12s %14s %9s   %s\n" "$1" "$2" "$cpu" "${@:3}"; }
header() { printf "%-30s %8s %8s %12s %14s %9s\n" step "wall s" "CPU s" events "events/s" "peak MB"; }

# Pass 1 as cytopipe slurm splits it: one task per control group (at most the array size).
threshold_array() {  # CONFIG OUTDIR; sets parts, thr_max, thr_sum
  local p=$1 out=$2
  "$cytopipe" slurm "$p" --array 100000 --work "$out.slurm" -o "$out.merged" --dry-run >"$work/slurm.log"
  parts=$(sed -n 's/^thresholds: [0-9]* control groups in \([0-9]*\) array tasks.*/\1/p' "$work/slurm.log")
  thr_max=0 thr_sum=0 thr_max_cpu=0
  for k in $(seq 1 "$parts"); do
    step "thr$k" "$cytopipe" run "$p" --thresholds-only --control-group "$k/$parts" -q -j "$threads" -o "$out/group-$k"
    thr_sum=$(echo "$thr_sum + $wall" | bc -l)
    if (($(echo "$wall > $thr_max" | bc -l))); then thr_max=$wall thr_max_cpu=$cpu; fi
  done
  cpu=$thr_max_cpu  # the slowest task's
  return 0
}

# ---- A. per-shard work on large files
data=${DATA:-$work/data}
[ -n "${DATA:-}" ] || simulate "$data" "$events" "$replicates"
data=$(realpath "$data")
config "$data" "$work/p.yaml"
cat "$data"/*.fcs >/dev/null  # every step reads from the page cache
echo "== A. per-shard work: $(ls "$data"/*.fcs | wc -l) files in $data"
header
step whole "$cytopipe" run "$work/p.yaml" -q -j "$threads" -o "$work/whole"
total_events=$(events_of "$work/whole") files=$(json "$work/whole/run.json" "len(d['inputs'])")
row "unsharded run ($files files)" "$wall" "$total_events" "$(printf %.0f "$(echo "$total_events / $wall" | bc -l)")" "$rss" ""
threshold_array "$work/p.yaml" "$work/thr"
controls=0
for k in $(seq 1 "$parts"); do controls=$((controls + $(json "$work/thr/group-$k/run.json" "len(d['inputs'])"))); done
row "threshold array ($parts tasks)" "$thr_max" "" "" "$rss" "slowest task; all tasks $(printf %.2f "$thr_sum") s, $controls control reads"
shard_wall=0 shard_cpu=0 shard_events=0 sheet_cpu=0 folders=()
for i in $(seq 1 "$shards"); do
  step "shard$i" "$cytopipe" run "$work/p.yaml" --shard "$i/$shards" --thresholds "$work/thr" -q -j "$threads" -o "$work/shard-$i"
  e=$(events_of "$work/shard-$i")
  sheets=$(ls "$work/shard-$i/sheets" 2>/dev/null | wc -l)
  s_cpu=$(json "$work/shard-$i/shard.json" "d['gating_sheet_cpu_seconds']")
  row "shard $i/$shards" "$wall" "$e" "$(printf %.0f "$(echo "$e / $wall" | bc -l)")" "$rss" \
    "$sheets gating sheets laid out, $(du -sk "$work/shard-$i/sheets" | cut -f1) kB, $(printf %.2f "$s_cpu") CPU s"
  [ "$i" -eq 1 ] && shard1_wall=$wall
  shard_wall=$(echo "$shard_wall + $wall" | bc -l) shard_events=$((shard_events + e))
  shard_cpu=$(echo "$shard_cpu + $cpu" | bc -l) sheet_cpu=$(echo "$sheet_cpu + $s_cpu" | bc -l)
  folders+=("$work/shard-$i")
done
per_shard=$(echo "$shard_events / $shard_wall" | bc -l)
per_cpu=$(echo "$shard_events / $shard_cpu" | bc -l)
echo "  shards: $(printf %.0f "$per_cpu") events per CPU second; gating sheets $(printf %.1f "$(echo "100 * $sheet_cpu / $shard_cpu" | bc -l)") % of the shards' CPU"
step merge "$cytopipe" merge "${folders[@]}" -o "$work/merged"
row "merge" "$wall" "" "" "$rss" "$(printf %.1f "$(echo "100 * $wall / $shard_wall" | bc -l)") % of the shards' time"
same_as_whole "$work/whole" "$work/merged"

# ---- B. the merge of 1,000 per-sample summaries
mdata=${MERGE_DATA:-$work/mdata}
[ -n "${MERGE_DATA:-}" ] || simulate "$mdata" "$merge_events" "$merge_replicates"
mdata=$(realpath "$mdata")
config "$mdata" "$work/m.yaml"
echo "== B. the merge at scale: $(ls "$mdata"/*.fcs | wc -l) files in $mdata, $merge_shards shards"
header
step mwhole "$cytopipe" run "$work/m.yaml" -q -j "$threads" -o "$work/mwhole"
mfiles=$(json "$work/mwhole/run.json" "len(d['inputs'])")
row "unsharded run ($mfiles files)" "$wall" "$(events_of "$work/mwhole")" "" "$rss" ""
threshold_array "$work/m.yaml" "$work/mthr"
row "threshold array ($parts tasks)" "$thr_max" "" "" "$rss" "slowest task"
mfolders=()
for i in $(seq 1 "$merge_shards"); do
  step "mshard$i" "$cytopipe" run "$work/m.yaml" --shard "$i/$merge_shards" --thresholds "$work/mthr" -q -j "$threads" \
    -o "$work/mshard-$i"
  mfolders+=("$work/mshard-$i")
done
step mmerge "$cytopipe" merge "${mfolders[@]}" -o "$work/mmerged"
merge_wall=$wall merge_rss=$rss
read -r m_summaries m_outputs < <(json "$work/mmerged/run.json" \
  "'%.2f %.2f' % (d['timings_seconds']['resolve_inputs'] + d['timings_seconds']['readouts'], d['timings_seconds']['outputs'])")
row "merge of $mfiles summaries" "$merge_wall" "" "" "$merge_rss" "summaries + read-outs $m_summaries s, tables/plots/report $m_outputs s"
same_as_whole "$work/mwhole" "$work/mmerged"

# ---- Projection. Pass 1: its slowest task, its controls growing with the files and their
# events; shards: the events split over the nodes at the measured per-shard rate (gating sheets
# included); the merge: measured on mfiles summaries, growing with the number of files only.
python3 - "$per_shard" "$thr_max" "$files" "$total_events" "$merge_wall" "$mfiles" "$target_files" "$target_events" "$nodes" \
  "$per_cpu" "$threads" <<'PY'
import sys
per_shard, thr_max, files, events, merge_wall, mfiles, tf, te, nodes, per_cpu, threads = map(float, sys.argv[1:])
total = tf * te
thr = thr_max * (tf / files) * (te / (events / files))
shard = total / nodes / per_shard
merge = merge_wall * tf / mfiles
print(f"per-shard throughput: {per_shard:,.0f} events/s")
print(f"projection for {tf:.0f} files x {te:,.0f} events ({total:.3g} events) on {nodes:.0f} nodes like this machine:")
print(f"  threshold array {thr/60:.1f} min + shards {shard/60:.1f} min + merge {merge/60:.2f} min = {(thr+shard+merge)/60:.1f} min"
      f" (one node: {total/per_shard/3600:.1f} h); the merge is {100*merge/shard:.1f} % of a shard's time")
idle = per_cpu * threads
print(f"  at the shards' CPU rate ({per_cpu:,.0f} events per CPU s, {threads:.0f} cores per node with nothing else running):"
      f" shards {total/nodes/idle/60:.1f} min each")
PY
