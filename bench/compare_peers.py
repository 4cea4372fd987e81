#!/usr/bin/env python3
"""Peer comparison for MTNet-B0: Tandem vs ONNX Runtime (onnxruntime-node) vs PyTorch eager, alternating runs.

    python3 bench/compare_peers.py --models-dir build/models [--tandem build/tools/tandem]
        [--sizes 256x512,512x1024] [--threads 1,2] [--rounds 5] [--iterations 10] [--warmup 2]
        [--peers tandem,ort,torch] [--json OUT.json]

For each (size, threads) the ORT and PyTorch workers (bench/peers/) are started once and keep their session/model;
then each round runs K timed iterations of every peer in turn, rotating the order from round to round, so that
slow drifts of this noisy machine fall on every peer alike. Tandem is launched once per round as
`tandem run MODEL --shape HxW --threads N --iterations K --warmup W --times-json FILE [--input X.npy]`; only the
per-iteration times it writes count, not its start-up or model build. All peers get the same input (the workers'
deterministic pseudo-random data; Tandem as a .npy), and the means of the outputs each peer reports are compared,
so a peer that runs other weights or computes wrong values is flagged rather than timed in silence. Reports median
and p10/p90 of all per-iteration times per peer, and the ratio of medians Tandem/ORT and Tandem/PyTorch (below 1:
Tandem is faster), with the range of the per-round ratios as its spread. Plain standard library; any python3.
"""

import argparse
import array
import datetime
import json
import os
import platform
import queue
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH)
PEER_NAMES = {"tandem": "Tandem", "ort": "ONNX Runtime", "torch": "PyTorch"}
ALL_PEERS = ("tandem", "ort", "torch")
INPUT_SEED = 1  # the workers' input seed (bench/peers/)


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def fail(msg):
    log(f"compare_peers: error: {msg}")
    sys.exit(2)


def parse_sizes(text):
    sizes = []
    for item in text.split(","):
        try:
            h, w = (int(v) for v in item.lower().split("x"))
        except ValueError:
            raise argparse.ArgumentTypeError(f"bad size {item!r}; want HxW, e.g. 256x512")
        if h <= 0 or w <= 0 or h % 32 or w % 32:
            raise argparse.ArgumentTypeError(f"size {item}: H and W must be positive multiples of 32")
        sizes.append((h, w))
    return sizes


