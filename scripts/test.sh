#!/usr/bin/env bash
# Builds and runs every test: the release build, then the ASan+UBSan build (the README's second
# command; .ci/run calls it). ZSOCK_TEST_PRESETS="release asan tsan" picks other presets.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
presets=${ZSOCK_TEST_PRESETS:-"release asan"}
jobs=$(nproc)
for preset in $presets; do
  echo "=== preset $preset: configure, build, test"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
  ctest --preset "$preset" -j "$jobs"
done
