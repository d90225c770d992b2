#!/usr/bin/env bash
# A sharded run of sample_fcs/ on a real, single-node Slurm cluster started here from the Debian
# packages (slurm-wlm, munge): `cytopipe slurm` submits the threshold pass (an array of 3 tasks,
# each placing its part of the control groups), a 3-task job array of shards and the dependent merge; the merged tables must equal an unsharded `cytopipe run` made here with the
# same binary (run.json aside). Then a shard's folder is removed (a failed array task) and
# `cytopipe slurm` is run again: only that task may be submitted, and the merge must again equal
# the unsharded run; then a threshold task's folder is removed: only that task is submitted again. The daemons this script starts (munged, slurmctld, slurmd) are stopped by
# their pids; nothing else is touched.
#
# Usage: cluster_test.sh CYTOPIPE_BINARY SOURCE_DIR
# Exit: 0 passed, 1 failed, 77 skipped (Slurm cannot start here and CI is not set: with CI set,
# not being able to start Slurm is a failure).
set -uo pipefail
cytopipe=$(realpath "$1")
source_dir=$(realpath "$2")
config="$source_dir/pipelines/fig3_selinexor.yaml"
timeout_s=${CYTOPIPE_SLURM_TIMEOUT:-100}

tmp=$(mktemp -d /tmp/cytopipe-slurm-test.XXXXXX)
chmod 755 "$tmp"
pids=()  # daemons started here, stopped at exit
munged_pidfile="$tmp/munge/munged.pid"

