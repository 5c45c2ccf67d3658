#!/usr/bin/env bash
# Installs the built ingot into a temporary prefix, then builds a program outside the source
# tree against it twice: through pkg-config and through CMake's find_package(ingot).
set -euo pipefail
build_dir=$1
src_dir=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
libdir=$(ls -d "$work"/prefix/lib*/ | head -n1)
test -x "$work/prefix/bin/ingot" || { echo "ingot tool not installed"; exit 1; }
# 1. pkg-config
export PKG_CONFIG_PATH="$libdir/pkgconfig"
cc -o "$work/consumer_pc" "$src_dir/consumer/main.c" $(pkg-config --cflags --libs ingot) -Wl,-rpath,"$libdir" \
  ${INGOT_CONSUMER_LDFLAGS:-}
"$work/consumer_pc"
# 2. find_package
cmake -S "$src_dir/consumer" -B "$work/consumer_build" -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DCMAKE_BUILD_RPATH="$libdir" ${INGOT_CONSUMER_CMAKE_ARGS:-} >/dev/null
cmake --build "$work/consumer_build" >/dev/null
"$work/consumer_build/consumer"
echo "install test: pkg-config and find_package consumers both ran"
