#!/usr/bin/env bash
# The main job from a fresh machine: install, build, then run the bundled MTNet-B0 on a generated frame at
# 256x512 and print what it produced and how long it took.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
BUILD_DIR=${BUILD_DIR:-build}
"$BUILD_DIR/tools/tandem" inspect "$BUILD_DIR/models/mtnet_b0_op17_dynamic.onnx" --shape 256x512
"$BUILD_DIR/tools/tandem" run "$BUILD_DIR/models/mtnet_b0_op17_dynamic.onnx" --shape 256x512 \
  --threads "$(nproc)" --warmup 2 --iterations 10 --output-dir "$BUILD_DIR/main_output"
