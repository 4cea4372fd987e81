"""What the Python bindings add to a run: tandem.Session.run from Python against the C++ CLI's `tandem run` on the
same model, shape and thread count, in alternating rounds in one invocation (this machine is noisy).

    PYTHONPATH=build/python /usr/bin/python3 bench/python_overhead.py [--model M] [--shape 256x512] [--threads 1]
        [--rounds 5] [--iterations 20] [--json FILE]

Per round: the CLI runs --iterations timed runs (after --warmup 3) and reports each run's time (--times-json);
Python times the same number of Session.run calls (NumPy input in, NumPy outputs back; with --into, written into
preallocated arrays) after 3 untimed ones. The
overhead is median(Python) / median(CLI) - 1, per round and over all rounds.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

import tandem


def cli_round(args, times_json):
    subprocess.run([args.cli, "run", args.model, "--shape", args.shape, "--threads", str(args.threads),
                    "--iterations", str(args.iterations), "--warmup", "3", "--times-json", times_json],
                   check=True, capture_output=True)
    with open(times_json) as f:
        return json.load(f)["times_ms"]


def python_round(session, feeds, iterations, outputs=None):
    for _ in range(3):
        session.run(feeds, outputs)
    times = []
    for _ in range(iterations):
        t0 = time.perf_counter()
        session.run(feeds, outputs)
        times.append((time.perf_counter() - t0) * 1e3)
    return times


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="models/mtnet_b0_synthdrive.onnx")
    ap.add_argument("--cli", default="build/tools/tandem")
    ap.add_argument("--shape", default="256x512")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--iterations", type=int, default=20)
    ap.add_argument("--into", action="store_true", help="Python writes into preallocated output arrays (outputs=)")
    ap.add_argument("--json", help="write the per-round medians and the overall figures here")
    args = ap.parse_args()
    h, w = (int(v) for v in args.shape.split("x"))
    session = tandem.Session(args.model, shape=(h, w), threads=args.threads)
    name = session.inputs[0]["name"]
    feeds = {name: np.random.default_rng(0).standard_normal((1, 3, h, w), dtype=np.float32)}
    outputs = None
    if args.into:
        outputs = {k: np.empty_like(v) for k, v in session.run(feeds).items()}
    rounds = []
    with tempfile.TemporaryDirectory() as d:
        for r in range(args.rounds):
            cli = cli_round(args, os.path.join(d, "times.json"))
            py = python_round(session, feeds, args.iterations, outputs)
            rounds.append({"cli_ms": statistics.median(cli), "python_ms": statistics.median(py),
                           "cli_all": cli, "python_all": py})
            print(f"round {r + 1}: tandem run {rounds[-1]['cli_ms']:.2f} ms, Python Session.run "
                  f"{rounds[-1]['python_ms']:.2f} ms, overhead {rounds[-1]['python_ms'] / rounds[-1]['cli_ms'] - 1:+.1%}")
    cli_all = [t for r in rounds for t in r["cli_all"]]
    py_all = [t for r in rounds for t in r["python_all"]]
    overhead = statistics.median(py_all) / statistics.median(cli_all) - 1
    per_round = [r["python_ms"] / r["cli_ms"] - 1 for r in rounds]
    print(f"all rounds: tandem run {statistics.median(cli_all):.2f} ms, Python {statistics.median(py_all):.2f} ms, "
          f"overhead {overhead:+.1%} (per round {min(per_round):+.1%} .. {max(per_round):+.1%})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"model": args.model, "shape": args.shape, "threads": args.threads, "into": args.into, "rounds": rounds,
                       "cli_median_ms": statistics.median(cli_all), "python_median_ms": statistics.median(py_all),
                       "overhead": overhead, "tandem_version": tandem.__version__}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
