#!/usr/bin/env bash
# Issue 15's measurement: the Fig. 3 run with the shipped strategy, whose gates are finders placed
# on every file (gating/fig3_selinexor.yaml), side by side with the same run on fixed gates (the
# strategy as it was before, bench/fixtures/fig3_fixed_gates.yaml) and with the finders' gates
# frozen (--frozen-gates from the finder run's gates_resolved.yaml). Each run RUNS times in its own
# process under GNU time; prints the best wall and CPU (user + sys) time of each and the ratios to
# the fixed-gate run (goal: finders <= 1.5x). CPU time is the steadier figure on a shared machine.
#   bench/fig3_finders.sh [path/to/cytopipe]          (default: build/cytopipe)
# Environment: EVENTS (30000 per file), REPLICATES (3: 104 files), RUNS (3), THREADS (2),
# DATA (an existing `cytopipe simulate` folder to reuse). Needs GNU time and ~55 bytes per event.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cytopipe=$(realpath "${1:-$root/build/cytopipe}")
[ -x "$cytopipe" ] || { echo "no cytopipe at $cytopipe" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
events=${EVENTS:-30000} replicates=${REPLICATES:-3} runs=${RUNS:-3} threads=${THREADS:-2}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
data=${DATA:-$work/data}
if [ -z "${DATA:-}" ]; then
  echo "simulating: replicates $replicates, $events events per file ..."
  "$cytopipe" simulate "$root/sample_fcs/design.yaml" -o "$data" --events "$events" --replicates "$replicates" \
    --experiments tcell_viability tumour_bcma coculture -q
fi
data=$(realpath "$data")
# The shipped config over the simulated folder, with the shipped or the fixed-gate strategy.
sed -e "s|\.\./sample_fcs/|$data/|g" -e "s|\.\./gating/|$root/gating/|g" "$root/pipelines/fig3_selinexor.yaml" >"$work/finders.yaml"
sed -e "s|strategy: \.\./gating/fig3_selinexor.yaml|strategy: $root/bench/fixtures/fig3_fixed_gates.yaml|" \
  -e "s|\.\./sample_fcs/|$data/|g" "$root/pipelines/fig3_selinexor.yaml" >"$work/fixed.yaml"
cat "$data"/*.fcs >/dev/null  # every run reads from the page cache
"$cytopipe" run "$work/finders.yaml" -q --no-hash -j "$threads" -o "$work/placed" >/dev/null

# measure NAME ARGS...: best wall and CPU seconds of RUNS runs.
declare -A wall cpu
measure() {
  local name=$1; shift
  local best_wall= best_cpu=
  for _ in $(seq 1 "$runs"); do
    /usr/bin/time -f "%e %U %S" -o "$work/time.txt" "$cytopipe" run "$@" -q --no-hash -j "$threads" -o "$work/out-$name" \
      >"$work/$name.log" 2>&1 || { cat "$work/$name.log"; exit 1; }
    read -r w u s <"$work/time.txt"
    local c; c=$(echo "$u + $s" | bc -l)
    if [ -z "$best_wall" ] || (($(echo "$w < $best_wall" | bc -l))); then best_wall=$w; fi
    if [ -z "$best_cpu" ] || (($(echo "$c < $best_cpu" | bc -l))); then best_cpu=$c; fi
  done
  wall[$name]=$best_wall cpu[$name]=$best_cpu
}
measure fixed "$work/fixed.yaml"
measure finders "$work/finders.yaml"
measure frozen "$work/finders.yaml" --frozen-gates "$work/placed/gates_resolved.yaml"

events_total=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['counts']['events'])" "$work/placed/run.json")
echo "Fig. 3 run: $(ls "$data"/*.fcs | wc -l) files in the folder, $events_total events selected; best of $runs, -j $threads"
printf "%-34s %8s %8s %10s %10s\n" run "wall s" "CPU s" "wall/fixed" "CPU/fixed"
for name in fixed finders frozen; do
  label=$name
  [ "$name" = fixed ] && label="fixed gates (fixture)"
  [ "$name" = finders ] && label="finders (shipped strategy)"
  [ "$name" = frozen ] && label="finders' gates frozen"
  printf "%-34s %8.2f %8.2f %10.2f %10.2f\n" "$label" "${wall[$name]}" "${cpu[$name]}" \
    "$(echo "${wall[$name]} / ${wall[fixed]}" | bc -l)" "$(echo "${cpu[$name]} / ${cpu[fixed]}" | bc -l)"
done
