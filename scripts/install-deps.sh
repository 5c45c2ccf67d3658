#!/usr/bin/env bash
# Installs what building and testing ingot needs on Debian 12: a C compiler, CMake,
# pkg-config, Python with NumPy and pytest (the test oracle), scikit-learn (the LeNet
# training data). Safe to run again.
set -euo pipefail
need_apt=()
for tool in cmake gcc pkg-config python3 make; do command -v "$tool" >/dev/null || need_apt+=("$tool"); done
if ((${#need_apt[@]})); then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq cmake gcc make pkg-config python3 python3-pip python3-venv
fi
python3 - <<'PY' || python3 -m pip install -q numpy pytest scikit-learn || python3 -m pip install -q --break-system-packages numpy pytest scikit-learn
import numpy, pytest, sklearn
PY
