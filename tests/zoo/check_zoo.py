"""Check Tandem against ONNX Runtime on every model of the zoo: max |tandem - ort| <= 1e-4 * max |ort|.

    python3 tests/zoo/check_zoo.py [--zoo build/zoo] [--tandem build/tools/tandem] [--models a,b]
                                   [--opsets 13,17] [--modes static,dynamic] [--timeout 900] [--json FILE]

For every entry of ZOO/manifest.json (export_zoo.py) and every size it lists, runs

    tandem run MODEL --input ZOO/inputs/HxW.npy [--shape HxW] --threads 1 --output-dir ZOO/tandem/STEM/HxW

(--shape only for dynamic exports) and compares each output with ZOO/ref/STEM/HxW/NAME.npy (ort_reference.js).
Prints one row per model and size: the error ratio max|diff| / max|ref| of the worst output, PASS/FAIL, the time
Tandem took (import, planning and one run) and, for a failure, Tandem's one-line error or what did not match.
Error lines longer than 400 characters are shortened in the table (not in --json).
Combinations torch could not export are listed as SKIP with the reason (they are not Tandem failures).
Exits 1 if anything failed. Needs only python3 and NumPy.
"""

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

TOLERANCE = 1e-4
DETAIL_WIDTH = 400  # the table shortens longer error lines; --json keeps them whole


def compare(ref_dir, out_dir, outputs):
    """Returns (worst ratio or None, problem text or None)."""
    worst = 0.0
    for name in outputs:
        ref_path = os.path.join(ref_dir, name + ".npy")
        out_path = os.path.join(out_dir, name + ".npy")
        if not os.path.exists(ref_path):
            return None, f"no ORT reference {ref_path} (run ort_reference.js)"
        if not os.path.exists(out_path):
            have = sorted(os.listdir(out_dir)) if os.path.isdir(out_dir) else []
            return None, f"tandem wrote no output {name}.npy (wrote {have})"
        ref = np.load(ref_path).astype(np.float64)
        out = np.load(out_path).astype(np.float64)
        if ref.shape != out.shape:
            return None, f"output {name}: shape {list(out.shape)}, ORT {list(ref.shape)}"
        if not np.isfinite(out).all():
            return None, f"output {name}: {int((~np.isfinite(out)).sum())} non-finite values"
        peak = float(np.abs(ref).max())
        err = float(np.abs(out - ref).max())
        ratio = err / peak if peak > 0 else (0.0 if err == 0 else float("inf"))
        worst = max(worst, ratio)
    return worst, None


def error_line(stderr):
    lines = [ln for ln in stderr.strip().splitlines() if ln.strip()]
    for ln in reversed(lines):
        if ln.startswith("tandem: error:"):
            return ln
    return lines[-1] if lines else ""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--zoo", default="build/zoo")
    ap.add_argument("--tandem", default="build/tools/tandem")
    ap.add_argument("--models", default="", help="comma-separated model names (default: all in the manifest)")
    ap.add_argument("--opsets", default="13,17")
    ap.add_argument("--modes", default="static,dynamic")
    ap.add_argument("--timeout", type=float, default=900, help="seconds per tandem run")
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args()

    with open(os.path.join(args.zoo, "manifest.json")) as f:
        manifest = json.load(f)
    models = set(filter(None, args.models.split(",")))
    opsets = {int(v) for v in args.opsets.split(",")}
    modes = set(args.modes.split(","))

    def selected(e):
        return (not models or e["model"] in models) and e["opset"] in opsets and e["mode"] in modes

    rows = []
    env = dict(os.environ, OMP_NUM_THREADS="1")
    header = f"{'model':<30} {'opset':>5} {'mode':<8} {'size':<8} {'err ratio':>10} {'result':<6} {'time s':>7}  detail"
    print(header)
    print("-" * len(header))
    sys.stdout.flush()
    for e in manifest["entries"]:
        if not selected(e):
            continue
        stem = e["file"][:-len(".onnx")]
        for size in e["sizes"]:
            out_dir = os.path.join(args.zoo, "tandem", stem, size)
            os.makedirs(out_dir, exist_ok=True)
            for old in os.listdir(out_dir):
                os.remove(os.path.join(out_dir, old))
            cmd = [args.tandem, "run", os.path.join(args.zoo, e["file"]),
                   "--input", os.path.join(args.zoo, "inputs", size + ".npy")]
            if e["mode"] == "dynamic":
                cmd += ["--shape", size]
            cmd += ["--threads", "1", "--output-dir", out_dir]
            t0 = time.time()
            try:
                proc = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout, env=env)
                rc, stderr = proc.returncode, proc.stderr
            except subprocess.TimeoutExpired:
                rc, stderr = None, f"timed out after {args.timeout:.0f} s"
            seconds = time.time() - t0
            ratio, detail = None, None
            if rc != 0:
                detail = error_line(stderr) if rc is not None else stderr
                if rc is not None and not detail:
                    detail = f"exit code {rc}, nothing on stderr"
            else:
                ratio, detail = compare(os.path.join(args.zoo, "ref", stem, size), out_dir, e["outputs"])
                if detail is None and ratio > TOLERANCE:
                    detail = f"max|diff| / max|ref| = {ratio:.3g} > {TOLERANCE:g}"
            ok = rc == 0 and ratio is not None and ratio <= TOLERANCE
            row = {"file": e["file"], "model": e["model"], "family": e["family"], "opset": e["opset"],
                   "mode": e["mode"], "size": size, "ratio": ratio, "result": "PASS" if ok else "FAIL",
                   "seconds": round(seconds, 2), "detail": detail or ""}
            rows.append(row)
            ratio_text = f"{ratio:.2e}" if ratio is not None else "-"
            shown = row["detail"] if len(row["detail"]) <= DETAIL_WIDTH else row["detail"][:DETAIL_WIDTH] + " ..."
            print(f"{e['model']:<30} {e['opset']:>5} {e['mode']:<8} {size:<8} {ratio_text:>10} {row['result']:<6} "
                  f"{seconds:>7.1f}  {shown}")
            sys.stdout.flush()
    for s in manifest.get("skipped", []):
        if (not models or s["model"] in models) and s["opset"] in opsets and s["mode"] in modes:
            rows.append({"file": s["file"], "model": s["model"], "opset": s["opset"], "mode": s["mode"],
                         "size": "-", "ratio": None, "result": "SKIP", "seconds": 0,
                         "detail": "export: " + s["reason"]})
            print(f"{s['model']:<30} {s['opset']:>5} {s['mode']:<8} {'-':<8} {'-':>10} {'SKIP':<6} {'':>7}  "
                  f"torch cannot export it: {s['reason']}")
    passed = sum(r["result"] == "PASS" for r in rows)
    failed = sum(r["result"] == "FAIL" for r in rows)
    skipped = sum(r["result"] == "SKIP" for r in rows)
    print(f"check_zoo: {passed} passed, {failed} failed, {skipped} skipped (export) "
          f"of {len(rows)}; tolerance max|diff| <= {TOLERANCE:g} * max|ref|")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"tolerance": TOLERANCE, "rows": rows}, f, indent=1)
    if not rows:
        print("check_zoo: nothing selected", file=sys.stderr)
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
