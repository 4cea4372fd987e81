"""Export the model zoo (torchvision vision models, random weights) to ONNX for the conformance harness.

    /usr/bin/python3 tests/zoo/export_zoo.py [--out build/zoo] [--models squeezenet1_1,resnet18] [--opsets 13,17]
                                             [--force] [--seed 0]

For every model, opset (13, 17) and mode (static: the export size baked in; dynamic: H and W named dims) it writes
MODEL_opN_MODE.onnx, the deterministic inputs inputs/HxW.npy the harness feeds (normal(0,1), one file per size,
shared by every model), and manifest.json, which ort_reference.js and check_zoo.py read. Dynamic exports are
checked at the export size and at other sizes, odd ones included (217x301). A combination torch 1.13 cannot
export is recorded under "skipped" with the exception, never silently dropped.

Weights are random (weights=None, weights_backbone=None: nothing is downloaded), but not torchvision's initial
values, which hide broken layers: eval-mode BatchNorm at its defaults is an identity, ConvNeXt's layer scale is
1e-6, Swin's Linear layers (std 0.02) and classifiers (std 0.01) shrink what they add to almost nothing. So every
conv and linear is re-drawn at unit gain, every norm gets a random affine (weight U(0.5, 1.5), bias U(-0.25,
0.25)), BatchNorm running statistics are measured on random batches (so each BN really shifts and scales its
input), layer scales are U(0.5, 1.5) and Swin's relative position bias N(0, 3); the last BN of a ResNet
residual branch gets a small gain U(0.1, 0.3) (see redraw). The output of every model is printed (std, max |y|)
and a model whose output is tiny or huge is an error, and so is one whose fp32 output is more than 2.5e-5
(relative to max) from its fp64 output: on such weights a 1e-4 check fails correct runtimes.
"""

import argparse
import collections
import copy
import hashlib
import json
import os
import sys
import time
import warnings
import zlib

import numpy as np
import onnx
import torch
import torch.nn as nn
import torchvision.models as tvm
import torchvision.models.resnet as tv_resnet
import torchvision.models.segmentation as tvs

# torch 1.13 repeats these for every node during export; they are harmless and would bury the output.
warnings.filterwarnings("ignore", message="The shape inference of prim::Constant type is missing")
warnings.filterwarnings("ignore", category=UserWarning)
warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)

CLS_SIZE = (224, 224)
SEG_SIZE = (256, 256)
# Sizes a dynamic export is run at besides its export size; 217x301 is odd in both dims and not a multiple of 32.
CLS_EXTRA_SIZES = [(192, 160), (217, 301)]
SEG_EXTRA_SIZES = [(192, 320), (217, 301)]
INPUT_NAME = "input"
# The harness checks max|diff| <= 1e-4 * max|ref|; weights for which fp32 itself is further than a quarter of
# that from fp64 would make it fail correct runtimes.
FP32_ERROR_LIMIT = 2.5e-5
# A file is up to date only if this script, as it is now, wrote it: any change to the recipe (weights, sizes,
# export options) re-exports, and ort_reference.js then redoes the references (it keys them by the file's hash).
with open(os.path.abspath(__file__), "rb") as _f:
    RECIPE = hashlib.sha256(_f.read()).hexdigest()[:16]


def seg(builder):
    return lambda: builder(weights=None, weights_backbone=None, num_classes=21, aux_loss=False)


def cls(builder):
    return lambda: builder(weights=None)


