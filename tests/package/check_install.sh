#!/usr/bin/env bash
# The installed zinc, used as a user would: `cmake --install` into a temporary prefix, the tree moved
# elsewhere (everything installed must be relocatable), then
#   1. consumer/ (a CMake project: find_package(ZeroMQ), find_package(zinc), find_package(cppzmq)) configured
#      with CMAKE_PREFIX_PATH=<prefix>, built, and each program run: PUSH/PULL round trip, and the libzmq.so.5
#      it mapped must be the prefix's (not Debian's);
#   2. the same C program compiled with $(pkg-config --cflags --libs libzmq) from the prefix's libzmq.pc;
#   3. a second, direct install into another-prefix whose libzmq.pc must give that prefix's paths.
# usage: check_install.sh BUILD_DIR CONSUMER_SOURCE_DIR C_COMPILER
set -euo pipefail
if (($# != 3)); then
    echo "usage: $0 BUILD_DIR CONSUMER_SOURCE_DIR C_COMPILER" >&2
    exit 2
fi
build=$1 consumer=$2 cc=$3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/zinc-package.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$tmp/installed" >"$tmp/install.log" || { cat "$tmp/install.log"; fail "cmake --install"; }
mv "$tmp/installed" "$tmp/moved"
prefix=$tmp/moved
for f in include/zmq.h include/zmq_utils.h; do [[ -f $prefix/$f ]] || fail "$f not installed"; done
for f in libzmq.so.5 libzmq.so libzmq.a pkgconfig/libzmq.pc cmake/ZeroMQ/ZeroMQConfig.cmake \
         cmake/ZeroMQ/ZeroMQConfigVersion.cmake cmake/zinc/zincConfig.cmake; do
    compgen -G "$prefix/lib*/$f" >/dev/null || compgen -G "$prefix/lib*/*/$f" >/dev/null || fail "lib/$f not installed"
done
pcdir=$(dirname "$(find "$prefix" -name libzmq.pc | head -1)")
# man pages (when the build made them): compressed as Debian policy asks, each a valid gzip stream
if compgen -G "$prefix/share/man/man3/*" >/dev/null; then
    for f in man3/zmq_bind.3.gz man3/zmq_msg_init.3.gz man7/zmq.7.gz; do
        [[ -f $prefix/share/man/$f ]] && gzip -t "$prefix/share/man/$f" || fail "share/man/$f not installed or corrupt"
    done
    uncompressed=$(find "$prefix/share/man" -type f ! -name '*.gz' | head -3)
    [[ -z $uncompressed ]] || fail "uncompressed man pages installed: $uncompressed"
fi

# 1. CMake consumers
cmake -S "$consumer" -B "$tmp/consumer" -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER="$cc" \
      -DCMAKE_PREFIX_PATH="$prefix" -DZINC_PREFIX="$prefix" >"$tmp/configure.log" 2>&1 ||
    { cat "$tmp/configure.log"; fail "consumer configure"; }
grep -F 'consumer skipped' "$tmp/configure.log" || true
cmake --build "$tmp/consumer" -j2 >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; fail "consumer build"; }
while read -r program; do
    [[ -n $program ]] && { "$tmp/consumer/$program" "$prefix" || fail "$program"; }
done <"$tmp/consumer/programs.txt"

# 2. pkg-config consumer (the RUNPATH comes from the .pc's libdir: pkg-config's flags do not set one)
export PKG_CONFIG_PATH=$pcdir
[[ $(pkg-config --modversion libzmq) == 4.3.4 ]] || fail "pkg-config --modversion libzmq: $(pkg-config --modversion libzmq)"
flags=$(pkg-config --cflags --libs libzmq)
echo "pkg-config --cflags --libs libzmq: $flags"
[[ $flags == *"-I$prefix/"* && $flags == *"-L$prefix/"* ]] || fail "pkg-config flags are not under $prefix"
libdir=$(pkg-config --variable=libdir libzmq)
# shellcheck disable=SC2086 # flags are words
"$cc" -std=c11 -Wall -Wextra -Werror -DCONSUMER_NAME='"pkg_config_shared"' "$consumer/round_trip.c" -o "$tmp/pc_shared" \
      $flags -Wl,-rpath,"$libdir" || fail "compile with pkg-config flags"
"$tmp/pc_shared" "$prefix" || fail "pkg-config consumer"
# shellcheck disable=SC2046
"$cc" -std=c11 -Wall -Wextra -Werror -DCONSUMER_NAME='"pkg_config_static"' -DCONSUMER_STATIC=1 "$consumer/round_trip.c" \
      -o "$tmp/pc_static" $(pkg-config --cflags libzmq) "$libdir/libzmq.a" $(pkg-config --static --libs-only-l libzmq | sed 's/-lzmq//') ||
    fail "static link with pkg-config --static flags"
"$tmp/pc_static" "$prefix" || fail "pkg-config static consumer"

# 3. another-prefix, installed directly
cmake --install "$build" --prefix "$tmp/other-prefix" >/dev/null
other=$(PKG_CONFIG_PATH=$(dirname "$(find "$tmp/other-prefix" -name libzmq.pc | head -1)") pkg-config --variable=includedir libzmq)
[[ -f $other/zmq.h && $(realpath "$other") == $(realpath "$tmp/other-prefix")/* ]] || fail "second prefix: includedir $other"
echo "package_install: CMake, cppzmq and pkg-config consumers ran on the installed zinc"
