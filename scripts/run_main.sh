#!/usr/bin/env bash
# The main job from a fresh machine: install, build, then run the trained MTNet-B0 (models/, trained on
# SynthDrive) with Tandem's CPU engine on generated test frames (seed 3000, never used in training) at 256x512:
# accuracy and speed, three visualisations (input | segmentation | depth) of frame 0 of sets 3000-3002 (none used
# in training, validation or calibration), and a one-line summary.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
BUILD_DIR=${BUILD_DIR:-build}
TANDEM="$BUILD_DIR/tools/tandem"
MODEL=models/mtnet_b0_synthdrive.onnx
OUT="$BUILD_DIR/main_output"
FRAMES=${MAIN_FRAMES:-50}
mkdir -p "$OUT"
"$TANDEM" inspect "$MODEL" --shape 256x512
"$TANDEM" eval "$MODEL" --data "synth:3000:$FRAMES" --shape 256x512 --threads "$(nproc)" --json "$OUT/eval.json"
for seed in 3000 3001 3002; do
  "$TANDEM" visualize "$MODEL" --input "synth:$seed" --shape 256x512 --threads "$(nproc)" --out "$OUT/visualize_$seed.png"
done
/usr/bin/python3 - "$OUT/eval.json" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))
print(f"main: {e['frames']} frames {e['input_shape']} of {e['data']}, {e['timing']['ms_per_frame_median']:.1f} ms/frame "
      f"({e['threads']} threads), mIoU {e['segmentation']['miou']:.3f}, depth AbsRel {e['depth']['abs_rel']:.3f}, "
      f"delta<1.25 {e['depth']['delta1']:.3f}; visualisations in {sys.argv[1].rsplit('/', 1)[0]}/visualize_*.png")
PY
