"""The model card's accuracy table: Tandem's `tandem eval --json` next to PyTorch's `models/evaluate.py --json` on the
same frames, and whether the two agree to 3 decimals.

    python3 models/compare_metrics.py --tandem build/eval_tandem.json --torch build/eval_torch.json [--targets]

Prints markdown: the headline metrics, then per-class IoU. Exits 1 when a headline metric differs in the third
decimal (|a - b| >= 0.0005; rounding both to 3 decimals could split 0.70749 and 0.70751), so a script can check the agreement. With --targets
it also says which of the model card's targets (mIoU >= 0.70, delta1 >= 0.85, AbsRel <= 0.15) Tandem's numbers meet.
Plain standard library; any python3.
"""

import argparse
import json
import sys

# (label, key in Tandem's JSON (segmentation/depth), key in evaluate.py's JSON, higher is better)
HEADLINE = (("mIoU", ("segmentation", "miou"), "mIoU", True),
            ("pixel accuracy", ("segmentation", "pixel_accuracy"), "pixel_acc", True),
            ("AbsRel", ("depth", "abs_rel"), "abs_rel", False),
            ("SqRel", ("depth", "sq_rel"), "sq_rel", False),
            ("RMSE, m", ("depth", "rmse"), "rmse", False),
            ("RMSE log", ("depth", "rmse_log"), "rmse_log", False),
            ("δ < 1.25", ("depth", "delta1"), "d1", True),
            ("δ < 1.25²", ("depth", "delta2"), "d2", True),
            ("δ < 1.25³", ("depth", "delta3"), "d3", True))
TARGETS = (("mIoU", ("segmentation", "miou"), lambda v: v >= 0.70, "≥ 0.70"),
           ("δ < 1.25", ("depth", "delta1"), lambda v: v >= 0.85, "≥ 0.85"),
           ("AbsRel", ("depth", "abs_rel"), lambda v: v <= 0.15, "≤ 0.15"))


def load(path):
    with open(path) as f:
        return json.load(f)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tandem", required=True, help="tandem eval --json output")
    ap.add_argument("--torch", required=True, help="models/evaluate.py --json output")
    ap.add_argument("--targets", action="store_true", help="also check the model card's targets")
    args = ap.parse_args()
    t, p = load(args.tandem), load(args.torch)

    print(f"Tandem: `{t.get('model')}` on {t.get('data')} at {t.get('input_shape')}, {t.get('frames')} frames; "
          f"PyTorch: `{p.get('source')}` on {p.get('set')} at {p.get('size')}\n")
    print("| metric | Tandem | PyTorch | equal to 3 decimals |")
    print("|---|---:|---:|:---:|")
    all_equal = True
    for label, (group, key), torch_key, _ in HEADLINE:
        a, b = t[group][key], p[torch_key]
        equal = abs(a - b) < 5e-4
        all_equal &= equal
        print(f"| {label} | {a:.5f} | {b:.5f} | {'yes' if equal else '**no**'} |")
    print("\n| class | IoU (Tandem) | IoU (PyTorch) |")
    print("|---|---:|---:|")
    for c in t["segmentation"]["classes"]:
        a, b = c["iou"], p["per_class_iou"].get(c["name"])
        fa = "absent" if a is None else f"{a:.3f}"
        fb = "absent" if b is None else f"{b:.3f}"
        print(f"| {c['name']} | {fa} | {fb} |")
    if args.targets:
        print("\nIssue 3 targets (Tandem's numbers): " + "; ".join(
            f"{label} {t[g][k]:.3f} {want}: {'met' if ok(t[g][k]) else 'NOT met'}"
            for label, (g, k), ok, want in TARGETS))
    print(f"\nTandem and PyTorch agree to 3 decimals on every headline metric: {'yes' if all_equal else 'NO'}")
    sys.exit(0 if all_equal else 1)


if __name__ == "__main__":
    main()