stop_daemons() {
  local pid
  if [[ -s "$munged_pidfile" ]]; then pids+=("$(cat "$munged_pidfile")"); fi
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
  done
}
cleanup() {
  stop_daemons
  if [[ -n "${KEEP_SLURM_TEST:-}" ]]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

# Slurm cannot start here: a failure on CI, a skip (with the reason) elsewhere.
cannot_start() {
  echo "cannot start a Slurm cluster here: $*"
  for log in "$tmp"/logs/*.log "$tmp"/munge/munged.log; do
    [[ -s "$log" ]] && { echo "--- $log"; tail -15 "$log"; }
  done
  if [[ -n "${CI:-}" ]]; then echo "FAILED (CI is set)"; exit 1; fi
  echo "SKIPPED"
  exit 77
}
fail() { echo "FAILED: $*"; exit 1; }

[[ $(id -u) -eq 0 ]] || cannot_start "slurmctld and slurmd must run as root (this is uid $(id -u))"
for tool in munged slurmctld slurmd sbatch squeue sinfo; do
  command -v "$tool" >/dev/null || cannot_start "$tool not found (install slurm-wlm and munge: scripts/install-deps.sh)"
done
[[ -f "$config" ]] || fail "no $config"

# --- munge: its key (created if missing), /run/munge, a private socket in the temporary folder
mkdir -p "$tmp/munge" "$tmp/state" "$tmp/spool" "$tmp/logs"
if [[ ! -s /etc/munge/munge.key ]]; then
  mkdir -p /etc/munge
  dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none || cannot_start "cannot create /etc/munge/munge.key"
  chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
  echo "created /etc/munge/munge.key"
fi
mkdir -p /run/munge && chown munge:munge /run/munge
chown munge:munge "$tmp/munge" && chmod 711 "$tmp/munge"
socket="$tmp/munge/munge.socket.2"
runuser -u munge -- munged --socket="$socket" --pid-file="$munged_pidfile" --seed-file="$tmp/munge/seed" \
  --log-file="$tmp/munge/munged.log" || cannot_start "munged did not start"
for _ in $(seq 1 50); do [[ -S "$socket" ]] && break; sleep 0.1; done
munge -n --socket="$socket" | unmunge --socket="$socket" >/dev/null || cannot_start "munge does not answer on $socket"

# --- slurm.conf for one node: this host with the CPUs and memory slurmd finds
node=$(hostname -s)
hardware=$(slurmd -C 2>/dev/null | head -1)
cpus=$(sed -n 's/.*CPUs=\([0-9]*\).*/\1/p' <<<"$hardware")
memory=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$hardware")
[[ -n "$cpus" && -n "$memory" ]] || cannot_start "slurmd -C did not describe this node: $hardware"
port=$((20000 + RANDOM % 20000))
conf="$tmp/slurm.conf"
cat >"$conf" <<CONF
ClusterName=cytopipetest
SlurmctldHost=$node
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/munge
AuthInfo=socket=$socket
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/logs/slurmctld.log
SlurmdLogFile=$tmp/logs/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
NodeName=$node CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=cytopipe Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$conf"
slurmctld -D -c -f "$conf" >"$tmp/logs/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -N "$node" -f "$conf" >"$tmp/logs/slurmd.out" 2>&1 &
pids+=($!)
state=""
for _ in $(seq 1 60); do
  state=$(sinfo -h -N -o %t 2>/dev/null | head -1)
  [[ "$state" == idle* ]] && break
  sleep 0.5
done
[[ "$state" == idle* ]] || cannot_start "node $node is not idle after 30 s (state '$state')"
echo "slurm cluster up: node $node, $cpus CPUs, ${memory} MB, ports $port/$((port + 1))"

# --- the unsharded run, then the same config through Slurm
"$cytopipe" run "$config" -q -o "$tmp/whole" >"$tmp/whole.log" || fail "unsharded run: $(tail -3 "$tmp/whole.log")"

# Waits until none of the printed jobs is queued or running (bounded).
wait_for_jobs() {
  local ids=$1 start=$SECONDS
  while squeue -h -j "$ids" 2>/dev/null | grep -q .; do
    ((SECONDS - start < timeout_s)) || { squeue; scancel ${ids//,/ }; fail "jobs $ids not done after ${timeout_s} s"; }
    sleep 1
  done
}
submit() {
  "$cytopipe" slurm "$config" --array 3 --time 00:05:00 --work "$tmp/work" -o "$tmp/merged" >"$tmp/submit.log" 2>&1 ||
    fail "cytopipe slurm: $(cat "$tmp/submit.log")"
  cat "$tmp/submit.log"
  job_ids=$(sed -n 's/.*: job \([0-9]*\)$/\1/p' "$tmp/submit.log" | paste -sd, -)
  [[ -n "$job_ids" ]] || fail "no job ids printed"
  wait_for_jobs "$job_ids"
}
compare() {
  [[ -f "$tmp/merged/run.json" ]] || { tail -20 "$tmp"/work/logs/*; fail "no merged outputs ($1)"; }
  diff -r -x run.json "$tmp/whole" "$tmp/merged" >"$tmp/diff.txt" || { head -20 "$tmp/diff.txt"; fail "merge differs from the unsharded run ($1)"; }
  echo "merged tables equal the unsharded run's ($1)"
}

submit
[[ $(grep -c ': job [0-9]*$' "$tmp/submit.log") -eq 3 ]] || fail "expected 3 jobs (thresholds array, shards array, merge)"
grep -q 'thresholds (array 1-3): job' "$tmp/submit.log" || fail "the threshold pass was not an array of 3 tasks"
grep -q 'shards (array 1-3): job' "$tmp/submit.log" || fail "the array of 3 shards was not submitted"
for k in 1 2 3; do
  [[ -f "$tmp/work/thresholds/group-$k/thresholds.json" ]] || fail "threshold task $k left no thresholds.json"
done
compare "first submission"

# A failed array task: its shard folder gone. Only that task and the merge are submitted again.
missing=2
rm -rf "$tmp/work/shard-$missing" "$tmp/merged"
submit
grep -q 'done, controls unchanged (not submitted)' "$tmp/submit.log" || fail "the threshold pass was submitted again"
grep -q "shards (array $missing): job" "$tmp/submit.log" || fail "not exactly shard $missing submitted again"
compare "after rerunning shard $missing"

# A failed threshold task: only that part is placed again; the shards are submitted after it and
# each finds the same thresholds (skips itself), and the merge still equals the unsharded run.
rm -rf "$tmp/work/thresholds/group-$missing" "$tmp/merged"
submit
grep -q "thresholds (array $missing): job" "$tmp/submit.log" || fail "not exactly threshold task $missing submitted again"
grep -q "shards (array 1-3): job" "$tmp/submit.log" || fail "the shards were not submitted after the threshold task"
for i in 1 2 3; do
  grep -q "complete, inputs and thresholds unchanged" "$tmp"/work/logs/shard-$i-*.out ||
    fail "shard $i was redone although its thresholds did not change"
done
compare "after rerunning threshold task $missing"
echo "PASSED"
