#!/usr/bin/env bash
# The symbols libzsock-posix.so exports are exactly the documented standard names
# (exported_names.txt), and libzsock.so itself imports none of them: zsock reaches the kernel
# through raw system calls only, so no call of its own can land back in libzsock-posix and recurse.
#
#   test_posix_exports.sh LIBZSOCK_POSIX_SO LIBZSOCK_SO
set -euo pipefail
expected=$(dirname "$0")/exported_names.txt
exported=$(nm -D --defined-only "$1" | awk '{ sub(/@.*/, "", $3); print $3 }' | sort -u)
if ! diff <(sort -u "$expected") <(echo "$exported"); then
    echo "FAIL: libzsock-posix exports differ from exported_names.txt (< expected, > actual)" >&2
    exit 1
fi
imports=$(nm -D --undefined-only "$2" | awk '{ sub(/@.*/, "", $2); print $2 }' | sort -u)
bad=$(comm -12 <(sort -u "$expected") <(echo "$imports"))
if [ -n "$bad" ]; then
    echo "FAIL: libzsock.so calls names that libzsock-posix interposes: $bad" >&2
    exit 1
fi
echo "ok: $(wc -l <"$expected") names exported; libzsock imports none of them"
