#!/usr/bin/env bash
# A fortified program (-O2 -D_FORTIFY_SOURCE=2) calls __read_chk, __recv_chk, __recvfrom_chk and
# __poll_chk instead of read, recv, recvfrom and poll. Checks that the binary really imports them,
# then that under LD_PRELOAD=libzsock-posix.so those calls reach zsock (probe counts), and, as the
# control, that without libzsock-posix they do not.
#
#   test_posix_fortified.sh FORTIFIED_BIN
set -euo pipefail
source "$(dirname "$0")/preload_env.sh"
bin=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

imports=$(nm -D --undefined-only "$bin" | awk '{print $2}' | sed 's/@.*//')
for sym in __read_chk __recv_chk __recvfrom_chk __poll_chk; do
    if ! grep -qx "$sym" <<<"$imports"; then
        echo "FAIL: $bin does not call $sym; the compiler did not fortify it" >&2
        exit 1
    fi
done

timeout 60 env ZSOCK_PROBE_OUT="$work/zsock.probe" LD_PRELOAD="$(preload_for preload)" "$bin" 100
check_probe "$work/zsock.probe" preload "fortified program" socket accept connect poll recv read

timeout 60 env ZSOCK_PROBE_OUT="$work/plain.probe" LD_PRELOAD="$(preload_for plain)" "$bin" 100
check_probe "$work/plain.probe" plain "fortified program without libzsock-posix"
echo "ok: fortified calls went through zsock under LD_PRELOAD"
