"""models/onnx_weights.py recovers the committed model's PyTorch weights: the recovered model must reproduce the
ONNX file's outputs (run by models/onnx_numpy_ref.py, float64) on an input size it was not traced at, and a
model that does not match the export must be refused, not half-loaded."""
import os
import sys

import numpy as np
import onnx
import torch

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "models"))
from mtnet import MTNetB0  # noqa: E402
from onnx_numpy_ref import run_model  # noqa: E402
from onnx_weights import load_onnx_weights  # noqa: E402

path = os.path.join(REPO, "models", "mtnet_b0_synthdrive.onnx")
model = MTNetB0()
folded = load_onnx_weights(model, path)
assert folded == [model.seg_head.fuse[1]], f"expected only the seg head's folded BatchNorm back, got {folded}"
model.eval()
x = torch.from_numpy(np.random.RandomState(7).uniform(-2, 2, (1, 3, 96, 160)).astype(np.float32))
with torch.no_grad():
    outs = [t.numpy() for t in model(x)]
refs = run_model(onnx.load(path), {"image": x.numpy()})
for name, out, ref in zip(("seg_logits", "depth"), outs, refs):
    rel = float(np.abs(out - ref).max() / np.abs(ref).max())
    print(f"{name}: max|diff|/max|ref| = {rel:.2e}")
    assert rel < 1e-4, f"{name}: recovered weights differ from the ONNX file ({rel:.2e})"

wrong = MTNetB0()
wrong.seg_head.classifier = torch.nn.Conv2d(256, 7, 1)  # 7 classes: shapes no longer match the export
try:
    load_onnx_weights(wrong, path)
except ValueError as e:
    assert "seg_head.classifier" in str(e), e
    print("mismatched model refused:", e)
else:
    raise AssertionError("a model with 7 classes loaded 19-class weights")
