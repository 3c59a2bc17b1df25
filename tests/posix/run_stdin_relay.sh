#!/usr/bin/env bash
# run_stdin_relay.sh - stdin through the POSIX names: stdin_relay (an unchanged C program that
# polls, selects and reads fd 0 and writes what it reads to stdout) gets random bytes on stdin and
# must copy every one of them, for stdin as a pipe fed in bursts (so that poll and select really
# wait), a regular file, and an empty input.
#
#   run_stdin_relay.sh RELAY_BIN MODE
#
# MODE: plain | zsock | preload (see preload_env.sh). For zsock and preload, the probe must have
# counted the program's socket, its waits and its close (stdin and the socket share every wait);
# for plain (the control), nothing may reach zsock.
set -euo pipefail
source "$(dirname "$0")/preload_env.sh"

relay=$1 mode=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

head -c 300001 /dev/urandom >"$work/in"
: >"$work/empty"

# run NAME - runs the relay with stdin from the caller, output and probe report under NAME.
run() {
    timeout 60 env ZSOCK_PROBE_OUT="$work/$1.probe" LD_PRELOAD="$(preload_for "$mode")" \
        "$relay" >"$work/$1.out" 2>"$work/$1.err"
}

status=0
# check NAME EXPECTED - the relay's output is EXPECTED byte for byte, and the probe agrees.
check() {
    if ! cmp "$2" "$work/$1.out"; then
        echo "FAIL: $1 ($mode): output differs from input" >&2
        status=1
    fi
    if ! check_probe "$work/$1.probe" "$mode" "$1" socket poll close; then
        status=1
    fi
    echo "$1 ($mode): $(wc -c <"$work/$1.out") bytes; $(cat "$work/$1.err")"
}

# A pipe that stays empty for a while twice, so that the program blocks in poll and in select.
if ! { head -c 1 "$work/in"; sleep 0.3; tail -c +2 "$work/in" | head -c 70000; sleep 0.3
    tail -c +70002 "$work/in"; } | run pipe; then
    echo "FAIL: pipe ($mode): relay failed: $(cat "$work/pipe.err")" >&2
    status=1
fi
check pipe "$work/in"

if ! run file <"$work/in"; then
    echo "FAIL: file ($mode): relay failed: $(cat "$work/file.err")" >&2
    status=1
fi
check file "$work/in"

if ! run empty </dev/null; then
    echo "FAIL: empty ($mode): relay failed: $(cat "$work/empty.err")" >&2
    status=1
fi
check empty "$work/empty"

exit $status
