#!/usr/bin/env bash
# Builds ingot with ThreadSanitizer (INGOT_TSAN) and runs the tests that use threads:
# test_concurrency (contexts of one engine on several threads, builds on several threads,
# one shared logger), test_soak and test_engine. Any data race fails the run.
#   scripts/tsan.sh            (build dir: build-tsan, or $BUILD)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${BUILD:-build-tsan}"
TESTS=(test_concurrency test_soak test_engine)
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DINGOT_TSAN=ON -DINGOT_CUDA=OFF \
  -DINGOT_BUILD_TOOLS=OFF -DINGOT_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$BUILD" -j"${JOBS:-$(nproc)}" --target "${TESTS[@]}"
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
for t in "${TESTS[@]}"; do
  echo "== $t (ThreadSanitizer)"
  "$BUILD/tests/$t"
done
echo "ThreadSanitizer: clean"
