#!/usr/bin/env bash
# ingot's main job on a model the repository ships: builds ingot, builds the trained
# LeNet-5 (examples/lenet/lenet5.wts) into a plan through the network API, classifies the
# held-out digits with it, then inspects and benchmarks the plan with the ingot tool.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"
./build/examples/lenet --save-plan build/lenet5.plan
./build/tools/ingot inspect build/lenet5.plan
./build/tools/ingot bench build/lenet5.plan --shapes data:8x1x32x32 --iterations 200
