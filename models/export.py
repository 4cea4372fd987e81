"""Export MTNet-B0 to ONNX (opset 17 and 13, dynamic and static H x W) with PyTorch golden input/output pairs.

    /usr/bin/python3 models/export.py --out DIR [--seed 0] [--sizes 256x512,512x1024] [--verify]
    /usr/bin/python3 models/export.py --weights STATE_DICT.pt --single FILE.onnx [--verify]

Without --weights the weights are build_model(seed)'s deterministic random ones (what the tests and bench use);
--weights loads a trained state_dict instead. --single writes just the shipped form: opset 17, dynamic H x W.
"""

import argparse
import collections
import hashlib
import json
import os
import sys
import time
import warnings

import numpy as np
import onnx
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from flops import count_flops  # noqa: E402
from mtnet import MTNetB0, build_model, param_count  # noqa: E402

# torch 1.13 warns this for every Constant it meets during export shape inference; it is harmless here (the
# checker and --verify run on every file), and it would bury the output.
warnings.filterwarnings("ignore", message="The shape inference of prim::Constant type is missing")

OPSETS = (17, 13)
INPUT_NAMES = ["image"]
OUTPUT_NAMES = ["seg_logits", "depth"]
DYNAMIC_AXES = {"image": {2: "H", 3: "W"}, "seg_logits": {2: "H_4", 3: "W_4"}, "depth": {2: "H", 3: "W"}}


def parse_size(text):
    h, w = (int(v) for v in text.lower().split("x"))
    if h <= 0 or w <= 0 or h % 32 or w % 32:
        raise argparse.ArgumentTypeError(f"size {text}: H and W must be positive multiples of 32")
    return h, w


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def op_histogram(model_proto):
    return dict(sorted(collections.Counter(n.op_type for n in model_proto.graph.node).items()))


def check_ops(name, opset, hist):
    """The C++ importer relies on these export shapes; fail loudly if a torch upgrade changes them."""
    if opset >= 17:
        assert "LayerNormalization" in hist, f"{name}: expected LayerNormalization at opset {opset}"
    else:
        assert "LayerNormalization" not in hist, f"{name}: LayerNormalization at opset {opset}"
        for op in ("ReduceMean", "Sub", "Pow", "Sqrt", "Div"):
            assert op in hist, f"{name}: decomposed LayerNorm needs {op} at opset {opset}"
    assert "Erf" in hist and "Gelu" not in hist, f"{name}: GELU should export as the Erf pattern"


def fix_batch_dim(proto):
    """torch leaves the outputs' batch dim as an invented symbol ('Muldepth_dim_0') because the graph reads it
    from Shape; the input's batch is 1, so the outputs' is too, and saying so spares runtimes a symbol."""
    batch = proto.graph.input[0].type.tensor_type.shape.dim[0].dim_value
    for out in proto.graph.output:
        out.type.tensor_type.shape.dim[0].dim_value = batch


def name_encoder_outputs(proto):
    """Renames the four backbone->heads tensors to c1..c4. torch names them after the node that made them
    ('/encoder/Reshape_3_output_0'), which shifts whenever the encoder's code does; a plan that cuts the model
    there (DESIGN.md §1, row 2) should name something that stays put. Found as the inputs of the seg head's
    per-scale projections, which torch names after their modules."""
    renames = {}
    for node in proto.graph.node:
        for i in range(4):
            if node.name == f"/seg_head/proj.{i}/Conv":
                renames[node.input[0]] = f"c{i + 1}"
    assert sorted(renames.values()) == ["c1", "c2", "c3", "c4"], f"encoder outputs not found: {renames}"
    for node in proto.graph.node:
        for field in (node.input, node.output):
            for j, name in enumerate(field):
                field[j] = renames.get(name, name)
        if any(o in renames.values() for o in node.output):
            assert node.name.startswith("/encoder/"), f"{node.name} makes a head input but is not in the encoder"


def export_onnx(model, path, opset, example, dynamic):
    torch.onnx.export(model, example, path, opset_version=opset, do_constant_folding=True,
                      input_names=INPUT_NAMES, output_names=OUTPUT_NAMES,
                      dynamic_axes=DYNAMIC_AXES if dynamic else None)
    proto = onnx.load(path)
    name_encoder_outputs(proto)
    if dynamic:
        fix_batch_dim(proto)
    onnx.save(proto, path)
    onnx.checker.check_model(proto)
    hist = op_histogram(proto)
    check_ops(os.path.basename(path), opset, hist)
    return hist


