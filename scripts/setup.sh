#!/usr/bin/env bash
# Installs everything Tandem needs on a fresh Debian 12 machine (as root). Safe to re-run: it skips apt
# when every package is already installed. Extra package names given as arguments are installed too
# (scripts/fuzz.sh adds clang and its libFuzzer runtime).
set -euo pipefail

# ocl-icd-opencl-dev: only a Recommends of libdnnl-dev, but its CMake config (GPU runtime OCL) requires OpenCL.
PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  libonnx-dev libprotobuf-dev protobuf-compiler libonnx-testdata
  libdnnl-dev ocl-icd-opencl-dev libcli11-dev nlohmann-json3-dev libstb-dev zlib1g-dev libjpeg62-turbo-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3-torch python3-torchvision python3-onnx python3-numpy python3-pil libopenblas0-openmp
  python3-dev pybind11-dev python3-pytest
)
# Node.js is only needed by bench/ (ONNX Runtime through npm). These machines ship Node 20 with npm 11, which
# Debian's older npm package conflicts with, so install Debian's only where no node is present at all.
if ! command -v node >/dev/null 2>&1; then PACKAGES+=(nodejs npm); fi
PACKAGES+=("$@")

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
echo "setup: all dependencies present"
