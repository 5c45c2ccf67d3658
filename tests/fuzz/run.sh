#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) and runs each for SECONDS.
#   tests/fuzz/run.sh [SECONDS] [TARGET...]     targets: onnx plan wts npy (default: all)
# First every input kept in tests/fuzz/corpus/<target>/ (seeds and the regression inputs
# of crashes found before) is replayed; then the fuzzer runs from a working copy of that
# corpus in $BUILD/fuzz/<target>/ (new inputs go there, not into the repository). Crashes
# land in $BUILD/fuzz/<target>/artifacts/; the script fails if any target found one.
# Environment: BUILD (default build-fuzz), JOBS (default 2), NICE (default 0).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
SECONDS_EACH="${1:-30}"
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(onnx plan wts npy)
BUILD="${BUILD:-$ROOT/build-fuzz}"
command -v clang >/dev/null || { echo "run.sh: clang is needed (apt-get install clang)" >&2; exit 2; }
CC=clang cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DINGOT_FUZZ=ON -DINGOT_CUDA=OFF \
  -DINGOT_BUILD_TESTS=OFF -DINGOT_BUILD_TOOLS=OFF -DINGOT_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$BUILD" -j"${JOBS:-2}" --target $(printf 'fuzz_%s ' "${TARGETS[@]}")

failed=0
for t in "${TARGETS[@]}"; do
  bin="$BUILD/tests/fuzz/fuzz_$t"
  seeds="$ROOT/tests/fuzz/corpus/$t"
  work="$BUILD/fuzz/$t"
  mkdir -p "$work/corpus" "$work/artifacts"
  # Budgets per input: a slow or greedy input is a finding too.
  opts=(-timeout=20 -rss_limit_mb=2560 -malloc_limit_mb=1024 -print_final_stats=1
        -artifact_prefix="$work/artifacts/")
  echo "== fuzz_$t: replaying $(ls "$seeds" | wc -l) kept inputs"
  if ! "$bin" "${opts[@]}" -runs=0 "$seeds" >"$work/replay.log" 2>&1; then
    echo "fuzz_$t: a kept input fails (see $work/replay.log)"; tail -30 "$work/replay.log"; failed=1; continue
  fi
  echo "== fuzz_$t: fuzzing for ${SECONDS_EACH}s (log: $work/fuzz.log)"
  if nice -n "${NICE:-0}" "$bin" "${opts[@]}" -max_total_time="$SECONDS_EACH" "$work/corpus" "$seeds" \
      >"$work/fuzz.log" 2>&1; then
    grep -E "^stat::(number_of_executed_units|peak_rss_mb)|^#[0-9]+.*DONE" "$work/fuzz.log" | sed "s/^/   /" || true
  else
    echo "fuzz_$t: FOUND A CRASH (artifacts in $work/artifacts/)"; grep -m1 -A25 "ERROR\|==ERROR\|runtime error\|deadly signal" "$work/fuzz.log" || tail -30 "$work/fuzz.log"
    failed=1
  fi
done
exit $failed
