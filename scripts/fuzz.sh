#!/usr/bin/env bash
# Fuzz the FCS reader with libFuzzer for a set time.
#   scripts/fuzz.sh [SECONDS=600] [extra libFuzzer flags...]
# Builds build-fuzz with clang (ASan + UBSan), seeds the corpus with ../shared/fcs_corpus when
# present, and keeps what it finds in fuzz/corpus-run (new inputs) and fuzz/crash-* (git-ignored).
set -euo pipefail
seconds=${1:-600}
shift || true
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-fuzz"
# clang and its libFuzzer runtime come from Debian (as root, like scripts/install-deps.sh).
if ! command -v clang++ >/dev/null || ! dpkg -s libclang-rt-14-dev >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq clang libclang-rt-14-dev
fi
CXX=clang++ CC=clang cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCYTOPIPE_FUZZ=ON -DCYTOPIPE_TESTS=OFF -DCYTOPIPE_BENCH=OFF -DCYTOPIPE_FCS_TBB=OFF >/dev/null
cmake --build "$build" --target fuzz_fcs_read -j2

work="$root/fuzz/corpus-run"
crashes="$root/fuzz"
mkdir -p "$work"
seeds=()
[ -d "$root/fuzz/seeds" ] && seeds+=("$root/fuzz/seeds")
shared="${CYTOPIPE_SHARED:-$root/../shared}/fcs_corpus"
[ -d "$shared" ] && seeds+=("$shared")

cd "$build"  # libFuzzer writes its fuzz-N.log job logs here
exec "$build/fuzz/fuzz_fcs_read" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 \
  -timeout=10 -print_final_stats=1 -artifact_prefix="$crashes/" "$@" "$work" "${seeds[@]}"
