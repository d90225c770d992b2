#!/usr/bin/env bash
# Installs dependencies, builds (Release) and runs the main job: the Fig. 3 pipeline on sample_fcs/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build -j "$(nproc)"
# The Fig. 3 analyses of the selinexor + CT103A study on the simulated tubes of sample_fcs/.
./build/cytopipe run pipelines/fig3_selinexor.yaml
echo "fig3: tables, statistics, plots and report.html are in results/fig3_selinexor/"