def io_shapes(proto):
    def dims(vi):
        return [d.dim_param or d.dim_value for d in vi.type.tensor_type.shape.dim]
    return {vi.name: dims(vi) for vi in list(proto.graph.input) + list(proto.graph.output)}


def golden_input(seed, h, w):
    return np.random.RandomState(seed + 1).standard_normal((1, 3, h, w)).astype(np.float32)


def run_torch(model, x):
    with torch.no_grad():
        seg, depth = model(torch.from_numpy(x))
    return seg.numpy(), depth.numpy()


def write_goldens(model, out_dir, seed, h, w):
    """Input, outputs, and the encoder outputs c1..c4 too, so a backbone or a head can be tested on its own."""
    x = golden_input(seed, h, w)
    seg, depth = run_torch(model, x)
    with torch.no_grad():
        feats = [f.numpy() for f in model.encoder(torch.from_numpy(x))]
    files = {}
    arrays = [("input", x), ("seg_logits", seg), ("depth", depth)] + [(f"c{i + 1}", f) for i, f in enumerate(feats)]
    for kind, arr in arrays:
        name = f"golden_{h}x{w}_{kind}.npy"
        np.save(os.path.join(out_dir, name), arr)
        files[kind] = name
    stats = {k: {"min": float(a.min()), "max": float(a.max()), "mean": float(a.mean()), "std": float(a.std())}
             for k, a in (("seg_logits", seg), ("depth", depth))}
    return files, stats


def verify(model, seed, paths):
    """Runs the dynamic ONNX files ({opset: path}) on sizes they were not traced at, independently of torch, and
    compares."""
    try:
        from onnx.reference import ReferenceEvaluator  # onnx >= 1.13

        def run(path, x):
            return ReferenceEvaluator(path).run(None, {"image": x})
        engine = "onnx.reference.ReferenceEvaluator"
    except ImportError:
        from onnx_numpy_ref import run_model  # our own NumPy interpreter: shares no code with torch

        def run(path, x):
            return run_model(onnx.load(path), {"image": x})
        engine = "models/onnx_numpy_ref.py (onnx.reference is absent in onnx " + onnx.__version__ + ")"
    print(f"verify with {engine}")
    ok = True
    for h, w in ((64, 64), (96, 160)):
        x = golden_input(seed, h, w)
        want = run_torch(model, x)
        for opset, path in paths.items():
            got = run(path, x)
            for name, g, r in zip(OUTPUT_NAMES, got, want):
                err = float(np.max(np.abs(g - r)) / (np.max(np.abs(r)) + 1e-12))
                good = g.shape == r.shape and err < 1e-4
                ok &= good
                print(f"  op{opset} {h}x{w} {name:10} {str(g.shape):18} max|diff|/max|ref| {err:.2e}"
                      f" {'ok' if good else 'FAIL'}")
    return ok


def load_model(weights, seed):
    """Trained weights from a state_dict file (or a models/train.py checkpoint holding one under 'model'), or
    build_model(seed)'s random ones; eval mode either way, so BatchNorm folds into the conv on export."""
    if weights is None:
        return build_model(seed)
    state = torch.load(weights, map_location="cpu")
    model = MTNetB0()
    model.load_state_dict(state["model"] if "model" in state else state)
    return model.eval()


