# preload_env.sh - sourced by the POSIX-name test scripts: how to run a process plain, linked
# against libzsock-posix, or with libzsock-posix under LD_PRELOAD, always with the counting probe
# (support/zsock_probe.c) preloaded so that its counts show whether the calls went through zsock.
#
# Inputs (environment, set by CTest): ZSOCK_POSIX_LIB (libzsock-posix.so), ZSOCK_PROBE_LIB, and
# ZSOCK_SANITIZER_RUNTIME: in a sanitizer build, the runtime (libasan.so/libtsan.so). ASan checks
# that its runtime comes first in the initial library list; a preloaded library comes before the
# program's own dependencies, so the runtime is preloaded first of all. That also lets the
# sanitized libraries run inside uninstrumented programs (bash in test_posix_preload_bash.sh).

case "${ZSOCK_SANITIZER_RUNTIME:-}" in
missing:*)
    echo "SKIP: this sanitizer build needs ${ZSOCK_SANITIZER_RUNTIME#missing:} first in LD_PRELOAD," \
        "and the compiler has no shared one" >&2
    exit 77
    ;;
esac

# preload_for MODE - the LD_PRELOAD value for a process of MODE (plain | zsock | preload).
preload_for() {
    local list="${ZSOCK_SANITIZER_RUNTIME:-}"
    [ "$1" = preload ] && list="$list $ZSOCK_POSIX_LIB"
    list="$list $ZSOCK_PROBE_LIB"
    echo "${list# }"
}

# probe_count FILE NAME - a count from a probe report (0 when absent).
probe_count() {
    local v
    v=$(awk -v n="$2" '$1 == n { print $2 }' "$1" 2>/dev/null)
    echo "${v:-0}"
}

# check_probe FILE MODE WHAT COUNTERS... - fails unless, for MODE zsock/preload, every listed
# counter is positive, and for MODE plain, every counter is zero (nothing reached zsock).
check_probe() {
    local file=$1 mode=$2 what=$3
    shift 3
    if [ ! -s "$file" ]; then
        echo "FAIL: $what: no probe report in $file" >&2
        return 1
    fi
    local c v
    if [ "$mode" = plain ]; then
        for c in socket accept connect read write send recv poll close; do
            v=$(probe_count "$file" "$c")
            if [ "$v" != 0 ]; then
                echo "FAIL: $what: plain build reached zsock ($c=$v)" >&2
                return 1
            fi
        done
        return 0
    fi
    for c in "$@"; do
        v=$(probe_count "$file" "$c")
        if [ "$v" -le 0 ]; then
            echo "FAIL: $what ($mode): '$c' never went through zsock; probe report:" >&2
            cat "$file" >&2
            return 1
        fi
    done
}
