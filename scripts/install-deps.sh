#!/usr/bin/env bash
# Installs what building and testing ingot needs on Debian 12: a C compiler, CMake,
# pkg-config, protobuf-c (the ONNX reader), oneDNN (libdnnl-dev: the CPU's second tactic
# source; ingot builds without it), Python with NumPy and pytest (the test oracle),
# onnx and onnxruntime (test models and the reference they are checked against),
# scikit-learn (the LeNet training data). Safe to run again.
set -euo pipefail
need_apt=()
for tool in cmake gcc pkg-config python3 make protoc-c; do command -v "$tool" >/dev/null || need_apt+=("$tool"); done
[ -f /usr/include/protobuf-c/protobuf-c.h ] || need_apt+=(libprotobuf-c-dev)
[ -f /usr/include/oneapi/dnnl/dnnl.h ] || need_apt+=(libdnnl-dev)
if ((${#need_apt[@]})); then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq cmake gcc make pkg-config python3 python3-pip protobuf-c-compiler libprotobuf-c-dev python3-venv libdnnl-dev
fi
python3 - <<'PY' || python3 -m pip install -q numpy pytest scikit-learn onnx==1.23.2 onnxruntime || python3 -m pip install -q --break-system-packages numpy pytest scikit-learn onnx==1.23.2 onnxruntime
import numpy, pytest, sklearn, onnx, onnxruntime
assert onnx.__version__ == "1.23.2"
PY
