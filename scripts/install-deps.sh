#!/usr/bin/env bash
# Installs the Debian 12 packages zsock needs to build, test and benchmark (as root, or via sudo).
# Installs only what is missing; safe to run again.
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkgconf
  liburing-dev libmbedtls-dev libfmt-dev catch2
  openssl curl wrk gnuplot-nox valgrind strace
  python3 linux-perf util-linux procps
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all packages present"
fi
