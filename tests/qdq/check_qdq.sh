#!/usr/bin/env bash
# Q/DQ export round trip: calibrate MTNet-B0 (min-max, 4 SynthDrive frames at 128x256) and write it as a Q/DQ
# ONNX model; run that model with ONNX Runtime (its int8 kernels) and with Tandem (explicit int8 from the Q/DQ
# nodes), and the float model with Tandem; compare (compare_qdq.py states the tolerances).
#
#   tests/qdq/check_qdq.sh TANDEM MODEL WORK_DIR
set -euo pipefail
TANDEM=$1 MODEL=$2 WORK=$3
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
if [ ! -f "$ROOT/bench/node_modules/onnxruntime-node/package.json" ]; then
  (cd "$ROOT/bench" && npm ci --ignore-scripts --no-audit --no-fund >/dev/null)
fi
rm -rf "$WORK" && mkdir -p "$WORK"
"$TANDEM" calibrate "$MODEL" --data synth:4000:4 --shape 128x256 --method minmax --cache "$WORK/cal.cache" \
  --export-qdq "$WORK/qdq.onnx" 2>/dev/null
/usr/bin/python3 -c "import numpy as np; np.save('$WORK/x.npy', np.random.RandomState(0).standard_normal((1, 3, 128, 256)).astype(np.float32))"
node "$ROOT/tests/qdq/ort_run.js" --model "$WORK/qdq.onnx" --input "$WORK/x.npy" --out "$WORK/ort"
"$TANDEM" run "$WORK/qdq.onnx" --input "$WORK/x.npy" --output-dir "$WORK/tandem_qdq" >/dev/null
"$TANDEM" run "$MODEL" --input "$WORK/x.npy" --output-dir "$WORK/tandem_fp32" >/dev/null
/usr/bin/python3 "$ROOT/tests/qdq/compare_qdq.py" "$WORK/ort" "$WORK/tandem_qdq" "$WORK/tandem_fp32"
