#!/usr/bin/env bash
# Builds ingot with AddressSanitizer + UndefinedBehaviorSanitizer and runs every test
# (C unit tests, the NumPy-checked layer and model tests, the CLI and install tests).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build-test -DCMAKE_BUILD_TYPE=Debug -DINGOT_SANITIZE=ON >/dev/null
cmake --build build-test -j"$(nproc)"
ctest --test-dir build-test --output-on-failure -j"$(nproc)"
