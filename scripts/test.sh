#!/usr/bin/env bash
# Builds and runs every test in the release, ASan+UBSan and TSan builds (the README's second
# command; .ci/run calls it). ZSOCK_TEST_PRESETS="release asan" picks other presets.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
presets=${ZSOCK_TEST_PRESETS:-"release asan tsan"}
jobs=$(nproc)
for preset in $presets; do
  echo "=== preset $preset: configure, build, test"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
  ctest --preset "$preset" -j "$jobs"
done
