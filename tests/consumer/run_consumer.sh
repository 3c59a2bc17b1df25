#!/usr/bin/env bash
# run_consumer.sh - installs a zsock build into a temporary prefix and builds and runs the
# consumer programs against it, both ways a user would:
#   1. the CMake package: tests/consumer (C and C++, shared and static) and tests/consumer/c_only;
#   2. pkg-config: posix_app.c with `pkg-config --cflags --libs zsock-posix` (shared) and with
#      the archives plus `pkg-config --static --libs` (static), api_app.cpp with zsock.pc, and the
#      unchanged example echo server and client, which then exchange 2 x 1 MiB;
#   3. LD_PRELOAD of the installed libzsock-posix.so into a program whose socket() is glibc's.
# Also checks the installed tree (files, package version, link options carried into zsock.pc).
#
#   run_consumer.sh BUILD_DIR [EXTRA_FLAGS]
#
# EXTRA_FLAGS (e.g. the sanitizer flags of the build) are added to every compile and link.
set -euo pipefail
build=$(cd "$1" && pwd)
extra=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
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
prefix=$work/prefix
fail() { echo "FAIL: $*" >&2; exit 1; }

echo "== install into $prefix"
cmake --install "$build" --prefix "$prefix" >"$work/install.log" || { cat "$work/install.log"; exit 1; }
libdir=$(dirname "$(find "$prefix" -name 'libzsock.so' | head -1)")
[ -n "$libdir" ] || fail "libzsock.so not installed"
pcdir=$libdir/pkgconfig
for f in include/zsock/socket.h include/zsock/fdtable.h include/zsock/offload.h \
         include/zsock/posix.h include/zsock/version.h; do
    [ -f "$prefix/$f" ] || fail "$f not installed"
done
for f in libzsock.a libzsock.so.0 libzsock-posix.so libzsock-posix.so.0 libzsock-posix.a \
         cmake/zsock/zsockConfig.cmake cmake/zsock/zsockConfigVersion.cmake \
         cmake/zsock/zsockTargets.cmake cmake/zsock/FindMbedTLS.cmake \
         cmake/zsock/FindLiburing.cmake pkgconfig/zsock.pc pkgconfig/zsock-posix.pc; do
    [ -e "$libdir/$f" ] || fail "$f not installed in $libdir"