def parse_ints(text):
    try:
        values = [int(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"bad list {text!r}; want e.g. 1,2")
    if any(v < 1 for v in values):
        raise argparse.ArgumentTypeError("values must be positive")
    return values


def parse_peers(text):
    peers = [p.strip() for p in text.split(",") if p.strip()]
    bad = [p for p in peers if p not in ALL_PEERS]
    if bad or not peers or len(set(peers)) != len(peers):
        raise argparse.ArgumentTypeError(f"--peers takes a comma-separated subset of {','.join(ALL_PEERS)}")
    return peers


def percentile(values, q):
    """Linear interpolation between closest ranks (NumPy's default)."""
    s = sorted(values)
    if not s:
        return float("nan")
    pos = (len(s) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def summary(times):
    return {"n": len(times), "median_ms": percentile(times, 50), "p10_ms": percentile(times, 10),
            "p90_ms": percentile(times, 90), "min_ms": min(times) if times else float("nan"),
            "max_ms": max(times) if times else float("nan")}


# ---------------------------------------------------------------------------------------------------------------
# Peers


def pseudo_random(n, seed):
    """murmur3's fmix32 of (index + seed * golden ratio), mapped to [-1, 1): the workers' input, in plain Python."""
    base = (seed * 0x9E3779B9) & 0xFFFFFFFF
    out = array.array("f", bytes(4 * n))
    for i in range(n):
        h = (i + base) & 0xFFFFFFFF
        h ^= h >> 16
        h = (h * 0x85EBCA6B) & 0xFFFFFFFF
        h ^= h >> 13
        h = (h * 0xC2B2AE35) & 0xFFFFFFFF
        h ^= h >> 16
        out[i] = h / 4294967296.0 * 2.0 - 1.0
    return out


def write_npy(path, shape, data):
    """A float32 C-order .npy (format 1.0) without NumPy."""
    header = f"{{'descr': '<f4', 'fortran_order': False, 'shape': ({', '.join(map(str, shape))},), }}"
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    if sys.byteorder != "little":
        data = array.array("f", data)
        data.byteswap()
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode("latin1"))
        f.write(data.tobytes())


# `tandem run` prints "  output NAME DTYPE SHAPE  min A max B mean C" for each float output.
TANDEM_OUTPUT_LINE = re.compile(r"^\s*output (\S+) (\S+) (.*?)\s+min (\S+) max (\S+) mean (\S+)\s*$")


def tandem_outputs(stdout):
    outputs = {}
    for line in stdout.splitlines():
        m = TANDEM_OUTPUT_LINE.match(line)
        if m:
            try:
                outputs[m.group(1)] = {"mean": float(m.group(6)), "min": float(m.group(4)), "max": float(m.group(5))}
            except ValueError:
                pass
    return outputs


class Worker:
    """A persistent peer worker (bench/peers/*_worker.*) speaking one JSON line in, one JSON line out."""

    def __init__(self, name, argv, timeout_s, env=None):
        self.name, self.argv, self.timeout_s = name, argv, timeout_s
        self.stderr = tempfile.TemporaryFile(mode="w+")
        try:
            self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr,
                                         text=True, bufsize=1, cwd=REPO, env=env)
        except OSError as e:
            fail(f"cannot start the {PEER_NAMES[name]} worker ({shlex.join(argv)}): {e}")
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def stderr_tail(self, n=20):
        self.stderr.seek(0)
        return "".join(self.stderr.readlines()[-n:])

    def request(self, msg, timeout_s=None):
        try:
            self.proc.stdin.write(json.dumps(msg) + "\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            pass  # the worker died; the read below reports it with its stderr
        try:
            line = self.lines.get(timeout=timeout_s or self.timeout_s)
        except queue.Empty:
            self.close()
            fail(f"the {PEER_NAMES[self.name]} worker did not answer {msg} within {timeout_s or self.timeout_s} s;"
                 f" its stderr ends with:\n{self.stderr_tail()}")
        if line is None:
            self.proc.wait()
            fail(f"the {PEER_NAMES[self.name]} worker ({shlex.join(self.argv)}) exited with status"
                 f" {self.proc.returncode}; its stderr ends with:\n{self.stderr_tail()}")
        try:
            answer = json.loads(line)
        except ValueError:
            fail(f"the {PEER_NAMES[self.name]} worker wrote a line that is not JSON: {line!r}")
        if "error" in answer:
            fail(f"the {PEER_NAMES[self.name]} worker answered {msg} with: {answer['error']}")
        return answer

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write('{"cmd":"quit"}\n')
                self.proc.stdin.flush()
                self.proc.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()


def start_worker(peer, args, model_path, threads, seed):
    if peer == "ort":
        argv = [args.node, os.path.join(BENCH, "peers", "ort_worker.js"), "--model", model_path,
                "--threads", str(threads)]
        return Worker(peer, argv, args.timeout)
    argv = [args.torch_python, os.path.join(BENCH, "peers", "torch_worker.py"), "--seed", str(seed),
            "--threads", str(threads), "--malloc", args.torch_malloc]
    return Worker(peer, argv, args.timeout)


def run_tandem(args, model_path, h, w, threads, input_path=None):
    """One Tandem process: K timed iterations after W warm-up ones; returns its --times-json document, with the
    output statistics it printed under "outputs" when it ran on input_path (the workers' input)."""
    fd, times_path = tempfile.mkstemp(prefix="tandem_times_", suffix=".json")
    os.close(fd)
    argv = [args.tandem, "run", model_path, "--shape", f"{h}x{w}", "--threads", str(threads),
            "--iterations", str(args.iterations), "--warmup", str(args.warmup), "--times-json", times_path]
    if input_path:
        argv += ["--input", input_path]
    try:
        try:
            proc = subprocess.run(argv, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                  timeout=args.timeout)
        except subprocess.TimeoutExpired:
            fail(f"tandem did not finish within {args.timeout} s: {shlex.join(argv)}")
        except OSError as e:
            fail(f"cannot run tandem ({shlex.join(argv)}): {e}")
        if proc.returncode != 0:
            tail = "\n".join(proc.stdout.splitlines()[-20:])
            fail(f"tandem exited with status {proc.returncode}: {shlex.join(argv)}\n{tail}")
        try:
            with open(times_path) as f:
                doc = json.load(f)
        except (OSError, ValueError) as e:
            fail(f"tandem did not write a readable --times-json file ({e}): {shlex.join(argv)}")
        times = doc.get("times_ms")
        if not isinstance(times, list) or len(times) != args.iterations:
            fail(f"tandem's --times-json has no times_ms list of {args.iterations} values: {str(doc)[:300]}")
        if input_path and "outputs" not in doc:
            doc["outputs"] = tandem_outputs(proc.stdout)
        doc["command"] = shlex.join(argv)
        return doc
    finally:
        os.unlink(times_path)


def tandem_version(path):
    for flag in ("--version", "version"):
        try:
            proc = subprocess.run([path, flag], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                  timeout=20, cwd=REPO)
        except (OSError, subprocess.TimeoutExpired):
            return None
        if proc.returncode == 0 and proc.stdout.strip():
            return proc.stdout.strip().splitlines()[0]
    return None


# ---------------------------------------------------------------------------------------------------------------
# Environment


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def load_average():
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return None


def git_describe():
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, timeout=20)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO,
                               capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if head.returncode != 0:
        return None
    return head.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def command_version(argv):
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=20).stdout.strip() or None
    except (OSError, subprocess.TimeoutExpired):
        return None