def export_single(model, path, seed, size, check):
    """The shipped file: opset 17, dynamic H x W, one file (the weights are far below protobuf's 2 GB, so no
    external data)."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    example = torch.from_numpy(golden_input(seed, *size))
    hist = export_onnx(model, path, 17, example, dynamic=True)
    print(f"wrote {path}  ({os.path.getsize(path) / 1e6:.1f} MB, {sum(hist.values())} nodes)"
          f"  io {io_shapes(onnx.load(path))}")
    print(f"sha256 {sha256(path)}")
    if check and not verify(model, seed, {17: path}):
        sys.exit("verification FAILED")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", help="output directory (required unless --single)")
    ap.add_argument("--seed", type=int, default=0, help="weights seed; golden inputs use seed+1")
    ap.add_argument("--weights", help="state_dict .pt to export instead of the seed's random weights")
    ap.add_argument("--single", metavar="FILE", help="write only FILE: opset 17, dynamic H x W (no goldens)")
    ap.add_argument("--sizes", type=lambda s: [parse_size(v) for v in s.split(",")],
                    default=[(256, 512), (512, 1024)], help="comma-separated HxW for static files and goldens")
    ap.add_argument("--verify", action="store_true", help="check the dynamic ONNX files against torch at 64x64")
    args = ap.parse_args()
    if not args.out and not args.single:
        ap.error("--out DIR or --single FILE is required")

    t0 = time.time()
    torch.use_deterministic_algorithms(True)
    model = load_model(args.weights, args.seed)
    n_params = param_count(model)
    print(f"MTNet-B0 {args.weights or f'seed {args.seed}'}: {n_params:,} parameters")
    if args.single:
        export_single(model, args.single, args.seed, args.sizes[0], args.verify)
        print(f"done in {time.time() - t0:.1f} s")
        return
    os.makedirs(args.out, exist_ok=True)

    files, hists, shapes = {}, {}, {}
    # Tracing at the first size; dynamic axes keep every spatial dimension symbolic anyway.
    trace_h, trace_w = args.sizes[0]
    example = torch.from_numpy(golden_input(args.seed, trace_h, trace_w))
    for opset in OPSETS:
        variants = [("dynamic", example, True)]
        variants += [(f"{h}x{w}", torch.zeros(1, 3, h, w), False) for h, w in args.sizes]
        for tag, ex, dynamic in variants:
            name = f"mtnet_b0_op{opset}_{tag}.onnx"
            path = os.path.join(args.out, name)
            hists[name] = export_onnx(model, path, opset, ex, dynamic)
            shapes[name] = io_shapes(onnx.load(path))
            files[f"op{opset}_{tag}"] = name
            print(f"wrote {path}  ({os.path.getsize(path) / 1e6:.1f} MB, {sum(hists[name].values())} nodes)")

    goldens = {}
    for h, w in args.sizes:
        gfiles, stats = write_goldens(model, args.out, args.seed, h, w)
        flops = count_flops(model, h, w)
        goldens[f"{h}x{w}"] = {"files": gfiles, "stats": stats, "gflops": round(sum(flops.values()) / 1e9, 3),
                               "gflops_by_part": {k: round(v / 1e9, 3) for k, v in flops.items()}}
        for kind, name in gfiles.items():
            print(f"wrote {os.path.join(args.out, name)}")
        print(f"  {h}x{w}: seg_logits [{stats['seg_logits']['min']:.2f}, {stats['seg_logits']['max']:.2f}]"
              f"  depth [{stats['depth']['min']:.3f}, {stats['depth']['max']:.3f}]"
              f"  {goldens[f'{h}x{w}']['gflops']} GFLOP")

    manifest = {
        "model": "MTNet-B0", "seed": args.seed, "parameters": n_params,
        "weights": f"trained: {os.path.basename(args.weights)}" if args.weights else "random (untrained)",
        "inputs": {"image": "float32 [1,3,H,W], H and W multiples of 32, ImageNet-normalised RGB"},
        "outputs": {"seg_logits": "float32 [1,19,H/4,W/4]", "depth": "float32 [1,1,H,W], metres in (0,80)"},
        "torch": torch.__version__, "onnx": onnx.__version__,
        "onnx_files": {name: {"sha256": sha256(os.path.join(args.out, name)), "io": shapes[name],
                              "op_types": hists[name]} for name in files.values()},
        "goldens": goldens,
    }
    manifest_path = os.path.join(args.out, "manifest.json")
    with open(manifest_path, "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
    print(f"wrote {manifest_path}")

    dynamic = {opset: os.path.join(args.out, files[f"op{opset}_dynamic"]) for opset in OPSETS}
    if args.verify and not verify(model, args.seed, dynamic):
        sys.exit("verification FAILED")
    print(f"done in {time.time() - t0:.1f} s")


if __name__ == "__main__":
    main()
