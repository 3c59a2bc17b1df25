#!/usr/bin/env bash
# The README's first command: installs what is missing, builds Release, and runs the short
# comparison (about a minute and a half after the build): echo at 50 and 500 connections x 64 B
# and HTTP with wrk, zsock's coroutine servers on both engines against the raw epoll server
# measured in the same run, with counted syscalls, allocations and instructions. Prints the
# tables, the goals and the chart's path; exits 1 when something failed (bench/checks.py).
#
#   scripts/main.sh                 # the short comparison
#   scripts/main.sh --mode full     # the full matrix, poll loops, TLS, idle memory (20-40 min)
#   scripts/main.sh --help          # every option of bench/run.py
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
echo "=== configure and build (Release)"
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target bench_all
echo "=== benchmark"
exec python3 bench/run.py "$@"
