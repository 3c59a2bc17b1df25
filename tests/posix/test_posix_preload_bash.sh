#!/usr/bin/env bash
# An unchanged system binary over zsock: bash's /dev/tcp redirection under
# LD_PRELOAD=libzsock-posix.so, talking to an echo server. bash's socket, connect and close must
# show in the probe's counts; without libzsock-posix (the control) nothing may.
#
# bash moves the new socket onto fd 3 with dup2(), which zsock does not interpose: the dup is a
# plain kernel descriptor, so bash's reads and writes on fd 3 go to the kernel directly (a native
# socket works that way; a TLS or offloaded one would not). The probe's counts show exactly that,
# and the test checks it, so a change in either direction is noticed.
#
#   test_posix_preload_bash.sh ECHO_SERVER_BIN
#
# bash is not built with the sanitizers: in a sanitizer build the runtime is preloaded first
# (preload_env.sh), and LeakSanitizer is off for bash, whose own allocations it would report.
set -euo pipefail
source "$(dirname "$0")/preload_env.sh"
server=$1
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

BASH_BIN=$(command -v bash)
timeout 60 env LD_PRELOAD="$(preload_for plain)" "$server" -n 2 -t 30 0 >"$work/server.out" &
server_pid=$!
port=
for _ in $(seq 200); do
    port=$(awk '$1 == "port" { print $2 }' "$work/server.out" 2>/dev/null || true)
    [ -n "$port" ] && break
    sleep 0.05
done
[ -n "$port" ] || { echo "FAIL: no port from server" >&2; exit 1; }

script='exec 3<>/dev/tcp/127.0.0.1/'$port'
printf "hello over zsock\n" >&3
read -r line <&3
exec 3>&-
[ "$line" = "hello over zsock" ] || { echo "bash got: $line" >&2; exit 1; }'

for mode in preload plain; do
    timeout 60 env ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" \
        ZSOCK_PROBE_OUT="$work/$mode.probe" LD_PRELOAD="$(preload_for $mode)" \
        "$BASH_BIN" --norc --noprofile -c "$script"
done
check_probe "$work/preload.probe" preload "bash /dev/tcp" socket connect close
if [ "$(probe_count "$work/preload.probe" read)" != 0 ]; then
    echo "NOTE: bash's reads reached zsock: dup2 is interposed now; update this test" >&2
    exit 1
fi
check_probe "$work/plain.probe" plain "bash /dev/tcp without libzsock-posix"
wait "$server_pid"
server_pid=
echo "ok: bash's /dev/tcp ran over zsock"