# ---------------------------------------------------------------------------------------------------------------
# Output checks and report


def check_outputs(outputs, rel_tol=1e-3):
    """Compares the output statistics the peers report (mean, mean |x| per output) with ORT's or the first's.
    Same weights and same input should agree to float rounding; a mismatch means the peers ran different models."""
    peers = [p for p in outputs if outputs[p]]
    if len(peers) < 2:
        return {"checked": False, "note": "fewer than two peers reported output statistics"}
    ref = "ort" if "ort" in peers else peers[0]
    report = {"checked": True, "reference": ref, "rel_tol": rel_tol, "ok": True, "mismatches": []}
    for peer in peers:
        if peer == ref:
            continue
        for name, want in outputs[ref].items():
            got = outputs[peer].get(name)
            if got is None:
                continue  # a peer may name or report fewer outputs
            for key in ("mean", "mean_abs"):
                a, b = got.get(key), want.get(key)
                if a is None or b is None:
                    continue
                # A mean can be a small difference of large terms; scale by the mean magnitude where known.
                rel = abs(a - b) / max(abs(b), want.get("mean_abs", 0.0), 1e-6)
                if rel > rel_tol:
                    report["ok"] = False
                    report["mismatches"].append(f"{peer} {name} {key} {a:.6g} vs {ref} {b:.6g} (rel {rel:.1e})")
    return report


def fmt(v):
    return f"{v:.1f}" if v < 1000 else f"{v:.0f}"


def fmt_ratio(v):
    return f"{v:.2f}" if v >= 0.1 else f"{v:.2g}"


