#!/usr/bin/env bash
# Issue 6's batch measurement: 100 distinct files x 1,000,000 events through the Fig. 3 gating,
# on 1 and 2 threads (files in flight = threads), without input SHA-256, with it on a first run and
# on a rerun over unchanged files (hashes carried over from the previous run.json), against reading
# the same files alone. Each case runs in its own process under GNU time, so "peak RSS" is that
# case's own peak. Prints one line per case and the pipeline / read-only ratios.
#   bench/pipeline_batch.sh [path/to/bench_pipeline_batch]   (default: build/bench_pipeline_batch)
# Environment: FILES (100), EVENTS (1000000), REPEAT (2: each case runs this many times, the
# fastest is kept). Needs GNU time (/usr/bin/time, Debian package `time`) and ~5.5 GB in $TMPDIR.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
binary=${1:-$root/build/bench_pipeline_batch}
[ -x "$binary" ] || { echo "no benchmark binary at $binary (build target bench_pipeline_batch)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CYTOPIPE_BENCH_DIR=$work/batch CYTOPIPE_BENCH_COPIES=1
export CYTOPIPE_BENCH_FILES=${FILES:-100} CYTOPIPE_BENCH_EVENTS=${EVENTS:-1000000}
repeat=${REPEAT:-2}

# Build the batch once (the first case writes it; later ones reuse it), then warm the page cache
# so every case reads the same cached files.
"$binary" --benchmark_filter='^BM_ReadOnly/1/' >/dev/null
cat "$work"/batch/data/*.fcs >/dev/null

for case in BM_ReadOnly/1 BM_ReadOnly/2 BM_Pipeline/1/0 BM_Pipeline/2/0 BM_Pipeline/1/1 BM_Pipeline/2/1 BM_Pipeline/1/2 BM_Pipeline/2/2; do
  best=0
  for _ in $(seq "$repeat"); do
    /usr/bin/time -v "$binary" --benchmark_filter="^${case}/" --benchmark_format=json >"$work/out.json" 2>"$work/time.txt" \
      < /dev/null || true
    line=$(python3 - "$work/out.json" "$work/time.txt" <<'PY'
import json, re, sys
b = json.load(open(sys.argv[1]))["benchmarks"][0]
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(sys.argv[2]).read()).group(1))
print(f'{b["events_per_s"]:.0f} {b["files_per_s"]:.3f} {b["events_per_cpu_s"]:.0f} {b["cpu_s"]:.1f} {b["real_time"]:.1f} {rss/1024:.0f}')
PY
) || { echo "$case failed:"; cat "$work/time.txt"; exit 1; }
    read -r ev fs evc cpu wall rss <<<"$line"
    if [ "${ev%.*}" -gt "$best" ]; then best=${ev%.*}; kept="$line"; fi
  done
  read -r ev fs evc cpu wall rss <<<"$kept"
  printf '%-18s %10.0f events/s %7.3f files/s %10.0f events/CPU-s  cpu %6.1f s  wall %6.1f s  peak RSS %5d MB\n' \
    "$case" "$ev" "$fs" "$evc" "$cpu" "$wall" "$rss"
done | tee "$work/table.txt"
python3 - "$work/table.txt" <<'PY'
import sys
rows = {l.split()[0]: float(l.split()[1]) for l in open(sys.argv[1])}
for t in (1, 2):
    read = rows[f"BM_ReadOnly/{t}"]
    for h, name in ((0, "no hash"), (1, "with SHA-256, first run"), (2, "with SHA-256, rerun (hashes carried over)")):
        print(f"threads {t}, {name}: pipeline / read-only = {rows[f'BM_Pipeline/{t}/{h}'] / read:.2f}")
for name in ("BM_ReadOnly/{}", "BM_Pipeline/{}/0", "BM_Pipeline/{}/1", "BM_Pipeline/{}/2"):
    print(f"{name.format('N')}: 2 threads / 1 thread = {rows[name.format(2)] / rows[name.format(1)]:.2f}")
PY
