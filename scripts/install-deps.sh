#!/usr/bin/env bash
# Installs cytopipe's build and test dependencies from Debian packages (idempotent; run as root).
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config git
  libeigen3-dev libopencv-dev libtbb-dev libyaml-cpp-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libboost-math-dev libcairo2-dev libxml2-dev libxml2-utils
  nlohmann-json3-dev libfmt-dev libcli11-dev
  time  # /usr/bin/time -v: peak memory in bench/*.sh
  chromium  # tests/cli/test_report_browser.cpp renders report.html headless (skipped without it, failed under CI)
  slurm-wlm munge  # the Slurm test (ctest -L slurm) starts a one-node cluster: slurmctld, slurmd, munged
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all ${#packages[@]} packages present"
fi
