#!/usr/bin/env bash
# run_echo_mix.sh - one echo server and its clients, each side plain, linked against
# libzsock-posix, or carried by it under LD_PRELOAD; checks every byte and that the zsock side's
# calls really went through zsock.
#
#   run_echo_mix.sh SERVER_BIN SERVER_MODE CLIENT_BIN CLIENT_MODE CLIENTS CONNS BYTES ADDR \
#                   SERVER_COUNTERS CLIENT_COUNTERS
#
# MODE: plain | zsock | preload (see preload_env.sh). The server listens on a kernel-chosen port
# (it prints it) and exits 0 after CLIENTS*CONNS connections; CLIENTS client processes run at
# once, each with CONNS connections of BYTES bytes, verifying every byte (echo_client). *_COUNTERS
# are comma-separated probe counters that must be positive on a zsock side. Every process runs
# under `timeout`, so the test ends by itself.
set -euo pipefail
source "$(dirname "$0")/preload_env.sh"

server=$1 server_mode=$2 client=$3 client_mode=$4 clients=$5 conns=$6 bytes=$7 addr=$8
server_counters=${9//,/ } client_counters=${10//,/ }
limit=120

work=$(mktemp -d)
server_pid=
cleanup() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

timeout $limit env ZSOCK_PROBE_OUT="$work/server.probe" \
    LD_PRELOAD="$(preload_for "$server_mode")" "$server" -a "$addr" -n $((clients * conns)) -t 60 0 >"$work/server.out" &
server_pid=$!

port=
for _ in $(seq 200); do
    port=$(awk '$1 == "port" { print $2 }' "$work/server.out" 2>/dev/null || true)
    [ -n "$port" ] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.05
done
if [ -z "$port" ]; then
    echo "FAIL: server did not report its port" >&2
    exit 1
fi
echo "server $(basename "$server") ($server_mode) on $addr port $port"

pids=()
for i in $(seq "$clients"); do
    timeout $limit env ZSOCK_PROBE_OUT="$work/client$i.probe" \
        LD_PRELOAD="$(preload_for "$client_mode")" "$client" -c "$conns" -b "$bytes" -s "$i" "$addr" "$port" &
    pids+=($!)
done
status=0
for i in "${!pids[@]}"; do
    if ! wait "${pids[$i]}"; then
        echo "FAIL: client $((i + 1)) ($client_mode) failed" >&2
        status=1
    fi
done
if ! wait "$server_pid"; then
    echo "FAIL: server ($server_mode) did not exit cleanly" >&2
    status=1
fi
server_pid=
[ $status = 0 ] || exit 1

check_probe "$work/server.probe" "$server_mode" "server" $server_counters
for i in $(seq "$clients"); do
    check_probe "$work/client$i.probe" "$client_mode" "client $i" $client_counters
done
echo "ok: $clients client(s) x $conns connection(s) x $bytes bytes, server $server_mode, client $client_mode"
