#!/usr/bin/python3
"""Persistent PyTorch (eager) timing worker for bench/compare_peers.py.

    /usr/bin/python3 bench/peers/torch_worker.py --seed S --threads N [--malloc tuned|default]

Same protocol as ort_worker.js: one JSON object per line on stdin, one JSON answer per line on stdout, nothing
else on stdout (logs go to stderr).
    {"cmd":"info"}                                             -> {"peer":"torch","version":...,"threads":N,...}
    {"cmd":"run","shape":[1,3,H,W],"iterations":K,"warmup":W}  -> {"times_ms":[...K values...],"outputs":{...}}
    {"cmd":"quit"}                                             -> exits 0
A bad command answers {"error":"..."} and the worker keeps going.

The model is models/mtnet.py's build_model(seed), the very module models/export.py exports, so its weights are
those of the ONNX files exported with the same seed. times_ms holds the wall time of each `model(x)` under
torch.inference_mode(). Needs Debian's torch (/usr/bin/python3), with libopenblas0-openmp as the BLAS.

--malloc tuned (the default) re-executes the worker with glibc malloc told never to mmap and never to trim
(MALLOC_MMAP_MAX_=0, MALLOC_TRIM_THRESHOLD_=16 GiB), so that the activations' memory is reused from one inference
to the next. Untuned, glibc hands most activation buffers (above its mmap threshold) back to the kernel on free and
every inference page-faults them in again: ~30k faults per inference at 256x512, which on this VM cost PyTorch 3-4x
its compute time (measured 0.15 s user -> 0.45 s user + 0.2 s sys). ONNX Runtime reuses memory through its arena,
and PyTorch's own CPU tuning guide recommends a caching allocator (jemalloc, tcmalloc) for the same reason, so the
tuned setting measures PyTorch at its reasonable best; --malloc default measures it out of the box.
"""

import argparse
import json
import os
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUTPUT_NAMES = ("seg_logits", "depth")  # models/export.py's names, in build_model's output order
INPUT_SEED = 1
TUNED_MALLOC = {"MALLOC_MMAP_MAX_": "0", "MALLOC_TRIM_THRESHOLD_": str(16 << 30)}


def log(*args):
    print("[torch_worker]", *args, file=sys.stderr, flush=True)


def pseudo_random(n, seed):
    """murmur3's fmix32 of (index + seed * golden ratio), mapped to [-1, 1): the same values as ort_worker.js."""
    import numpy as np
    with np.errstate(over="ignore"):
        h = np.arange(n, dtype=np.uint32) + np.uint32((seed * 0x9E3779B9) & 0xFFFFFFFF)
        h ^= h >> np.uint32(16)
        h *= np.uint32(0x85EBCA6B)
        h ^= h >> np.uint32(13)
        h *= np.uint32(0xC2B2AE35)
        h ^= h >> np.uint32(16)
    return (h.astype(np.float64) / 4294967296.0 * 2.0 - 1.0).astype(np.float32)


def blas_libraries():
    """The BLAS/LAPACK shared objects this process actually mapped (torch's eager speed depends on them)."""
    libs = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1] if len(line.split()) >= 6 else ""
                base = os.path.basename(path)
                if any(k in base for k in ("blas", "lapack", "gomp", "mkl")):
                    libs.add(os.path.realpath(path))
    except OSError:
        pass
    return sorted(libs)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=0, help="weights seed, as given to models/export.py")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--malloc", choices=("tuned", "default"), default="tuned",
                    help="glibc malloc settings (see the module docstring)")
    args = ap.parse_args()
    if args.threads < 1:
        ap.error("--threads must be positive")

    # glibc reads its MALLOC_* variables at start-up only, hence the re-exec.
    env = {k: v for k, v in os.environ.items() if k not in TUNED_MALLOC}
    if args.malloc == "tuned":
        env.update(TUNED_MALLOC)
    if env != dict(os.environ):
        os.execve(sys.executable, [sys.executable] + sys.argv, env)

    # Before torch's import, so OpenMP (torch's and OpenBLAS's) sizes its pool to N rather than to every core.
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(args.threads))
    import numpy as np
    import torch
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)

    sys.path.insert(0, os.path.join(REPO, "models"))
    from mtnet import build_model  # noqa: E402

    t0 = time.perf_counter()
    model = build_model(args.seed)
    build_ms = (time.perf_counter() - t0) * 1e3
    log(f"torch {torch.__version__}, MTNet-B0 seed {args.seed}, {args.threads} thread(s), built in {build_ms:.0f} ms")
    inputs = {}

    def input_for(shape):
        key = tuple(shape)
        if key not in inputs:
            n = int(np.prod(shape))
            inputs[key] = torch.from_numpy(pseudo_random(n, INPUT_SEED).reshape(shape))
        return inputs[key]

    def handle(msg):
        cmd = msg.get("cmd")
        if cmd == "info":
            return {"peer": "torch", "version": torch.__version__, "threads": args.threads,
                    "num_threads": torch.get_num_threads(), "interop_threads": torch.get_num_interop_threads(),
                    "seed": args.seed, "build_ms": build_ms, "mkldnn": torch.backends.mkldnn.is_available(),
                    "python": sys.version.split()[0], "libraries": blas_libraries(), "malloc": args.malloc,
                    "malloc_env": {k: os.environ[k] for k in TUNED_MALLOC if k in os.environ}}
        if cmd == "run":
            shape = msg.get("shape")
            if not isinstance(shape, list) or not all(isinstance(d, int) and d > 0 for d in shape):
                raise ValueError('run needs "shape": [1,3,H,W]')
            iterations, warmup = int(msg.get("iterations", 10)), int(msg.get("warmup", 1))
            x = input_for(shape)
            out = None
            times = []
            with torch.inference_mode():
                for _ in range(warmup):
                    out = model(x)
                for _ in range(iterations):
                    s = time.perf_counter_ns()
                    out = model(x)
                    times.append((time.perf_counter_ns() - s) / 1e6)
            outputs = {}
            if out is not None:
                for name, t in zip(OUTPUT_NAMES, out):
                    t = t.double()
                    outputs[name] = {"dims": list(t.shape), "mean": float(t.mean()), "mean_abs": float(t.abs().mean())}
            return {"times_ms": times, "outputs": outputs}
        raise ValueError(f"unknown cmd {cmd!r}")

    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            msg = json.loads(line)
        except ValueError as e:
            answer = {"error": f"bad JSON: {e}"}
        else:
            if msg.get("cmd") == "quit":
                break
            try:
                answer = handle(msg)
            except Exception as e:  # answer and keep serving; the driver decides what is fatal
                log(f"{type(e).__name__}: {e}")
                answer = {"error": f"{type(e).__name__}: {e}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
