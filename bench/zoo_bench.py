#!/usr/bin/env python3
"""Zoo benchmark: Tandem vs ONNX Runtime on the torchvision models of the conformance harness.

    python3 bench/zoo_bench.py [--zoo build/zoo] [--models squeezenet1_1,resnet18] [--threads 1,2] [--rounds 3]
        [--iterations 10] [--warmup 2] [--opset 17] [--mode static] [--profile flagged|all|none] [--json OUT]

Both runtimes run the same ONNX file (tests/zoo/export_zoo.py's MODEL_op17_static.onnx by default) on the same
input (the zoo's inputs/HxW.npy at the model's export size). Per (model, threads) the ORT worker
(bench/peers/ort_worker.js) starts once and keeps its session; then --rounds rounds alternate Tandem and ORT
(Tandem, ORT, Tandem, ORT, ...), each round giving a runtime --warmup untimed and --iterations timed inferences.
Tandem runs once per round as compare_peers.py runs it (`tandem run MODEL --shape HxW --threads N --iterations K
--warmup W --times-json FILE --input X.npy`); only its per-iteration times count, not start-up or engine build, as
ORT's session creation does not count either. Reported per model and thread count: the median of all timed
iterations of each runtime (rounds pooled), the ratio of those medians Tandem/ORT (below 1: Tandem is faster)
and the min-max of the per-round ratios (median Tandem / median ORT within one round) as its spread; then the
geometric mean of the ratios over the models per thread count, and a flag on every model whose ratio exceeds
--flag (1.3). With --profile flagged (the default) each flagged model is also run once with `tandem run --profile`
and its per-operator times are printed and kept in the JSON. Plain standard library; any python3.
"""

import argparse
import datetime
import json
import math
import os
import shlex
import shutil
import subprocess
import sys

BENCH = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH)
sys.path.insert(0, BENCH)
import compare_peers as peers  # noqa: E402 - the worker, Tandem launcher, statistics and environment probes

# export_zoo.py's MODELS order (cheapest first); the manifest gives the families and sizes.
DEFAULT_MODELS = ("squeezenet1_1,mobilenet_v3_small,shufflenet_v2_x1_0,mobilenet_v2,regnet_y_400mf,"
                  "mobilenet_v3_large,efficientnet_b0,resnet18,lraspp_mobilenet_v3_large,"
                  "deeplabv3_mobilenet_v3_large,resnet50,convnext_tiny,swin_t,fcn_resnet50")


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def fail(msg):
    log(f"zoo_bench: error: {msg}")
    sys.exit(2)


def geomean(values):
    values = [v for v in values if v and v > 0]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else None


def entry_input(args, entry):
    h, w = entry["export_size"]
    return entry.get("input_npy") or os.path.join(args.zoo, "inputs", f"{h}x{w}.npy")


def write_input_npy(path, shape, seed=0):
    """A float32 .npy of standard-normal values (Box-Muller on random.Random(seed)), written with the standard
    library only, so that --onnx needs no numpy."""
    import random
    import struct
    rng = random.Random(seed)
    count = math.prod(shape)
    values = []
    while len(values) < count:
        u1, u2 = rng.random() or 1e-12, rng.random()
        r = math.sqrt(-2.0 * math.log(u1))
        values += [r * math.cos(2 * math.pi * u2), r * math.sin(2 * math.pi * u2)]
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % ", ".join(str(d) for d in shape)
    if len(shape) == 1:
        header = header.replace(")", ",)")
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1"))
        f.write(struct.pack(f"<{count}f", *values[:count]))


def file_entries(paths, size, out_dir):
    """--onnx: arbitrary ONNX files (one image input [1, 3, H, W]) at --size, fed one random input."""
    h, w = size
    input_path = os.path.join(out_dir, f"input_1x3x{h}x{w}.npy")
    if not os.path.isfile(input_path):
        write_input_npy(input_path, (1, 3, h, w))
    entries = []
    for p in paths:
        if not os.path.isfile(p):
            fail(f"--onnx {p}: no such file")
        entries.append({"model": os.path.splitext(os.path.basename(p))[0], "family": "file",
                        "file": os.path.abspath(p), "export_size": [h, w], "input_npy": input_path})
    return entries


def select_entries(manifest, names, opset, mode):
    by_key = {(e["model"], e["opset"], e["mode"]): e for e in manifest.get("entries", [])}
    skipped = {(s["model"], s["opset"], s["mode"]): s for s in manifest.get("skipped", [])}
    chosen, missing = [], []
    for name in names:
        e = by_key.get((name, opset, mode))
        if e:
            chosen.append(e)
        else:
            why = skipped.get((name, opset, mode), {}).get("reason", "not in the manifest")
            missing.append(f"{name} (op{opset} {mode}: {why})")
    return chosen, missing


