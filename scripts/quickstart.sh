#!/usr/bin/env bash
# ingot's main job on a model the repository ships (LeNet-5, trained weights in
# examples/lenet/lenet5.wts): builds ingot; builds the network through the C network API into
# a plan and classifies the held-out digits with it; then takes the ONNX path a user's model
# takes: writes the same LeNet as ONNX, `ingot build`s it with a dynamic-batch profile,
# checks its outputs against onnxruntime, inspects and benchmarks the plan.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"
./build/examples/lenet --save-plan build/lenet5.plan
python3 examples/lenet/lenet_to_onnx.py build/lenet5.onnx
./build/tools/ingot build build/lenet5.onnx -o build/lenet5_onnx.plan \
  --min-shapes data:1x1x32x32 --opt-shapes data:8x1x32x32 --max-shapes data:64x1x32x32
PYTHONPATH=python INGOT_LIBRARY=build/libingot.so python3 -m ingot.compare build/lenet5.onnx --shapes data:8x1x32x32
./build/tools/ingot inspect build/lenet5_onnx.plan
./build/tools/ingot bench build/lenet5_onnx.plan --shapes data:8x1x32x32 --iterations 200
