#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (build-fuzz/) and runs each for SECONDS (default 20)
# starting from its corpus in fuzz/corpus/<name>/. Fails on any crash.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${1:-20}
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DPORTICO_FUZZ=ON -DPORTICO_TESTS=OFF -DPORTICO_BENCH=OFF >/dev/null
targets=()
for f in fuzz/*_fuzzer.cc; do targets+=("$(basename "$f" .cc)"); done
cmake --build build-fuzz -j "${JOBS:-$(nproc)}" --target "${targets[@]}"
for f in fuzz/*_fuzzer.cc; do
  name=$(basename "$f" .cc)
  corpus="fuzz/corpus/${name%_fuzzer}"
  work=$(mktemp -d)
  cp -r "$corpus"/. "$work"/ 2>/dev/null || true
  echo "== fuzz $name for ${SECONDS_PER_TARGET}s"
  "./build-fuzz/$name" -max_total_time="$SECONDS_PER_TARGET" -print_final_stats=0 "$work" 2>&1 | tail -3
  rm -rf "$work"
done