def markdown(results, peers):
    lines = ["| size | threads | peer | median ms | p10–p90 ms | n | Tandem / peer (median) | per-round range |",
             "|---|---|---|---:|---:|---:|---:|---:|"]
    for r in results:
        for peer in peers:
            s = r["peers"][peer]["summary"]
            ratio, spread = "", ""
            rt = r["ratios"].get(f"tandem/{peer}")
            if rt:
                ratio = fmt_ratio(rt["median_ratio"])
                spread = f"{fmt_ratio(rt['per_round_min'])}–{fmt_ratio(rt['per_round_max'])}"
            elif peer == "tandem" and len(peers) > 1:
                ratio = "1"
            lines.append(f"| {r['size']} | {r['threads']} | {PEER_NAMES[peer]} | {fmt(s['median_ms'])} |"
                         f" {fmt(s['p10_ms'])}–{fmt(s['p90_ms'])} | {s['n']} | {ratio} | {spread} |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n".join(__doc__.splitlines()[1:]))
    ap.add_argument("--models-dir", default=os.path.join(REPO, "build", "models"),
                    help="where models/export.py wrote the ONNX files (default build/models)")
    ap.add_argument("--model-file", default="mtnet_b0_op17_dynamic.onnx",
                    help="ONNX file in --models-dir that Tandem and ORT run (default %(default)s)")
    ap.add_argument("--seed", type=int, default=None,
                    help="weights seed for the PyTorch model (default: the seed in --models-dir/manifest.json, else 0)")
    ap.add_argument("--tandem", default=os.path.join(REPO, "build", "tools", "tandem"), help="tandem CLI binary")
    ap.add_argument("--sizes", type=parse_sizes, default=parse_sizes("256x512,512x1024"), help="HxW list")
    ap.add_argument("--threads", type=parse_ints, default=[1, 2], help="thread counts, e.g. 1,2")
    ap.add_argument("--rounds", type=int, default=5, help="alternating rounds per (size, threads)")
    ap.add_argument("--iterations", type=int, default=10, help="timed iterations per peer per round")
    ap.add_argument("--warmup", type=int, default=2, help="untimed iterations per peer per round")
    ap.add_argument("--peers", type=parse_peers, default=list(ALL_PEERS), help="subset of tandem,ort,torch")
    ap.add_argument("--json", help="write every time and the environment to this JSON file")
    ap.add_argument("--tandem-input", choices=("shared", "generated"), default="shared",
                    help="shared (default): give tandem the workers' input as a .npy (--input), so that its printed"
                         " output means can be checked against the peers'; generated: let tandem make its own")
    ap.add_argument("--node", default=shutil.which("node") or "/usr/bin/node", help="Node.js for the ORT worker")
    ap.add_argument("--torch-python", default="/usr/bin/python3", help="python with torch for the PyTorch worker")
    ap.add_argument("--torch-malloc", choices=("tuned", "default"), default="tuned",
                    help="glibc malloc settings of the PyTorch worker (see bench/peers/torch_worker.py)")
    ap.add_argument("--timeout", type=float, default=600, help="seconds one worker request or tandem run may take")
    args = ap.parse_args()
    if args.rounds < 1 or args.iterations < 1 or args.warmup < 0:
        ap.error("--rounds and --iterations must be positive, --warmup non-negative")

    command = shlex.join(["python3", os.path.relpath(os.path.abspath(sys.argv[0]), os.getcwd())] + sys.argv[1:])
    model_path = os.path.abspath(os.path.join(args.models_dir, args.model_file))
    needs_model = any(p in args.peers for p in ("tandem", "ort"))
    if needs_model and not os.path.isfile(model_path):
        fail(f"{model_path} not found; export it with: /usr/bin/python3 models/export.py --out {args.models_dir}")
    manifest = {}
    manifest_path = os.path.join(args.models_dir, "manifest.json")
    if os.path.isfile(manifest_path):
        with open(manifest_path) as f:
            manifest = json.load(f)
    seed = args.seed
    if seed is None:
        seed = manifest.get("seed", 0)
    elif "seed" in manifest and manifest["seed"] != seed:
        log(f"warning: --seed {seed} differs from the exported models' seed {manifest['seed']};"
            " PyTorch will run other weights")
    if "tandem" in args.peers:
        args.tandem = os.path.abspath(args.tandem)
        if not (os.path.isfile(args.tandem) and os.access(args.tandem, os.X_OK)):
            fail(f"tandem binary not found at {args.tandem}; build it with"
                 " `cmake -S . -B build -G Ninja && ninja -C build tandem`, pass --tandem PATH,"
                 " or leave it out with --peers ort,torch")
    if "ort" in args.peers and not os.path.isdir(os.path.join(BENCH, "node_modules", "onnxruntime-node")):
        fail("bench/node_modules/onnxruntime-node is missing; run `npm ci --ignore-scripts` in bench/"
             " (or bench/run_peers.sh, which does it)")

    env = {
        "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "cpu_model": cpu_model(), "cpu_count": os.cpu_count(), "kernel": platform.release(),
        "load_average_start": load_average(), "git_commit": git_describe(),
        "node": command_version([args.node, "--version"]) if "ort" in args.peers else None,
        "tandem_version": tandem_version(args.tandem) if "tandem" in args.peers else None,
        "model_file": model_path if needs_model else None,
        "model_sha256": manifest.get("onnx_files", {}).get(args.model_file, {}).get("sha256"),
        "weights_seed": seed,
    }
    load = env["load_average_start"]
    if load and env["cpu_count"] and load[0] > 0.5 * env["cpu_count"]:
        log(f"warning: load average {load[0]} on {env['cpu_count']} CPUs before starting; other work is running"
            " and will inflate every peer's times (the ratios suffer less, as the runs alternate)")
    log(f"{command}\n{env['cpu_model']}, {env['cpu_count']} CPUs; peers {','.join(args.peers)}; seed {seed}")

    results = []
    peer_info = {}
    scratch = tempfile.TemporaryDirectory(prefix="compare_peers_")
    for h, w in args.sizes:
        shape = [1, 3, h, w]
        input_path = None
        if "tandem" in args.peers and args.tandem_input == "shared":
            input_path = os.path.join(scratch.name, f"input_{h}x{w}.npy")
            write_npy(input_path, shape, pseudo_random(3 * h * w, INPUT_SEED))
        for threads in args.threads:
            label = f"{h}x{w}, {threads} thread{'s' if threads > 1 else ''}"
            workers = {}
            try:
                for peer in args.peers:
                    if peer != "tandem":
                        workers[peer] = start_worker(peer, args, model_path, threads, seed)
                infos = {peer: wk.request({"cmd": "info"}) for peer, wk in workers.items()}
                for peer, info in infos.items():
                    peer_info.setdefault(peer, info)
                rounds = {peer: [] for peer in args.peers}
                outputs = {peer: None for peer in args.peers}
                tandem_extra = None
                for r in range(args.rounds):
                    k = r % len(args.peers)
                    order = args.peers[k:] + args.peers[:k]
                    for peer in order:
                        if peer == "tandem":
                            doc = run_tandem(args, model_path, h, w, threads, input_path)
                            times = [float(t) for t in doc["times_ms"]]
                            if doc.get("outputs"):
                                outputs[peer] = doc["outputs"]
                            if tandem_extra is None:
                                tandem_extra = {key: v for key, v in doc.items() if key != "times_ms"}
                        else:
                            answer = workers[peer].request({"cmd": "run", "shape": shape,
                                                            "iterations": args.iterations, "warmup": args.warmup})
                            times = [float(t) for t in answer["times_ms"]]
                            outputs[peer] = answer.get("outputs")
                        rounds[peer].append(times)
                    log(f"{label}, round {r + 1}/{args.rounds} ({','.join(order)}): " + ", ".join(
                        f"{p} {percentile(rounds[p][-1], 50):.1f}" for p in args.peers) + " ms (median)")
            finally:
                for wk in workers.values():
                    wk.close()

            entry = {"size": f"{h}x{w}", "h": h, "w": w, "threads": threads, "peers": {}, "ratios": {},
                     "output_check": check_outputs(outputs)}
            for peer in args.peers:
                flat = [t for rt in rounds[peer] for t in rt]
                entry["peers"][peer] = {"summary": summary(flat), "rounds_ms": rounds[peer],
                                        "info": infos.get(peer) if peer != "tandem" else tandem_extra}
            if "tandem" in args.peers:
                for peer in args.peers:
                    if peer == "tandem":
                        continue
                    per_round = [percentile(a, 50) / percentile(b, 50)
                                 for a, b in zip(rounds["tandem"], rounds[peer])]
                    entry["ratios"][f"tandem/{peer}"] = {
                        "median_ratio": entry["peers"]["tandem"]["summary"]["median_ms"]
                        / entry["peers"][peer]["summary"]["median_ms"],
                        "per_round": per_round, "per_round_min": min(per_round), "per_round_max": max(per_round)}
            if not entry["output_check"].get("ok", True):
                log(f"warning: {label}: peers' outputs disagree: " + "; ".join(entry["output_check"]["mismatches"]))
            results.append(entry)

    env["load_average_end"] = load_average()
    env["ort_version"] = peer_info.get("ort", {}).get("version")
    env["torch_version"] = peer_info.get("torch", {}).get("version")
    env["torch_libraries"] = peer_info.get("torch", {}).get("libraries")

    versions = []
    if "tandem" in args.peers:
        versions.append(f"Tandem ({env['tandem_version'] or 'no --version'}) at commit {env['git_commit']}")
    if env["ort_version"]:
        versions.append(f"onnxruntime-node {env['ort_version']} (Node {env['node']})")
    if env["torch_version"]:
        blas = [os.path.basename(p) for p in env["torch_libraries"] or [] if "blas" in os.path.basename(p)]
        versions.append(f"PyTorch {env['torch_version']} eager ({', '.join(blas) or 'BLAS unknown'},"
                        f" {args.torch_malloc} malloc)")
    print(f"## MTNet-B0 peer comparison, batch 1, fp32\n")
    print(f"{env['cpu_model']}, {env['cpu_count']} CPUs, {env['date_utc']}; load average"
          f" {env['load_average_start']} at start, {env['load_average_end']} at end")
    print("; ".join(versions))
    print(f"{args.rounds} alternating rounds × {args.iterations} timed iterations (after {args.warmup} warm-up)"
          f" per peer; times are per inference, all rounds pooled. Ratio < 1: Tandem is faster.\n")
    print(markdown(results, args.peers))
    checks = [r["output_check"] for r in results if r["output_check"].get("checked")]
    if checks:
        bad = [m for c in checks for m in c["mismatches"]]
        print(f"\nOutputs agree across peers (mean and mean |x| of each output, rel. tol 1e-3): "
              f"{'yes' if not bad else 'NO: ' + '; '.join(bad)}")
    wrapper = os.environ.get("TANDEM_BENCH_WRAPPER")
    if wrapper:
        print(f"\nCommand: `{wrapper}`, which ran `{command}`")
    else:
        print(f"\nCommand: `{command}`")

    if args.json:
        doc = {"command": command, "wrapper_command": wrapper, "argv": sys.argv, "cwd": os.getcwd(),
               "environment": env,
               "config": {"sizes": [f"{h}x{w}" for h, w in args.sizes], "threads": args.threads,
                          "rounds": args.rounds, "iterations": args.iterations, "warmup": args.warmup,
                          "peers": args.peers, "seed": seed, "torch_malloc": args.torch_malloc,
                          "tandem_input": args.tandem_input},
               "peer_info": peer_info, "results": results}
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(doc, f, indent=1)
        print(f"JSON: {args.json}")


if __name__ == "__main__":
    main()