def tandem_profile(args, model_path, size, threads, input_path):
    """One `tandem run --profile`: the per-operator and slowest-kernel lines it prints (a separate, untimed run)."""
    argv = [args.tandem, "run", model_path, "--shape", size, "--threads", str(threads), "--input", input_path,
            "--iterations", "3", "--warmup", "1", "--profile", "--profile-layers", "8"]
    try:
        proc = subprocess.run(argv, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              timeout=args.timeout)
    except (OSError, subprocess.TimeoutExpired) as e:
        return {"command": shlex.join(argv), "error": str(e)}
    lines = proc.stdout.splitlines()
    start = next((i for i, ln in enumerate(lines) if ln.strip().startswith("profile")), len(lines))
    return {"command": shlex.join(argv), "returncode": proc.returncode, "text": "\n".join(lines[start:])}


def bench_one(args, entry, threads, worker):
    """Alternating rounds for one (model, threads): Tandem, ORT, Tandem, ORT, ... Returns the result entry."""
    model_path = os.path.join(args.zoo, entry["file"])
    h, w = entry["export_size"]
    size = f"{h}x{w}"
    input_path = entry.get("input_npy") or os.path.join(args.zoo, "inputs", f"{size}.npy")
    rounds = {"tandem": [], "ort": []}
    outputs = {"tandem": None, "ort": None}
    tandem_info = None
    for r in range(args.rounds):
        doc = peers.run_tandem(args, model_path, h, w, threads, input_path)
        rounds["tandem"].append([float(t) for t in doc["times_ms"]])
        outputs["tandem"] = doc.get("outputs") or outputs["tandem"]
        tandem_info = tandem_info or {k: v for k, v in doc.items() if k != "times_ms"}
        answer = worker.request({"cmd": "run", "input": input_path, "iterations": args.iterations,
                                 "warmup": args.warmup})
        rounds["ort"].append([float(t) for t in answer["times_ms"]])
        outputs["ort"] = answer.get("outputs")
        log(f"{entry['model']} {size}, {threads} thread(s), round {r + 1}/{args.rounds}: tandem "
            f"{peers.percentile(rounds['tandem'][-1], 50):.2f}, ort {peers.percentile(rounds['ort'][-1], 50):.2f}"
            " ms (median)")
    t = peers.summary([x for rt in rounds["tandem"] for x in rt])
    o = peers.summary([x for rt in rounds["ort"] for x in rt])
    per_round = [peers.percentile(a, 50) / peers.percentile(b, 50) for a, b in zip(rounds["tandem"], rounds["ort"])]
    ratio = t["median_ms"] / o["median_ms"]
    return {"model": entry["model"], "family": entry["family"], "file": entry["file"], "size": size,
            "threads": threads, "tandem": {"summary": t, "rounds_ms": rounds["tandem"], "info": tandem_info},
            "ort": {"summary": o, "rounds_ms": rounds["ort"]},
            "ratio": ratio, "per_round_ratios": per_round, "per_round_min": min(per_round),
            "per_round_max": max(per_round), "flagged": ratio > args.flag,
            "output_check": peers.check_outputs(outputs, rel_tol=output_tolerance(entry["file"]))}


def output_tolerance(path):
    """1e-3 for float models; 1e-2 for Q/DQ (int8) ones, where two runtimes' int8 kernels legitimately round apart
    (Tandem and ORT on MTNet-B0's Q/DQ export: 1.8e-3 on a mean). The op type is a plain string in the protobuf."""
    try:
        with open(path, "rb") as f:
            return 1e-2 if b"QuantizeLinear" in f.read() else 1e-3
    except OSError:
        return 1e-3