# name -> (family, task, constructor), cheapest first so a partial run covers the most families.
MODELS = collections.OrderedDict([
    ("squeezenet1_1", ("SqueezeNet", "cls", cls(tvm.squeezenet1_1))),
    ("mobilenet_v3_small", ("MobileNetV3", "cls", cls(tvm.mobilenet_v3_small))),
    ("shufflenet_v2_x1_0", ("ShuffleNetV2", "cls", cls(tvm.shufflenet_v2_x1_0))),
    ("mobilenet_v2", ("MobileNetV2", "cls", cls(tvm.mobilenet_v2))),
    ("regnet_y_400mf", ("RegNet", "cls", cls(tvm.regnet_y_400mf))),
    ("mobilenet_v3_large", ("MobileNetV3", "cls", cls(tvm.mobilenet_v3_large))),
    ("efficientnet_b0", ("EfficientNet", "cls", cls(tvm.efficientnet_b0))),
    ("resnet18", ("ResNet", "cls", cls(tvm.resnet18))),
    ("lraspp_mobilenet_v3_large", ("LR-ASPP", "seg",
                                   lambda: tvs.lraspp_mobilenet_v3_large(weights=None, weights_backbone=None,
                                                                         num_classes=21))),
    ("deeplabv3_mobilenet_v3_large", ("DeepLabV3", "seg", seg(tvs.deeplabv3_mobilenet_v3_large))),
    ("resnet50", ("ResNet", "cls", cls(tvm.resnet50))),
    ("convnext_tiny", ("ConvNeXt", "cls", cls(tvm.convnext_tiny))),
    ("swin_t", ("Swin Transformer", "cls", cls(tvm.swin_t))),
    ("fcn_resnet50", ("FCN", "seg", seg(tvs.fcn_resnet50))),
])


class SegmentationOut(nn.Module):
    """torchvision's segmentation models return {"out": ...}; export the tensor itself."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x)["out"]


def input_for(h, w):
    """The input the harness feeds at H x W: normal(0, 1), its seed derived from the size alone."""
    rng = np.random.default_rng(1_000_003 * h + w)
    return rng.standard_normal((1, 3, h, w), dtype=np.float32)


def size_key(hw):
    return f"{hw[0]}x{hw[1]}"


def affine(gen, module):
    with torch.no_grad():
        if getattr(module, "weight", None) is not None:
            module.weight.copy_(torch.rand(module.weight.shape, generator=gen) + 0.5)
        if getattr(module, "bias", None) is not None:
            module.bias.copy_((torch.rand(module.bias.shape, generator=gen) - 0.5) * 0.5)


def redraw(model, gen):
    """Re-draw every parameter torchvision initialises to (near) nothing; see the module docstring."""
    counts = collections.Counter()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Conv2d):
                fan_in = m.weight[0].numel()
                m.weight.copy_(torch.randn(m.weight.shape, generator=gen) * (2.0 / fan_in) ** 0.5)
                if m.bias is not None:
                    m.bias.copy_((torch.rand(m.bias.shape, generator=gen) - 0.5) * 0.2)
                counts["conv"] += 1
            elif isinstance(m, nn.Linear):
                bound = (3.0 / m.in_features) ** 0.5
                m.weight.copy_((torch.rand(m.weight.shape, generator=gen) * 2 - 1) * bound)
                if m.bias is not None:
                    m.bias.copy_((torch.rand(m.bias.shape, generator=gen) - 0.5) * 0.2)
                counts["linear"] += 1
            elif isinstance(m, (nn.BatchNorm2d, nn.LayerNorm, nn.GroupNorm)):
                affine(gen, m)
                counts[type(m).__name__] += 1
            if isinstance(getattr(m, "layer_scale", None), nn.Parameter):  # ConvNeXt CNBlock
                m.layer_scale.copy_(torch.rand(m.layer_scale.shape, generator=gen) + 0.5)
                counts["layer_scale"] += 1
            if isinstance(getattr(m, "relative_position_bias_table", None), nn.Parameter):  # Swin attention
                # An additive logit term: at N(0, 0.5), 1 % noise on it moved the output by 2e-5 (below the
                # tolerance); at N(0, 3) (trained tables reach a few units too) by 4e-4 (layer_sensitivity.py).
                t = m.relative_position_bias_table
                t.copy_(torch.randn(t.shape, generator=gen) * 3.0)
                counts["relative_position_bias"] += 1
        # After the loop above (which visits a block before its BNs): ResNet's residual branch ends in a BN (the one
        # zero_init_residual zeroes) that gets a small gain U(0.1, 0.3) instead. At U(0.5, 1.5) the dilated
        # ResNet-50 of FCN amplifies rounding so much that fp32 PyTorch and ORT each end up 8e-5 (relative to max)
        # from fp64, too close to the 1e-4 the harness checks; at U(0.1, 0.3) it is 3e-6, and every block still
        # moves the output by far more than the tolerance.
        for m in model.modules():
            if isinstance(m, (tv_resnet.Bottleneck, tv_resnet.BasicBlock)):
                last_bn = m.bn3 if isinstance(m, tv_resnet.Bottleneck) else m.bn2
                last_bn.weight.copy_(torch.rand(last_bn.weight.shape, generator=gen) * 0.2 + 0.1)
                counts["residual_bn_small_gain"] += 1
    return counts


def calibrate_batchnorm(model, size, gen, batch):
    """Running statistics = the cumulative mean/var of random batches, so eval-mode BN is no identity."""
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    if not bns:
        return 0
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative average
    model.train()
    with torch.no_grad():
        for _ in range(2):
            model(torch.randn((batch, 3) + tuple(size), generator=gen))
    model.eval()
    return len(bns)


def build(name, seed):
    family, task, ctor = MODELS[name]
    torch.manual_seed(seed)
    model = ctor()
    gen = torch.Generator().manual_seed(seed)
    counts = redraw(model, gen)
    size = CLS_SIZE if task == "cls" else SEG_SIZE
    counts["bn_calibrated"] = calibrate_batchnorm(model, size, gen, batch=4 if task == "cls" else 2)
    model.eval()
    if task == "seg":
        model = SegmentationOut(model).eval()
    return model, size, dict(counts)


def fp32_error_ratio(model, x):
    """max |fp32 - fp64| / max |fp64| of the model's own output: what an exact fp32 runtime can be expected to miss
    by. The harness's tolerance is only meaningful if this is well below it."""
    with torch.no_grad():
        y32 = model(x).numpy().astype(np.float64)
        y64 = copy.deepcopy(model).double()(x.double()).numpy()
    return float(np.abs(y32 - y64).max() / np.abs(y64).max())


