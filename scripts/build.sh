#!/usr/bin/env bash
# Configures and builds Tandem (Release) into build/, and exports the reference model files the tests and the
# parity tests use into build/models (PyTorch, random weights from seed 0; the trained model is models/mtnet_b0_synthdrive.onnx).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C "$BUILD_DIR"
if [ ! -f "$BUILD_DIR/models/manifest.json" ]; then
  echo "build: exporting MTNet-B0 to $BUILD_DIR/models"
  /usr/bin/python3 models/export.py --out "$BUILD_DIR/models"
fi