def markdown(entries, results, threads_list, flag):
    head = "| model | family | input |"
    rule = "|---|---|---|"
    for n in threads_list:
        head += f" Tandem ms ({n}T) | ORT ms ({n}T) | Tandem/ORT ({n}T) | per-round range ({n}T) |"
        rule += "---:|---:|---:|---:|"
    lines = [head, rule]
    for e in entries:
        row = f"| {e['model']} | {e['family']} | {'x'.join(map(str, e['export_size']))} |"
        for n in threads_list:
            r = results.get((e["model"], n))
            if r is None:
                row += " – | – | – | – |"
            elif "error" in r:
                row += " failed | | | |"
            else:
                mark = f" **> {flag:g}**" if r["flagged"] else ""
                row += (f" {peers.fmt(r['tandem']['summary']['median_ms'])} |"
                        f" {peers.fmt(r['ort']['summary']['median_ms'])} | {peers.fmt_ratio(r['ratio'])}{mark} |"
                        f" {peers.fmt_ratio(r['per_round_min'])}–{peers.fmt_ratio(r['per_round_max'])} |")
        lines.append(row)
    row = "| **geometric mean** | | |"
    for n in threads_list:
        g = geomean([r["ratio"] for (m, k), r in results.items() if k == n and "error" not in r])
        row += f" | | **{peers.fmt_ratio(g)}** | |" if g else " | | – | |"
    lines.append(row)
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n".join(__doc__.splitlines()[1:]))
    ap.add_argument("--zoo", default=os.path.join(REPO, "build", "zoo"),
                    help="where tests/zoo/export_zoo.py wrote the models, manifest.json and inputs/")
    ap.add_argument("--models", default=DEFAULT_MODELS, help="comma-separated (default: all 14 of the zoo)")
    ap.add_argument("--onnx", help="comma-separated ONNX files to run instead of the zoo (e.g. a Q/DQ export of"
                    " `tandem calibrate --export-qdq`), at --size with a random input")
    ap.add_argument("--size", default="256x512", help="HxW for --onnx (default 256x512)")
    ap.add_argument("--opset", type=int, default=17, choices=(13, 17), help="which export (default 17)")
    ap.add_argument("--mode", default="static", choices=("static", "dynamic"),
                    help="static (default) or dynamic export; both run at the export size")
    ap.add_argument("--tandem", default=os.path.join(REPO, "build", "tools", "tandem"), help="tandem CLI binary")
    ap.add_argument("--threads", type=peers.parse_ints, default=[1, 2], help="thread counts, e.g. 1,2")
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds per runtime (default 3)")
    ap.add_argument("--iterations", type=int, default=10, help="timed iterations per runtime per round")
    ap.add_argument("--warmup", type=int, default=2, help="untimed iterations per runtime per round")
    ap.add_argument("--flag", type=float, default=1.3, help="flag models with Tandem/ORT above this (default 1.3)")
    ap.add_argument("--profile", choices=("flagged", "all", "none"), default="flagged",
                    help="also print `tandem run --profile` per-operator times for these models (default flagged)")
    ap.add_argument("--json", help="write every time and the environment here (default build/bench/zoo-<UTC>.json)")
    ap.add_argument("--node", default=shutil.which("node") or "/usr/bin/node", help="Node.js for the ORT worker")
    ap.add_argument("--timeout", type=float, default=600, help="seconds one ORT request or tandem run may take")
    args = ap.parse_args()
    if args.rounds < 1 or args.iterations < 1 or args.warmup < 0:
        ap.error("--rounds and --iterations must be positive, --warmup non-negative")
    now = datetime.datetime.now(datetime.timezone.utc)
    if not args.json:
        args.json = os.path.join(REPO, "build", "bench", f"zoo-{now.strftime('%Y%m%dT%H%M%SZ')}.json")
    command = shlex.join(["python3", os.path.relpath(os.path.abspath(sys.argv[0]), os.getcwd())] + sys.argv[1:])

    manifest = {}
    if args.onnx:
        try:
            size = tuple(int(v) for v in args.size.lower().split("x"))
            assert len(size) == 2 and min(size) > 0
        except (ValueError, AssertionError):
            fail(f"--size {args.size}: expected HxW")
        entries = file_entries([p for p in args.onnx.split(",") if p], size, os.path.join(REPO, "build", "bench"))
        names = [e["model"] for e in entries]
    else:
        manifest_path = os.path.join(args.zoo, "manifest.json")
        if not os.path.isfile(manifest_path):
            fail(f"{manifest_path} not found; export the zoo with /usr/bin/python3 tests/zoo/export_zoo.py"
                 f" --out {args.zoo} (or run bench/run_zoo_bench.sh)")
        with open(manifest_path) as f:
            manifest = json.load(f)
        names = [n for n in args.models.split(",") if n]
        entries, missing = select_entries(manifest, names, args.opset, args.mode)
        if missing:
            fail("not exported: " + "; ".join(missing))
    args.tandem = os.path.abspath(args.tandem)
    if not (os.path.isfile(args.tandem) and os.access(args.tandem, os.X_OK)):
        fail(f"tandem binary not found at {args.tandem}; build it (scripts/build.sh) or pass --tandem PATH")
    if not os.path.isdir(os.path.join(BENCH, "node_modules", "onnxruntime-node")):
        fail("bench/node_modules/onnxruntime-node is missing; run `npm ci --ignore-scripts` in bench/")

    env = {"date_utc": now.strftime("%Y-%m-%dT%H:%M:%SZ"), "cpu_model": peers.cpu_model(),
           "cpu_count": os.cpu_count(), "load_average_start": peers.load_average(),
           "git_commit": peers.git_describe(), "node": peers.command_version([args.node, "--version"]),
           "zoo": os.path.abspath(args.zoo), "torch_export": manifest.get("torch"), "weights_seed": manifest.get("seed")}
    load = env["load_average_start"]
    if load and env["cpu_count"] and load[0] > 0.5 * env["cpu_count"]:
        log(f"warning: load average {load[0]} on {env['cpu_count']} CPUs before starting; other work is running"
            " and will inflate both runtimes' times (the ratios suffer less, as the runs alternate)")
    log(command)

    results, ort_info = {}, None
    for entry in entries:
        for threads in args.threads:
            model_path = os.path.join(os.path.abspath(args.zoo), entry["file"])
            argv = [args.node, os.path.join(BENCH, "peers", "ort_worker.js"), "--model", model_path,
                    "--threads", str(threads)]
            worker = None
            # compare_peers' helpers end the process (sys.exit) on a failed run after printing why; one model that
            # Tandem cannot run must not cost the rest of the table, so that failure is recorded and the next runs.
            try:
                worker = peers.Worker("ort", argv, args.timeout)
                info = worker.request({"cmd": "info"})
                ort_info = ort_info or info
                results[(entry["model"], threads)] = bench_one(args, entry, threads, worker)
            except SystemExit:
                results[(entry["model"], threads)] = {"model": entry["model"], "threads": threads,
                                                      "error": "run failed; see the log above"}
            finally:
                if worker:
                    worker.close()

    profiles = {}
    if args.profile != "none":
        for entry in entries:
            for threads in args.threads:
                r = results.get((entry["model"], threads), {})
                if "error" not in r and (args.profile == "all" or r.get("flagged")):
                    h, w = entry["export_size"]
                    p = tandem_profile(args, os.path.join(args.zoo, entry["file"]), f"{h}x{w}", threads,
                                       entry_input(args, entry))
                    profiles[f"{entry['model']}/{threads}"] = p
                    r["tandem_profile"] = p
    env["load_average_end"] = peers.load_average()
    env["ort_version"] = (ort_info or {}).get("version")

    print("## Zoo benchmark: Tandem vs ONNX Runtime, batch 1" + (" (given files)\n" if args.onnx else ", fp32\n"))
    print(f"{env['cpu_model']}, {env['cpu_count']} CPUs, {env['date_utc']}; load average"
          f" {env['load_average_start']} at start, {env['load_average_end']} at end")
    print(f"Tandem at commit {env['git_commit']}; onnxruntime-node {env['ort_version']} (Node {env['node']});"
          + (f" models: {args.onnx} at {args.size}, one standard-normal input" if args.onnx else
             f" models: tests/zoo/export_zoo.py op{args.opset} {args.mode} exports (torch {env['torch_export']}),"
             " input = the zoo's inputs/HxW.npy at the export size"))
    print(f"{args.rounds} alternating rounds (Tandem, ORT, Tandem, ORT, ...) × {args.iterations} timed iterations"
          f" (after {args.warmup} warm-up) per runtime. ms = median of all timed iterations; Tandem/ORT = ratio of"
          " those medians (< 1: Tandem is faster); per-round range = min–max of the per-round ratios of medians;"
          f" **> {args.flag:g}** flags a model above {args.flag:g}.\n")
    print(markdown(entries, results, args.threads, args.flag))
    bad = [f"{r['model']} ({r['threads']}T): " + "; ".join(r["output_check"]["mismatches"])
           for r in results.values() if "error" not in r and not r["output_check"].get("ok", True)]
    failed = [f"{r['model']} ({r['threads']}T)" for r in results.values() if "error" in r]
    print(f"\nOutputs agree (mean of each output, Tandem vs ORT, rel. tol 1e-3; 1e-2 for Q/DQ int8 models): "
          f"{'yes' if not bad else 'NO: ' + ' | '.join(bad)}")
    if failed:
        print(f"Failed: {', '.join(failed)}")
    for key, p in profiles.items():
        print(f"\n### Tandem per-operator profile, {key.replace('/', ', ')} thread(s)\n\n`{p['command']}`\n")
        print("```\n" + p.get("text", p.get("error", "")) + "\n```")
    wrapper = os.environ.get("TANDEM_BENCH_WRAPPER")
    print(f"\nCommand: `{wrapper}`, which ran `{command}`" if wrapper else f"\nCommand: `{command}`")

    geo = {str(n): geomean([r["ratio"] for (m, k), r in results.items() if k == n and "error" not in r])
           for n in args.threads}
    doc = {"command": command, "wrapper_command": wrapper, "argv": sys.argv, "environment": env,
           "config": {"models": names, "opset": args.opset, "mode": args.mode, "threads": args.threads,
                      "rounds": args.rounds, "iterations": args.iterations, "warmup": args.warmup, "flag": args.flag,
                      "ratio": "median(all Tandem iterations) / median(all ORT iterations)"},
           "ort_info": ort_info, "geomean_ratio": geo,
           "flagged": [f"{r['model']}/{r['threads']}" for r in results.values() if r.get("flagged")],
           "results": list(results.values())}
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(doc, f, indent=1)
    print(f"JSON: {args.json}")
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