done
# Every link option an exported static target carries (LINKER:--undefined=<anchor>, which keeps
# constructor-registered implementations and all of libzsock-posix.a in a static link) must be in
# the matching .pc file's Libs.private too, or a static pkg-config link would lose it.
check_pc_options() { # TARGET PCFILE
    local o
    for o in $(awk -v t="zsock::$1" '
            /^set_target_properties\(/ { cur = $1; sub(/^set_target_properties\(/, "", cur) }
            /INTERFACE_LINK_OPTIONS/ && cur == t { sub(/^ *INTERFACE_LINK_OPTIONS "/, ""); sub(/"$/, ""); print }
        ' "$libdir/cmake/zsock/zsockTargets.cmake" | tr ';' '\n' | sed 's/^LINKER:/-Wl,/'); do
        grep -q -- "^Libs.private:.*$o" "$pcdir/$2" || fail "$2 lacks link option $o"
    done
}
check_pc_options zsock_static zsock.pc
check_pc_options posix_static zsock-posix.pc
grep -q -- "--undefined=zsock_posix_anchor_fd_names" "$pcdir/zsock-posix.pc" \
    || fail "zsock-posix.pc lacks the libzsock-posix.a anchors"

flags=(-DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release)
if [ -n "$extra" ]; then
    flags+=(-DCMAKE_C_FLAGS="$extra" -DCMAKE_CXX_FLAGS="$extra" -DCMAKE_EXE_LINKER_FLAGS="$extra")
fi
gen=()
command -v ninja >/dev/null && gen=(-G Ninja)

echo "== CMake package: find_package(zsock CONFIG)"
cmake -S "$here" -B "$work/cmake" "${gen[@]}" "${flags[@]}" >"$work/cmake.log" \
    || { cat "$work/cmake.log"; exit 1; }
cmake --build "$work/cmake" --parallel 2 || fail "consumer build (CMake package)"
cmake -S "$here/c_only" -B "$work/cmake_c" "${gen[@]}" "${flags[@]}" >"$work/cmake_c.log" \
    || { cat "$work/cmake_c.log"; exit 1; }
cmake --build "$work/cmake_c" --parallel 2 || fail "consumer build (C-only project)"
# A request for an incompatible version must be refused by the version file.
mkdir -p "$work/badver"
cat >"$work/badver/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.25)
project(badver LANGUAGES C)
find_package(zsock 99 CONFIG QUIET)
if(zsock_FOUND)
  message(FATAL_ERROR "zsock 99 accepted")
endif()
CM
cmake -S "$work/badver" -B "$work/badver/b" "${flags[@]}" >/dev/null || fail "version 99 was accepted"

for kind in shared static; do
    "$work/cmake/posix_app_$kind" || fail "posix_app_$kind"
    "$work/cmake/api_app_cxx_$kind" || fail "api_app_cxx_$kind"
    "$work/cmake/api_app_c_$kind" >"$work/api_$kind.out" || fail "api_app_c_$kind"
    cat "$work/api_$kind.out"
done
"$work/cmake_c/posix_app_c_only_shared" || fail "posix_app_c_only_shared"
"$work/cmake_c/posix_app_c_only_static" || fail "posix_app_c_only_static"
"$work/cmake_c/api_app_c_only_static" >"$work/api_c_only.out" || fail "api_app_c_only_static"
# The static link must register the same implementations as the shared one.
cmp -s "$work/api_shared.out" "$work/api_static.out" || fail "static link registers other implementations"
cmp -s "$work/api_shared.out" "$work/api_c_only.out" || fail "C-only static link registers other implementations"
readelf -d "$work/cmake/posix_app_static" | grep -q 'NEEDED.*libzsock' \
    && fail "posix_app_static depends on a shared libzsock"

echo "== pkg-config"
export PKG_CONFIG_PATH=$pcdir
[ "$(pkg-config --modversion zsock-posix)" = "$(pkg-config --modversion zsock)" ] || fail "versions"
cc=${CC:-cc}
cxx=${CXX:-c++}
rpath=-Wl,-rpath,$libdir
# shellcheck disable=SC2046,SC2086
{
    $cc $extra -o "$work/pc_posix_app" "$here/posix_app.c" $(pkg-config --cflags --libs zsock-posix) $rpath
    $cxx $extra -std=c++20 -o "$work/pc_api_app_cxx" "$here/api_app.cpp" $(pkg-config --cflags --libs zsock) $rpath
    # Static: the archives, then what `pkg-config --static` lists for them (Libs.private,
    # link options included); the shared libzsock that --libs also names is left unused.
    $cc $extra -o "$work/pc_posix_app_static" "$here/posix_app.c" $(pkg-config --cflags zsock-posix) \
        "$libdir/libzsock-posix.a" "$libdir/libzsock.a" -Wl,--as-needed \
        $(pkg-config --static --libs zsock-posix)
    $cc $extra -o "$work/pc_api_app_static" "$here/api_app.c" $(pkg-config --cflags zsock) \
        "$libdir/libzsock.a" -Wl,--as-needed $(pkg-config --static --libs zsock)
    # Unchanged BSD code, exactly as a user would build it.
    for p in echo_server_select echo_client; do
        $cc $extra -O2 -o "$work/pc_$p" "$src/examples/posix/$p.c" $(pkg-config --cflags --libs zsock-posix) $rpath
    done
} || fail "pkg-config builds"
readelf -d "$work/pc_posix_app_static" | grep -q 'NEEDED.*libzsock' \
    && fail "pc_posix_app_static depends on a shared libzsock"
readelf -d "$work/pc_echo_client" | grep -q 'NEEDED.*libzsock-posix' \
    || fail "pkg-config build of echo_client does not use libzsock-posix"
"$work/pc_posix_app" || fail "pc_posix_app"
"$work/pc_posix_app_static" || fail "pc_posix_app_static"
"$work/pc_api_app_cxx" || fail "pc_api_app_cxx"
"$work/pc_api_app_static" >"$work/pc_api_static.out" || fail "pc_api_app_static"
cmp -s "$work/api_shared.out" "$work/pc_api_static.out" || fail "pkg-config static link registers other implementations"

# LD_PRELOAD of the installed libzsock-posix.so (found with its libzsock through $ORIGIN): a
# program linked only against libzsock, whose socket() is glibc's, must fail its zsock checks
# plainly (the control) and pass them with the preload. A sanitized build preloads its runtime
# first (ZSOCK_SANITIZER_RUNTIME, see tests/posix/preload_env.sh).
$cc $extra -o "$work/pc_posix_app_libc" "$here/posix_app.c" $(pkg-config --cflags --libs zsock) $rpath \
    || fail "build of posix_app against libzsock only"
runtime=${ZSOCK_SANITIZER_RUNTIME:-}
case "$runtime" in missing:*) runtime= ;; esac
set +e
"$work/pc_posix_app_libc" 2>/dev/null
plain_status=$?
set -e
[ $plain_status = 1 ] || fail "posix_app without libzsock-posix: status $plain_status, expected 1"
env LD_PRELOAD="${runtime:+$runtime }$libdir/libzsock-posix.so" "$work/pc_posix_app_libc" \
    || fail "posix_app under LD_PRELOAD of the installed libzsock-posix.so"

timeout 60 "$work/pc_echo_server_select" -n 2 -t 30 0 >"$work/server.out" &
server_pid=$!
port=
for _ in $(seq 200); do
    port=$(awk '$1 == "port" { print $2 }' "$work/server.out" 2>/dev/null || true)
    [ -n "$port" ] && break
    sleep 0.05
done
[ -n "$port" ] || fail "echo server reported no port"
timeout 60 "$work/pc_echo_client" -c 2 -b 1048576 127.0.0.1 "$port" || fail "echo exchange"
wait "$server_pid" || fail "echo server exit status"
server_pid=
echo "ok: installed zsock consumed through the CMake package and pkg-config"
