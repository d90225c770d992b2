#!/usr/bin/env bash
# Fuzz a reader with libFuzzer for a set time.
#   scripts/fuzz.sh [SECONDS=600] [extra libFuzzer flags...]          the FCS reader
#   FUZZ_TARGET=NAME scripts/fuzz.sh [SECONDS] [flags...]              another target:
#     fuzz_fcs_read (default), fuzz_strategy_yaml, fuzz_gatingml, fuzz_pipeline_config
# Builds build-fuzz with clang (ASan + UBSan), seeds the corpus with the repository's files of
# that kind (and ../shared/fcs_corpus or ../shared/gatingml_ref when present), and keeps what
# it finds in fuzz/corpus-run[-NAME] (new inputs) and fuzz/crash-* (git-ignored).
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
target=${FUZZ_TARGET:-fuzz_fcs_read}
cmake --build "$build" --target "$target" -j2

shared_root="${CYTOPIPE_SHARED:-$root/../shared}"
crashes="$root/fuzz"
seeds=()
case "$target" in
  fuzz_fcs_read)
    work="$root/fuzz/corpus-run"
    [ -d "$root/fuzz/seeds" ] && seeds+=("$root/fuzz/seeds")
    [ -d "$shared_root/fcs_corpus" ] && seeds+=("$shared_root/fcs_corpus")
    max_len=65536 ;;
  fuzz_strategy_yaml | fuzz_gatingml | fuzz_pipeline_config)
    work="$root/fuzz/corpus-run-$target"
    seed_dir="$build/seeds-$target"  # libFuzzer reads seed folders: copies of the files of that kind
    rm -rf "$seed_dir" && mkdir -p "$seed_dir"
    case "$target" in
      fuzz_strategy_yaml) find "$root/gating" -name '*.yaml' -exec cp {} "$seed_dir/" \; ;;
      fuzz_gatingml) find "$root/gating" "$root/tests" -name '*.xml' -exec cp {} "$seed_dir/" \;
                     [ -d "$shared_root/gatingml_ref" ] && find "$shared_root/gatingml_ref" -name '*.xml' -size -256k \
                       -exec cp {} "$seed_dir/" \; ;;
      fuzz_pipeline_config) cp "$root"/pipelines/*.yaml "$seed_dir/" ;;
    esac
    seeds+=("$seed_dir")
    max_len=262144 ;;
  *) echo "unknown FUZZ_TARGET $target" >&2; exit 2 ;;
esac
mkdir -p "$work"

cd "$build"  # libFuzzer writes its fuzz-N.log job logs here
exec "$build/fuzz/$target" -max_total_time="$seconds" -max_len="$max_len" -rss_limit_mb=2048 \
  -timeout=10 -print_final_stats=1 -artifact_prefix="$crashes/" "$@" "$work" "${seeds[@]}"
