#!/usr/bin/env bash
# The README's first command: installs what is missing, builds Release, and runs the short
# comparison (about a minute and a half): echo at 50 and 500 connections x 64 B and HTTP with wrk,
# every zsock server against the raw epoll server measured in the same run. Prints the table and
# the chart's path.
#
#   scripts/main.sh                 # the short comparison
#   scripts/main.sh --mode full     # the full matrix (about 20-30 minutes per 4 servers)
#   scripts/main.sh --help          # every option of bench/run.py
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
echo "=== configure and build (Release)"
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target bench_all
echo "=== benchmark"
exec python3 bench/run.py "$@"
