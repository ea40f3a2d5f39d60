#!/usr/bin/env bash
# test/fuzz/build.sh [builddir [meson options...]] — configures (once) and
# builds the libFuzzer target with clang: <builddir>/test/fuzz/fuzz_sched
# (default builddir: build-fuzz, beside the normal build), and prints its path.
# Extra options go to meson setup, e.g. -Db_sanitize=undefined (UBSan; CI's
# fuzz run uses it). README "Fuzzing" says how to run it.
# Debian packages: clang, libclang-rt-14-dev (libFuzzer).
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=${1:-build-fuzz}
shift || true
if [ ! -f "$dir/build.ninja" ]; then
  CC=clang CXX=clang++ meson setup "$dir" -Dfuzz=true -Db_lto=false -Ddocs=disabled "$@" >/dev/null
fi
meson compile -C "$dir" test/fuzz/fuzz_sched >/dev/null
echo "$dir/test/fuzz/fuzz_sched"
