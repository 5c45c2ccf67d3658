#!/usr/bin/env bash
# ingot's GPU tests, for a machine with an NVIDIA GPU (CUDA 12+ driver, cuDNN 9 and
# cuBLASLt libraries on the library path).
#
#   scripts/gpu-test.sh [BUILD_DIR]          run the GPU tests of a CUDA build (default build-cuda)
#   scripts/gpu-test.sh --pack BUILD_DIR OUT copy only what the run needs (test programs, the
#                                            library, lenet, the ingot tool, libprotobuf-c)
#                                            into OUT, to carry to a GPU machine without
#                                            the whole build tree
#
# It prints the GPU, runs tests/gpu (every own CUDA kernel, every cuBLASLt and cuDNN tactic against the CPU
# reference; CUDA engines against CPU engines, with ONNX models from models/make_models.py
# when Python has onnx; the attention layer's Python tests on the CUDA target; the example
# plugins' CUDA enqueue), the CPU tactic tests on the host's
# CPU (its AVX-512 paths), the LeNet example on the GPU (accuracy at least 0.95), and ends
# with a table of results. Exit status: the number of failed steps.
set -u
if [ "${1:-}" = "--pack" ]; then
  src=${2:?--pack needs BUILD_DIR}; out=${3:?--pack needs OUT}
  mkdir -p "$out/tests/gpu" "$out/examples" "$out/tools"
  cp -a "$src"/libingot.so* "$out/"
  cp "$src"/tests/gpu/test_gpu_* "$src"/tests/gpu/test_cuda_* "$out/tests/gpu/" 2>/dev/null
  rm -f "$out"/tests/gpu/*.cmake
  [ -x "$src/examples/lenet" ] && cp "$src/examples/lenet" "$out/examples/"
  [ -x "$src/tools/ingot" ] && cp "$src/tools/ingot" "$out/tools/"
  [ -x "$src/tests/test_tactics_cpu" ] && cp "$src/tests/test_tactics_cpu" "$out/tests/"
  [ -f "$src/examples/libingot_example_plugins.so" ] && cp "$src/examples/libingot_example_plugins.so" "$out/examples/"
  for lib in /usr/lib/x86_64-linux-gnu/libprotobuf-c.so.1 "$src/libprotobuf-c.so.1"; do
    [ -f "$lib" ] && cp -L "$lib" "$out/" && break
  done
  # oneDNN (a CPU tactic source) is linked in where it was found; the GPU machine lacks it
  dnnl=$(ldd "$src/libingot.so" 2>/dev/null | awk '/libdnnl/ {print $3}')
  [ -n "$dnnl" ] && [ -f "$dnnl" ] && cp -L "$dnnl" "$out/"
  du -sh "$out"
  exit 0
fi
build=${1:-build-cuda}
root=$(cd "$(dirname "$0")/.." && pwd)
export LD_LIBRARY_PATH="$build:${LD_LIBRARY_PATH:-}"
export NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader || echo "nvidia-smi: none"
results=()
failed=0
step() { # name, command...
  local name=$1; shift
  local t0=$(date +%s%N)
  "$@"
  local rc=$?
  local ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  case $rc in 0) r=passed ;; 77) r=skipped ;; *) r="FAILED ($rc)"; failed=$((failed + 1)) ;; esac
  results+=("$(printf '%-28s %-12s %8d ms' "$name" "$r" "$ms")")
}
models=""
if python3 -c "import onnx" 2>/dev/null; then
  models=$(mktemp -d)
  python3 "$root/models/make_models.py" --small --only "${INGOT_GPU_MODELS:-resnet50,mobilenetv2,bert_base,gpt_decoder,vit_b16}" --out "$models" \
    >/dev/null || models=""
fi
step test_cuda_kernels "$build/tests/gpu/test_cuda_kernels"
step test_gpu_tactics "$build/tests/gpu/test_gpu_tactics"
INGOT_GPU_ONNX_DIR=$models step test_gpu_engine "$build/tests/gpu/test_gpu_engine"
# the attention layer and its pattern on the CUDA tactics (float32 and fp16), through Python
if python3 -c "import numpy, onnx, onnxruntime, pytest" 2>/dev/null; then
  INGOT_TARGET=cuda INGOT_LIBRARY="$build/libingot.so" PYTHONPATH="$root/python:${PYTHONPATH:-}" \
    step python_cuda_attention python3 -m pytest -q -p no:cacheprovider "$root/tests/python/test_attention.py"
else
  echo "python_cuda_attention: skipped (Python lacks numpy, onnx, onnxruntime or pytest)"
fi
# the example plugin library's CUDA path (examples/plugin)
INGOT_EXAMPLE_PLUGINS="$build/examples/libingot_example_plugins.so" step test_gpu_plugin "$build/tests/gpu/test_gpu_plugin"
# The CPU tactics on this host's CPU: GPU hosts have AVX-512, which the development
# machine may lack, so this is where the AVX-512 micro-kernels and loops get checked.
if [ -x "$build/tests/test_tactics_cpu" ]; then
  grep -q avx512f /proc/cpuinfo && echo "host CPU: AVX-512" || echo "host CPU: no AVX-512"
  step cpu_tactics_host_isa "$build/tests/test_tactics_cpu"
fi
if [ -x "$build/examples/lenet" ]; then
  data="$root/examples/lenet"
  files=(--wts "$data/lenet5.wts" --images "$data/digits_test_images.npy" --labels "$data/digits_test_labels.npy")
  step lenet_cuda "$build/examples/lenet" "${files[@]}" --device cuda --min-accuracy 0.95
  step lenet_cpu "$build/examples/lenet" "${files[@]}" --min-accuracy 0.95
fi
echo
echo "GPU test results:"
printf '%s\n' "${results[@]}"
exit $failed