def op_histogram(proto):
    return dict(sorted(collections.Counter(n.op_type for n in proto.graph.node).items()))


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def export_one(model, x, path, opset, dynamic, output_name):
    dynamic_axes = None
    if dynamic:
        dynamic_axes = {INPUT_NAME: {2: "H", 3: "W"}}
        if output_name == "out":  # segmentation logits follow the input's H x W
            dynamic_axes[output_name] = {2: "H", 3: "W"}
    tmp = path + ".tmp"
    torch.onnx.export(model, x, tmp, opset_version=opset, input_names=[INPUT_NAME], output_names=[output_name],
                      dynamic_axes=dynamic_axes, do_constant_folding=True)
    onnx.checker.check_model(tmp)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="build/zoo")
    ap.add_argument("--models", default=",".join(MODELS), help="comma-separated, from: " + ",".join(MODELS))
    ap.add_argument("--opsets", default="13,17")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--force", action="store_true", help="re-export files that exist")
    args = ap.parse_args()
    torch.set_num_threads(1)
    names = [n for n in args.models.split(",") if n]
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        sys.exit(f"export_zoo: unknown model(s) {','.join(unknown)}; known: {','.join(MODELS)}")
    opsets = [int(v) for v in args.opsets.split(",")]
    os.makedirs(os.path.join(args.out, "inputs"), exist_ok=True)
    manifest_path = os.path.join(args.out, "manifest.json")
    manifest = {"version": 1, "torch": torch.__version__, "onnx": onnx.__version__, "seed": args.seed,
                "entries": [], "skipped": []}
    if os.path.exists(manifest_path):
        with open(manifest_path) as f:
            old = json.load(f)
        manifest["entries"] = old.get("entries", [])
        manifest["skipped"] = old.get("skipped", [])

    for name in names:
        family, task, _ = MODELS[name]
        wanted = [(o, m) for o in opsets for m in ("static", "dynamic")]
        files = {(o, m): f"{name}_op{o}_{m}.onnx" for o, m in wanted}
        done = {e["file"] for e in manifest["entries"] if e.get("recipe") == RECIPE} | \
            {e["file"] for e in manifest["skipped"] if e.get("recipe") == RECIPE}
        if not args.force and all(f in done and (os.path.exists(os.path.join(args.out, f)) or
                                                 any(k["file"] == f for k in manifest["skipped"]))
                                  for f in files.values()):
            print(f"export_zoo: {name}: up to date")
            continue
        t0 = time.time()
        model_seed = args.seed * 7919 + zlib.crc32(name.encode())
        model, size, counts = build(name, model_seed)
        x = torch.from_numpy(input_for(*size))
        with torch.no_grad():
            y = model(x).numpy()
        std, peak = float(y.std()), float(np.abs(y).max())
        print(f"export_zoo: {name}: built in {time.time() - t0:.1f} s, redrawn {counts}, "
              f"output {list(y.shape)} std {std:.3g} max|y| {peak:.3g}")
        if not (1e-2 <= std <= 1e3) or not np.isfinite(y).all():
            sys.exit(f"export_zoo: {name}: output std {std:.3g} is outside [1e-2, 1e3]; fix the re-draw")
        fp32_error = fp32_error_ratio(model, x)
        print(f"export_zoo: {name}: fp32 vs fp64 in PyTorch: max|diff| / max|y| = {fp32_error:.3g}")
        if fp32_error > FP32_ERROR_LIMIT:
            sys.exit(f"export_zoo: {name}: these weights are ill-conditioned (fp32 PyTorch is {fp32_error:.3g} from "
                     f"fp64, limit {FP32_ERROR_LIMIT:g} = 1/4 of the harness tolerance); fix the re-draw")
        output_name = "logits" if task == "cls" else "out"
        for opset, mode in wanted:
            fname = files[(opset, mode)]
            path = os.path.join(args.out, fname)
            manifest["entries"] = [e for e in manifest["entries"] if e["file"] != fname]
            manifest["skipped"] = [s for s in manifest["skipped"] if s["file"] != fname]
            t1 = time.time()
            try:
                export_one(model, x, path, opset, mode == "dynamic", output_name)
            except Exception as e:  # noqa: BLE001 - any export failure is recorded, not fatal
                reason = f"{type(e).__name__}: {str(e).strip().splitlines()[0] if str(e).strip() else ''}"
                print(f"export_zoo: {fname}: SKIPPED, torch {torch.__version__} cannot export it: {reason}")
                manifest["skipped"].append({"file": fname, "model": name, "opset": opset, "mode": mode,
                                            "reason": reason, "recipe": RECIPE})
                continue
            proto = onnx.load(path, load_external_data=False)
            sizes = [size] + ((CLS_EXTRA_SIZES if task == "cls" else SEG_EXTRA_SIZES) if mode == "dynamic" else [])
            for hw in sizes:
                p = os.path.join(args.out, "inputs", size_key(hw) + ".npy")
                if not os.path.exists(p):
                    np.save(p, input_for(*hw))
            shape = [1, 3, size[0], size[1]] if mode == "static" else [1, 3, "H", "W"]
            manifest["entries"].append({
                "file": fname, "recipe": RECIPE, "model": name, "family": family, "task": task, "opset": opset, "mode": mode,
                "input": {"name": INPUT_NAME, "shape": shape}, "outputs": [output_name],
                "export_size": list(size), "sizes": [size_key(hw) for hw in sizes],
                "nodes": len(proto.graph.node), "ops": op_histogram(proto), "sha256": sha256(path),
                "torch_output": {"shape": list(y.shape), "std": std, "max_abs": peak, "fp32_error_ratio": fp32_error},
            })
            print(f"export_zoo: {fname}: {len(proto.graph.node)} nodes, {os.path.getsize(path) / 2**20:.1f} MiB, "
                  f"{time.time() - t1:.1f} s")
        order = {n: i for i, n in enumerate(MODELS)}
        manifest["entries"].sort(key=lambda e: (order.get(e["model"], 99), e["opset"], e["mode"] != "static"))
        tmp = manifest_path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(manifest, f, indent=1)
        os.replace(tmp, manifest_path)
    print(f"export_zoo: {len(manifest['entries'])} models in {manifest_path}, {len(manifest['skipped'])} skipped")


if __name__ == "__main__":
    main()
