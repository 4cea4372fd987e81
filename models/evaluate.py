"""Evaluate MTNet-B0 on SynthDrive: mIoU / pixel accuracy, and the KITTI depth metrics.

    /usr/bin/python3 models/evaluate.py --weights models/mtnet_b0_synthdrive.pt [--seed 3000 --count 200]
    /usr/bin/python3 models/evaluate.py --onnx models/mtnet_b0_synthdrive.onnx --count 5   # NumPy reference

Segmentation: the 1/4-resolution logits are upsampled bilinearly to full resolution, then argmax; intersection
and union are summed over the whole set per class, and classes absent from the whole set's ground truth are
left out of the mean; label 255 is ignored. Depth: per image over ground truth in (1e-3, 80] m, predictions
clamped to [1e-3, 80], then averaged over images. By default it runs the held-out TEST set (seed 3000, 200
frames at 256x512).
"""

import argparse
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mtnet import MAX_DEPTH, NUM_CLASSES, MTNetB0  # noqa: E402
from train import IGNORE, MIN_DEPTH, REPO, TEST_SEED, normalize, synth_set  # noqa: E402

CLASS_NAMES = ("road", "sidewalk", "building", "wall", "fence", "pole", "traffic light", "traffic sign",
               "vegetation", "terrain", "sky", "person", "rider", "car", "truck", "bus", "train", "motorcycle",
               "bicycle")
DEPTH_KEYS = ("abs_rel", "sq_rel", "rmse", "rmse_log", "d1", "d2", "d3")


def confusion(pred, label):
    """[C, C] counts, rows = ground truth, for one batch; ignore pixels dropped."""
    keep = label != IGNORE
    idx = label[keep] * NUM_CLASSES + pred[keep]
    return torch.bincount(idx, minlength=NUM_CLASSES * NUM_CLASSES).view(NUM_CLASSES, NUM_CLASSES)


def depth_metrics(pred, gt):
    """KITTI metrics of one image, or None when it has no valid ground truth."""
    valid = (gt > MIN_DEPTH) & (gt <= MAX_DEPTH)
    if not valid.any():
        return None
    p, g = pred[valid].clamp(MIN_DEPTH, MAX_DEPTH).double(), gt[valid].double()
    ratio = torch.maximum(p / g, g / p)
    return {"abs_rel": ((p - g).abs() / g).mean().item(), "sq_rel": ((p - g) ** 2 / g).mean().item(),
            "rmse": ((p - g) ** 2).mean().sqrt().item(),
            "rmse_log": ((p.log() - g.log()) ** 2).mean().sqrt().item(),
            "d1": (ratio < 1.25).double().mean().item(), "d2": (ratio < 1.25 ** 2).double().mean().item(),
            "d3": (ratio < 1.25 ** 3).double().mean().item()}


def summarize(conf, per_image):
    conf = conf.double()
    tp, gt, pr = conf.diag(), conf.sum(1), conf.sum(0)
    iou = tp / (gt + pr - tp).clamp_min(1)
    present = gt > 0
    out = {"mIoU": iou[present].mean().item(), "pixel_acc": (tp.sum() / gt.sum()).item(),
           "classes_in_gt": int(present.sum()),
           "per_class_iou": {CLASS_NAMES[c]: (iou[c].item() if present[c] else None) for c in range(NUM_CLASSES)},
           "per_class_pixels": {CLASS_NAMES[c]: int(gt[c]) for c in range(NUM_CLASSES)},
           "images_with_depth": len(per_image)}
    for k in DEPTH_KEYS:
        out[k] = float(np.mean([m[k] for m in per_image]))
    return out


def evaluate(run, frames, batch=4, limit=None):
    """run(x normalised [B,3,H,W]) -> (seg_logits [B,19,H/4,W/4], depth [B,1,H,W]) as torch tensors."""
    n = len(frames) if limit is None else min(limit, len(frames))
    conf = torch.zeros(NUM_CLASSES, NUM_CLASSES, dtype=torch.int64)
    per_image = []
    for start in range(0, n, batch):
        rgb, label, depth = frames.tensors(range(start, min(n, start + batch)))
        seg, pred = run(normalize(rgb))
        seg = F.interpolate(seg, size=label.shape[-2:], mode="bilinear", align_corners=False)
        conf += confusion(seg.argmax(1), label)
        for p, g in zip(pred, depth):
            m = depth_metrics(p, g)
            if m is not None:
                per_image.append(m)
    return summarize(conf, per_image)


def evaluate_model(model, frames, batch=4, limit=None):
    model.eval()
    with torch.no_grad():
        return evaluate(model, frames, batch, limit)


def onnx_runner(path):
    """Runs the ONNX file with models/onnx_numpy_ref.py (float64 NumPy, slow: seconds per frame)."""
    import onnx
    from onnx_numpy_ref import run_model
    proto = onnx.load(path)

    def run(x):
        segs, depths = [], []
        for xi in x:
            s, d = run_model(proto, {"image": xi[None].numpy()})
            segs.append(torch.from_numpy(np.asarray(s, np.float32)))
            depths.append(torch.from_numpy(np.asarray(d, np.float32)))
        return torch.cat(segs), torch.cat(depths)
    return run


def print_table(m):
    print(f"mIoU {m['mIoU']:.4f} over {m['classes_in_gt']} classes present, pixel acc {m['pixel_acc']:.4f}")
    print("  ".join(f"{k} {m[k]:.4f}" for k in DEPTH_KEYS))
    for name, iou in m["per_class_iou"].items():
        pix = m["per_class_pixels"][name]
        print(f"  {name:14} {'absent' if iou is None else f'{iou:.4f}':>7}   {pix:>10} px")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--weights", help="state_dict (.pt), or a train.py checkpoint holding one under 'model'")
    src.add_argument("--onnx", help="ONNX file, run with the NumPy reference interpreter")
    ap.add_argument("--cache", default=os.path.join(REPO, "build", "synthdrive"))
    ap.add_argument("--seed", type=int, default=TEST_SEED, help="SynthDrive set (3000 = the TEST set)")
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--size", default="256x512", help="HxW")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", help="also write the metrics here")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    size = tuple(int(v) for v in args.size.split("x"))
    frames = synth_set(args.cache, args.seed, args.count, size)
    if args.weights:
        state = torch.load(args.weights)
        model = MTNetB0()
        model.load_state_dict(state.get("model", state))
        metrics = evaluate_model(model, frames)
    else:
        metrics = evaluate(onnx_runner(args.onnx), frames, batch=1)
    metrics.update({"set": f"synth:{args.seed}:{len(frames)}", "size": args.size,
                    "source": args.weights or args.onnx})
    print_table(metrics)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(metrics, f, indent=1)


if __name__ == "__main__":
    main()
