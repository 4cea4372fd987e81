"""The INT8 accuracy table: every calibrator, heads-only and all-INT8, against the FP32 model on held-out frames.

    python3 bench/int8_accuracy.py [--model models/mtnet_b0_synthdrive.onnx] [--frames 200] [--calib synth:4000:200]

Steps (all with build/tools/tandem): one calibration pass writes a cache per method (entropy, minmax, percentile,
mse); for each method two engines are built, "heads": backbone bf16 (bf16 allowed: per layer the faster of fp32
and bf16 kernels where the CPU has native bf16, fp32 elsewhere) on core 0 +
both heads int8 on core 1, the webinar's deployment, and "all": the whole model int8 on one unit; each engine is
evaluated with `tandem eval ENGINE --reference MODEL` on the test frames (SynthDrive seed 3000, disjoint from
training 1000, validation 2000 and calibration 4000). Prints a markdown table and writes OUT/table.json.
Plain python3 (standard library only).
"""

import argparse
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
METHODS = ("entropy", "minmax", "percentile", "mse")


def run(cmd):
    print("+ " + " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def plan(stages, units):
    return {"version": 1, "units": units, "fallback_unit": units[0]["name"], "in_flight": 1, "stages": stages}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "mtnet_b0_synthdrive.onnx"))
    ap.add_argument("--tandem", default=os.path.join(ROOT, "build", "tools", "tandem"))
    ap.add_argument("--frames", type=int, default=200)
    ap.add_argument("--calib", default="synth:4000:200")
    ap.add_argument("--shape", default="256x512")
    ap.add_argument("--methods", default=",".join(METHODS))
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "int8_accuracy"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    methods = args.methods.split(",")
    t0 = time.time()
    T = args.tandem
    cache = os.path.join(args.out, "cal.cache")
    run([T, "calibrate", args.model, "--data", args.calib, "--shape", args.shape, "--method", ",".join(methods),
         "--cache", cache, "--threads", "2"])
    cache_of = {m: cache if len(methods) == 1 else os.path.join(args.out, f"cal.{m}.cache") for m in methods}

    # The trunk/head split as `tandem plan` finds it, then the two precision layouts.
    heads_path = os.path.join(args.out, "heads_fp32.json")
    run([T, "plan", args.model, "--shape", args.shape, "-o", heads_path])
    with open(heads_path) as f:
        heads = json.load(f)
    for s in heads["stages"]:
        s["precision"] = "bf16" if s["name"] == "backbone" else "int8"
    heads["in_flight"] = 1
    outputs = [o for s in heads["stages"] if s["name"] != "backbone" for o in s["outputs"]]
    all_int8 = plan([{"name": "all", "unit": "cpu", "outputs": outputs, "precision": "int8"}],
                    [{"name": "cpu", "kind": "cpu", "cores": [0, 1]}])
    plans = {"heads": heads, "all": all_int8}
    for name, p in plans.items():
        with open(os.path.join(args.out, f"{name}_int8.json"), "w") as f:
            json.dump(p, f, indent=1)

    data = f"synth:3000:{args.frames}"
    rows = []
    for m in methods:
        for name in plans:
            engine = os.path.join(args.out, f"{name}_{m}.tdm")
            run([T, "build", args.model, "--plan", os.path.join(args.out, f"{name}_int8.json"), "--shape",
                 args.shape, "--calib-cache", cache_of[m], "-o", engine])
            report = os.path.join(args.out, f"eval_{name}_{m}.json")
            run([T, "eval", engine, "--data", data, "--shape", args.shape, "--reference", args.model, "--threads", "2",
                 "--json", report])
            with open(report) as f:
                e = json.load(f)
            ref, c = e["reference"], e["comparison"]
            rows.append({
                "config": name, "method": m,
                "miou": e["segmentation"]["miou"], "miou_fp32": ref["segmentation"]["miou"],
                "abs_rel": e["depth"]["abs_rel"], "abs_rel_fp32": ref["depth"]["abs_rel"],
                "delta1": e["depth"]["delta1"], "delta1_fp32": ref["depth"]["delta1"],
                "seg_agreement": c["seg_argmax_agreement"], "depth_rel_error": c["depth_mean_rel_error"],
                "ms_per_frame": e["timing"]["ms_per_frame_median"],
            })
    with open(os.path.join(args.out, "table.json"), "w") as f:
        json.dump({"model": args.model, "frames": data, "calibration": args.calib, "rows": rows}, f, indent=1)
    fp = rows[0]
    print(f"\n{data} at {args.shape}; calibration {args.calib}; FP32: mIoU {fp['miou_fp32']:.4f}, AbsRel "
          f"{fp['abs_rel_fp32']:.4f}, delta<1.25 {fp['delta1_fp32']:.4f}\n")
    print("| configuration | calibrator | mIoU | ΔmIoU (points) | AbsRel | ΔAbsRel | δ<1.25 | seg argmax agreement "
          "| depth rel. error |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    label = {"heads": "backbone bf16 + heads int8", "all": "all int8"}
    for r in rows:
        print(f"| {label[r['config']]} | {r['method']} | {r['miou']:.4f} | {100 * (r['miou'] - r['miou_fp32']):+.2f} | "
              f"{r['abs_rel']:.4f} | {r['abs_rel'] - r['abs_rel_fp32']:+.4f} | {r['delta1']:.4f} | "
              f"{100 * r['seg_agreement']:.2f} % | {100 * r['depth_rel_error']:.2f} % |")
    print(f"\n({time.time() - t0:.0f} s)")


if __name__ == "__main__":
    sys.exit(main())
