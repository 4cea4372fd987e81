#!/usr/bin/python3
"""Regenerates the committed seed corpora in fuzz/corpus/ (small, valid inputs for each fuzz target).

    /usr/bin/python3 fuzz/make_seeds.py [--build build] [TARGET ...]

Needs python3-onnx, python3-numpy and python3-pil (scripts/setup.sh installs them), libonnx-testdata, and for the
onnx_import selection, calibration_cache and engine_file seeds a GCC build (build/tools/tandem and
build/tests/nodetests/tandem_node_tests). Deterministic: the same inputs give the same files. Each target's folder
is rewritten; fuzz/regressions/ is never touched.
"""
import argparse
import collections
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")
NODE_TESTS = "/usr/share/libonnx-testdata/data/node"
MAX_MODEL_BYTES = 16384
OPSET = [helper.make_opsetid("", 17)]


def out_dir(target):
    d = os.path.join(CORPUS, target)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


def write(d, name, data):
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ---------------------------------------------------------------------------------------------------- onnx_import


def supported_tests(build):
    """Names of the node tests Tandem runs (all of whose operators it supports), from the node-test runner."""
    runner = os.path.join(build, "tests", "nodetests", "tandem_node_tests")
    if not os.path.exists(runner):
        sys.exit(f"make_seeds: {runner} not found (build the GCC tree first)")
    out = subprocess.run([runner, "--gtest_list_tests"], check=True, capture_output=True, text=True).stdout
    return {line.strip() for line in out.splitlines() if line.startswith("  ")}


def pick_node_tests(supported, per_op=2, extra_unsupported=24):
    """Up to `per_op` small models per supported operator (fewest first, then the models with most operators),
    plus a few with operators Tandem lacks (subgraphs, sequences, RNNs: import-only coverage)."""
    rows = []
    for t in sorted(os.listdir(NODE_TESTS)):
        p = os.path.join(NODE_TESTS, t, "model.onnx")
        if not os.path.exists(p) or os.path.getsize(p) > MAX_MODEL_BYTES:
            continue
        m = onnx.load(p)
        ops = sorted({n.op_type for n in m.graph.node})
        rows.append((t, os.path.getsize(p), ops))
    chosen, count = [], collections.Counter()
    sup = [r for r in rows if r[0] in supported]
    # Richer models first (expanded functions hit more ops at once), then smaller.
    for t, size, ops in sorted(sup, key=lambda r: (-len(r[2]), r[1], r[0])):
        if any(count[o] < per_op for o in ops):
            chosen.append(t)
            count.update(ops)
    seen_unsup = set()
    for t, size, ops in sorted((r for r in rows if r[0] not in supported), key=lambda r: (r[1], r[0])):
        new = set(ops) - seen_unsup - set(count)
        if new and len(seen_unsup) < 200:
            chosen.append(t)
            seen_unsup.update(ops)
            if sum(1 for c in chosen if c not in supported) >= extra_unsupported:
                break
    return chosen


def vi(name, elem, dims):
    return helper.make_tensor_value_info(name, elem, dims)


def model(nodes, inputs, outputs, inits=(), name="seed"):
    g = helper.make_graph(nodes, name, inputs, outputs, initializer=list(inits))
    m = helper.make_model(g, opset_imports=OPSET, producer_name="tandem-fuzz-seeds")
    m.ir_version = 8
    return m.SerializeToString()


def i64(name, values):
    return numpy_helper.from_array(np.array(values, dtype=np.int64), name)


def f32(name, array):
    return numpy_helper.from_array(np.asarray(array, dtype=np.float32), name)


def hand_made_models():
    """Small models for the shape-building ops and the fusion passes."""
    F = TensorProto.FLOAT
    rng = np.random.default_rng(0)
    x = vi("x", F, [1, 3, 8, 8])
    xd = vi("x", F, ["batch", 3, 8, 8])  # dynamic batch: defaulted to 1
    y = vi("y", F, None)
    w = f32("w", rng.standard_normal((4, 3, 3, 3)) * 0.1)
    b = f32("b", rng.standard_normal(4) * 0.1)
    out = {}
    out["reshape"] = model([helper.make_node("Reshape", ["x", "s"], ["y"])], [x], [y], [i64("s", [1, 3, -1, 0])])
    out["constantofshape"] = model(
        [helper.make_node("ConstantOfShape", ["s"], ["c"], value=helper.make_tensor("v", F, [1], [1.5])),
         helper.make_node("Add", ["x", "c"], ["y"])], [x], [y], [i64("s", [1, 3, 8, 8])])
    out["range"] = model(
        [helper.make_node("Range", ["start", "limit", "delta"], ["r"]),
         helper.make_node("Cast", ["r"], ["rf"], to=F), helper.make_node("Add", ["x", "rf"], ["y"])], [x], [y],
        [numpy_helper.from_array(np.array(0, np.int64), "start"), numpy_helper.from_array(np.array(8, np.int64), "limit"),
         numpy_helper.from_array(np.array(1, np.int64), "delta")])
    out["tile"] = model([helper.make_node("Tile", ["x", "r"], ["y"])], [x], [y], [i64("r", [1, 2, 1, 3])])
    out["pad"] = model([helper.make_node("Pad", ["x", "p", "v"], ["y"], mode="constant")], [x], [y],
                       [i64("p", [0, 0, 1, 2, 0, 0, 3, 1]), f32("v", 0.5)])
    out["pad_reflect"] = model([helper.make_node("Pad", ["x", "p"], ["y"], mode="reflect")], [x], [y],
                               [i64("p", [0, 0, 2, 2, 0, 0, 2, 2])])
    out["resize_scales"] = model(
        [helper.make_node("Resize", ["x", "", "sc"], ["y"], mode="linear", coordinate_transformation_mode="half_pixel")],
        [x], [y], [f32("sc", [1, 1, 2, 2])])
    out["resize_sizes_nearest"] = model(
        [helper.make_node("Resize", ["x", "", "", "sz"], ["y"], mode="nearest", nearest_mode="floor",
                          coordinate_transformation_mode="asymmetric")], [x], [y], [i64("sz", [1, 3, 5, 13])])
    out["conv_relu"] = model([helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1]),
                              helper.make_node("Relu", ["c"], ["y"])], [x], [y], [w, b])
    out["conv_strided_grouped"] = model(
        [helper.make_node("Conv", ["x", "wg"], ["y"], strides=[2, 2], group=3, dilations=[2, 2], pads=[2, 2, 2, 2])],
        [x], [y], [f32("wg", rng.standard_normal((6, 1, 3, 3)))])
    out["concat"] = model([helper.make_node("Concat", ["x", "x2"], ["y"], axis=1)], [x, vi("x2", F, [1, 2, 8, 8])], [y])
    # The dynamic-axes export pattern specialisation folds: Shape -> Gather -> Concat -> Reshape.
    out["shape_arith_dynamic_batch"] = model(
        [helper.make_node("Shape", ["x"], ["sh"]),
         helper.make_node("Gather", ["sh", "i0"], ["n"], axis=0),
         helper.make_node("Unsqueeze", ["n", "ax"], ["n1"]),
         helper.make_node("Concat", ["n1", "rest"], ["s"], axis=0),
         helper.make_node("Reshape", ["x", "s"], ["y"])], [xd], [y],
        [numpy_helper.from_array(np.array(0, np.int64), "i0"), i64("ax", [0]), i64("rest", [-1])])
    # Fusion patterns: conv + add + relu, GELU (erf form), SiLU, LayerNorm (decomposed), MatMul + Add, Resize + Add.
    out["conv_add_relu"] = model(
        [helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1]),
         helper.make_node("Conv", ["x", "w"], ["c2"], pads=[1, 1, 1, 1]),
         helper.make_node("Add", ["c", "c2"], ["s"]), helper.make_node("Relu", ["s"], ["y"])], [x], [y], [w, b])
    out["gelu"] = model(
        [helper.make_node("Div", ["x", "sqrt2"], ["d"]), helper.make_node("Erf", ["d"], ["e"]),
         helper.make_node("Add", ["e", "one"], ["e1"]), helper.make_node("Mul", ["x", "e1"], ["m"]),
         helper.make_node("Mul", ["m", "half"], ["y"])], [x], [y],
        [f32("sqrt2", 1.4142135), f32("one", 1.0), f32("half", 0.5)])
    out["silu"] = model([helper.make_node("Sigmoid", ["x"], ["s"]), helper.make_node("Mul", ["x", "s"], ["y"])], [x], [y])
    out["layernorm_decomposed"] = model(
        [helper.make_node("ReduceMean", ["x"], ["mu"], axes=[-1]), helper.make_node("Sub", ["x", "mu"], ["d"]),
         helper.make_node("Pow", ["d", "two"], ["d2"]), helper.make_node("ReduceMean", ["d2"], ["var"], axes=[-1]),
         helper.make_node("Add", ["var", "eps"], ["ve"]), helper.make_node("Sqrt", ["ve"], ["sd"]),
         helper.make_node("Div", ["d", "sd"], ["n"]), helper.make_node("Mul", ["n", "gamma"], ["ng"]),
         helper.make_node("Add", ["ng", "beta"], ["y"])], [x], [y],
        [f32("two", 2.0), f32("eps", 1e-5), f32("gamma", np.ones(8)), f32("beta", np.zeros(8))])
    out["matmul_add_gemm"] = model(
        [helper.make_node("Flatten", ["x"], ["f"], axis=1), helper.make_node("MatMul", ["f", "mw"], ["mm"]),
         helper.make_node("Add", ["mm", "mb"], ["h"]),
         helper.make_node("Gemm", ["h", "gw", "gb"], ["y"], transB=1, alpha=0.5)], [x], [y],
        [f32("mw", rng.standard_normal((192, 16)) * 0.1), f32("mb", np.zeros(16)),
         f32("gw", rng.standard_normal((5, 16))), f32("gb", np.zeros(5))])
    out["resize_add"] = model(
        [helper.make_node("Conv", ["x", "w", "b"], ["c"], strides=[2, 2], pads=[1, 1, 1, 1]),
         helper.make_node("Resize", ["c", "", "sc"], ["r"], mode="linear"),
         helper.make_node("Conv", ["x", "w"], ["c2"], pads=[1, 1, 1, 1]),
         helper.make_node("Add", ["r", "c2"], ["y"])], [x], [y], [w, b, f32("sc", [1, 1, 2, 2])])
    # Explicit int8: QuantizeLinear/DequantizeLinear around a convolution.
    out["qdq_conv"] = model(
        [helper.make_node("QuantizeLinear", ["x", "xs", "xz"], ["xq"]),
         helper.make_node("DequantizeLinear", ["xq", "xs", "xz"], ["xd"]),
         helper.make_node("QuantizeLinear", ["w", "ws", "wz"], ["wq"]),
         helper.make_node("DequantizeLinear", ["wq", "ws", "wz"], ["wd"]),
         helper.make_node("Conv", ["xd", "wd", "b"], ["y"], pads=[1, 1, 1, 1])], [x], [y],
        [w, b, f32("xs", 0.05), numpy_helper.from_array(np.array(0, np.int8), "xz"), f32("ws", 0.01),
         numpy_helper.from_array(np.array(0, np.int8), "wz")])
    # An initializer stored as external data (the file is absent: an error, and a path the reader must confine).
    ext = TensorProto(name="w", data_type=F, dims=[4, 3, 3, 3], data_location=TensorProto.EXTERNAL)
    for k, v in (("location", "weights.bin"), ("offset", "0"), ("length", "432")):
        e = ext.external_data.add()
        e.key, e.value = k, v
    out["external_data"] = model([helper.make_node("Conv", ["x", "w"], ["y"], pads=[1, 1, 1, 1])], [x], [y], [ext])
    # Mixed ops: Slice, Transpose, Softmax, Split, Where, Expand, Squeeze, MaxPool, GlobalAveragePool.
    out["mixed"] = model(
        [helper.make_node("Slice", ["x", "st", "en", "axs"], ["sl"]),
         helper.make_node("Transpose", ["sl"], ["t"], perm=[0, 1, 3, 2]),
         helper.make_node("Softmax", ["t"], ["sm"], axis=-1),
         helper.make_node("Split", ["sm", "spl"], ["a", "b2"], axis=1),
         helper.make_node("Greater", ["a", "b2"], ["g"]), helper.make_node("Where", ["g", "a", "b2"], ["wh"]),
         helper.make_node("Expand", ["wh", "ex"], ["e"]), helper.make_node("MaxPool", ["e"], ["mp"], kernel_shape=[2, 2]),
         helper.make_node("GlobalAveragePool", ["mp"], ["gp"]), helper.make_node("Squeeze", ["gp", "sq"], ["y"])],
        [x], [y],
        [i64("st", [0, 1]), i64("en", [3, 7]), i64("axs", [1, 2]), i64("spl", [1, 1]), i64("ex", [2, 1, 1, 1]),
         i64("sq", [2, 3])])
    return out


def make_onnx_import(build):
    d = out_dir("onnx_import")
    for t in pick_node_tests(supported_tests(build)):
        with open(os.path.join(NODE_TESTS, t, "model.onnx"), "rb") as f:
            write(d, t.removeprefix("test_") + ".onnx", f.read())
    for name, data in hand_made_models().items():
        write(d, "hand_" + name + ".onnx", data)


# --------------------------------------------------------------------------------------------------- tensor_proto


def make_tensor_proto():
    d = out_dir("tensor_proto")
    per_type = collections.Counter()
    for t in sorted(os.listdir(NODE_TESTS)):
        ds = os.path.join(NODE_TESTS, t, "test_data_set_0")
        if not os.path.isdir(ds):
            continue
        for f in sorted(os.listdir(ds)):
            p = os.path.join(ds, f)
            if not f.endswith(".pb") or os.path.getsize(p) > 2048:
                continue
            tp = TensorProto()
            try:
                tp.ParseFromString(open(p, "rb").read())
            except Exception:  # sequences/optionals are other protos
                continue
            key = (tp.data_type, len(tp.dims), bool(tp.raw_data))
            if per_type[key] >= 2:
                continue
            per_type[key] += 1
            write(d, f"{t.removeprefix('test_')}_{f}", open(p, "rb").read())
    # Typed fields rather than raw_data, external data, float16 in int32_data, an empty tensor, a scalar.
    hand = {
        "float_data": helper.make_tensor("t", TensorProto.FLOAT, [2, 3], [1, 2, 3, 4, 5, 6]),
        "int64_data": helper.make_tensor("t", TensorProto.INT64, [4], [1, -2, 3, 1 << 40]),
        "int32_data_int8": helper.make_tensor("t", TensorProto.INT8, [3], [-128, 0, 127]),
        "float16_int32_data": helper.make_tensor("t", TensorProto.FLOAT16, [2],
                                                 np.array([1.5, -2], np.float16).view(np.uint16).tolist()),
        "double_data": helper.make_tensor("t", TensorProto.DOUBLE, [2], [1.25, -3.5]),
        "bool": helper.make_tensor("t", TensorProto.BOOL, [3], [True, False, True]),
        "empty": helper.make_tensor("t", TensorProto.FLOAT, [0, 3], []),
        "scalar_raw": numpy_helper.from_array(np.array(7.0, np.float32), "t"),
        "uint16_raw": numpy_helper.from_array(np.arange(6, dtype=np.uint16).reshape(2, 3), "t"),
        "bf16_raw": helper.make_tensor("t", TensorProto.BFLOAT16, [2], b"\x80\x3f\x00\x40", raw=True),
    }
    ext = TensorProto(name="t", data_type=TensorProto.FLOAT, dims=[2, 2], data_location=TensorProto.EXTERNAL)
    for k, v in (("location", "data.bin"), ("offset", "0"), ("length", "16")):
        e = ext.external_data.add()
        e.key, e.value = k, v
    hand["external"] = ext
    for name, tp in hand.items():
        write(d, "hand_" + name + ".pb", tp.SerializeToString())


# ------------------------------------------------------------------------------------------------------------ npy


def npy_bytes(a, version=None):
    f = io.BytesIO()
    if version is None:
        np.save(f, a)
    else:
        np.lib.format.write_array(f, a, version=version)
    return f.getvalue()


def make_npy():
    d = out_dir("npy")
    rng = np.random.default_rng(0)
    arrays = {
        "f32_1x3x4x4": rng.standard_normal((1, 3, 4, 4)).astype(np.float32),
        "f64_2x3": rng.standard_normal((2, 3)),
        "f16_5": np.arange(5, dtype=np.float16),
        "i8_2x2": np.array([[-1, 2], [3, -4]], np.int8),
        "u8_3x2": np.arange(6, dtype=np.uint8).reshape(3, 2),
        "i16_4": np.arange(4, dtype=np.int16),
        "u16_4": np.arange(4, dtype=np.uint16),
        "i32_2x2": np.arange(4, dtype=np.int32).reshape(2, 2),
        "i64_3": np.array([1, -1, 1 << 40], np.int64),
        "bool_4": np.array([True, False, True, True]),
        "f32_scalar": np.array(3.5, np.float32),
        "f32_empty_0x3": np.zeros((0, 3), np.float32),
    }
    for name, a in arrays.items():
        write(d, name + ".npy", npy_bytes(a))
    write(d, "f32_v2_2x2.npy", npy_bytes(np.ones((2, 2), np.float32), version=(2, 0)))
    write(d, "f32_fortran_2x3.npy", npy_bytes(np.asfortranarray(np.ones((2, 3), np.float32))))  # refused
    write(d, "f32_bigendian_3.npy", npy_bytes(np.arange(3, dtype=">f4")))  # refused


# ---------------------------------------------------------------------------------------------------------- image


def img_bytes(im, fmt, **kw):
    f = io.BytesIO()
    im.save(f, fmt, **kw)
    return f.getvalue()


def make_image():
    d = out_dir("image")
    rng = np.random.default_rng(0)
    rgb = Image.fromarray(rng.integers(0, 256, (6, 5, 3), dtype=np.uint8), "RGB")
    gray = rgb.convert("L")
    gray16 = Image.fromarray(rng.integers(0, 65536, (6, 5), dtype=np.uint16).astype(np.uint16))
    files = {
        "rgb8.png": img_bytes(rgb, "PNG"),
        "rgba8.png": img_bytes(rgb.convert("RGBA"), "PNG"),
        "gray8.png": img_bytes(gray, "PNG"),
        "gray16.png": img_bytes(gray16, "PNG"),
        "palette.png": img_bytes(rgb.convert("P", palette=Image.ADAPTIVE, colors=8), "PNG"),
        "bilevel.png": img_bytes(gray.convert("1"), "PNG"),
        "rgb.jpg": img_bytes(rgb, "JPEG", quality=90),
        "gray.jpg": img_bytes(gray, "JPEG"),
        "progressive.jpg": img_bytes(rgb, "JPEG", progressive=True),
        "subsampled420.jpg": img_bytes(rgb.resize((16, 16)), "JPEG", subsampling=2),
        "rgb24.bmp": img_bytes(rgb, "BMP"),
        "palette8.bmp": img_bytes(rgb.convert("P", palette=Image.ADAPTIVE, colors=16), "BMP"),
        "rgb.ppm": img_bytes(rgb, "PPM"),
        "gray.pgm": img_bytes(gray, "PPM"),
        "rgb.tga": img_bytes(rgb, "TGA"),
        "rgb_rle.tga": img_bytes(rgb, "TGA", compression="tga_rle"),
        "gray.tga": img_bytes(gray, "TGA"),
    }
    # An ASCII PPM (P3), by hand. (A 16-bit PGM is fuzz/regressions/image/pnm16_gray_as_rgb8_heap_overflow.pgm:
    # it overflows stb_image's buffer, so it cannot be a seed until that is fixed.)
    files["ascii.ppm"] = b"P3\n# comment\n2 2\n255\n" + b" ".join(str(v).encode() for v in range(12)) + b"\n"
    for name, data in files.items():
        write(d, name, data)


# ----------------------------------------------------------------------------------------------------------- plan


def make_plan():
    d = out_dir("plan")
    plans = os.path.join(ROOT, "bench", "plans")
    for f in sorted(os.listdir(plans)):
        if f.endswith(".json"):
            shutil.copy(os.path.join(plans, f), os.path.join(d, f))
    variants = {
        "minimal": {"version": 1, "units": [{"name": "cpu", "kind": "cpu", "cores": [0]}], "fallback_unit": "cpu",
                    "in_flight": 1, "stages": [{"name": "model", "unit": "cpu", "outputs": ["y"], "precision": "fp32"}]},
        "two_units_overrides": {
            "version": 1,
            "units": [{"name": "big", "kind": "cpu", "cores": [0]}, {"name": "little", "kind": "cpu", "cores": [1]}],
            "fallback_unit": "big", "in_flight": 3,
            "stages": [
                {"name": "backbone", "unit": "big", "outputs": ["c1", "c2"], "precision": "bf16"},
                {"name": "head", "unit": "little", "outputs": ["seg"], "precision": "int8",
                 "overrides": [{"match": "Softmax", "precision": "fp32"}, {"match": "conv_7", "precision": "fp16"}]}]},
        "unicode_names": {"version": 1, "units": [{"name": "\u00fcnit", "kind": "cpu", "cores": [1, 0]}],
                          "fallback_unit": "\u00fcnit", "in_flight": 64,
                          "stages": [{"name": "s\u00e9", "unit": "\u00fcnit", "outputs": ["out:0", "a/b"], "precision": "fp32"}]},
    }
    for name, p in variants.items():
        write(d, name + ".json", json.dumps(p, indent=1, ensure_ascii=False).encode())


# ---------------------------------------------------------------------------------------------- calibration_cache


def make_calibration_cache(build):
    d = out_dir("calibration_cache")
    tandem = os.path.join(build, "tools", "tandem")
    model_path = os.path.join(build, "models", "mtnet_b0_op17_256x512.onnx")
    with tempfile.TemporaryDirectory() as tmp:
        cache = os.path.join(tmp, "cache.txt")
        subprocess.run([tandem, "calibrate", model_path, "--data", "synth:1:2", "--method", "entropy", "--cache", cache,
                        "--threads", "1"], check=True, capture_output=True)
        lines = open(cache).read().splitlines()
    write(d, "mtnet_entropy_trimmed.cache", ("\n".join(lines[:24]) + "\n").encode())
    scales = [("input", 0.0157), ("conv1/out", 0.03125), ("stage1/block.0/conv:0", 1e-3), ("seg: logits", 0.25),
              ("zero", 2.0 ** -32)]

    def hexf(v):
        return struct.pack(">f", v).hex()

    body = "".join(f"{n}: {hexf(s)}\n" for n, s in scales)
    write(d, "minmax.cache", ("TRT-8601-MinMaxCalibration\n" + body).encode())
    write(d, "percentile_crlf.cache", ("TRT-8601-TandemPercentile99.99\r\n" + body.replace("\n", "\r\n")).encode())
    write(d, "mse_blank_lines.cache", ("TRT-8510-TandemMSE\n\n" + body + "\n\n").encode())
    write(d, "upper_short_hex.cache", b"TRT-8601-EntropyCalibration2\nA: 3C8080\nb: 3F800000\nc: 0\n")


# ---------------------------------------------------------------------------------------------------- engine_file


BLOB_SEPARATOR = b"\n--blob--\n"


def engine_seed_variants(engine):
    """The target's three modes (fuzz_engine_file.cpp): 0 = as is, 1 = framing fixed, 3 = header text + blob."""
    hn = struct.unpack_from("<Q", engine, 12)[0]
    header = engine[20:20 + hn]
    blob = engine[20 + hn + 8:-8]
    return {"raw": b"\x00" + engine, "fixed": b"\x01" + engine, "split": b"\x03" + header + BLOB_SEPARATOR + blob}


def make_engine_file(build):
    d = out_dir("engine_file")
    tandem = os.path.join(build, "tools", "tandem")
    F = TensorProto.FLOAT
    rng = np.random.default_rng(0)
    x = vi("x", F, [1, 3, 8, 8])
    w = f32("w", rng.standard_normal((4, 3, 3, 3)) * 0.1)
    b = f32("b", rng.standard_normal(4) * 0.1)
    models = {
        "conv_relu": (model([helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1], name="conv"),
                             helper.make_node("Relu", ["c"], ["y"], name="relu")], [x], [vi("y", F, None)], [w, b]),
                      ["y"]),
        # Two outputs, two stages (two units): boundary tensors, a resize and an add.
        "two_heads": (model([helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1], name="conv"),
                             helper.make_node("Relu", ["c"], ["r"], name="relu"),
                             helper.make_node("Resize", ["r", "", "sc"], ["up"], mode="linear", name="resize"),
                             helper.make_node("GlobalAveragePool", ["r"], ["g"], name="gap"),
                             helper.make_node("Flatten", ["g"], ["f"], name="flatten"),
                             helper.make_node("Gemm", ["f", "gw", "gb"], ["cls"], transB=1, name="fc")],
                            [x], [vi("up", F, None), vi("cls", F, None)],
                            [w, b, f32("sc", [1, 1, 2, 2]), f32("gw", rng.standard_normal((3, 4))), f32("gb", np.zeros(3))]),
                      ["up", "cls"]),
    }
    with tempfile.TemporaryDirectory() as tmp:
        for name, (data, outputs) in models.items():
            m = os.path.join(tmp, name + ".onnx")
            open(m, "wb").write(data)
            plans = {"one_unit": {"version": 1, "units": [{"name": "cpu", "kind": "cpu", "cores": [0]}],
                                  "fallback_unit": "cpu", "in_flight": 1,
                                  "stages": [{"name": "model", "unit": "cpu", "outputs": outputs, "precision": "fp32"}]}}
            if len(outputs) == 2:
                plans["two_units"] = {
                    "version": 1,
                    "units": [{"name": "a", "kind": "cpu", "cores": [0]}, {"name": "b", "kind": "cpu", "cores": [1]}],
                    "fallback_unit": "a", "in_flight": 2,
                    "stages": [{"name": "trunk", "unit": "a", "outputs": ["r"], "precision": "fp32"},
                               {"name": "heads", "unit": "b", "outputs": outputs, "precision": "fp32"}]}
            for pname, plan in plans.items():
                p = os.path.join(tmp, pname + ".json")
                open(p, "w").write(json.dumps(plan))
                e = os.path.join(tmp, "e.tdm")
                subprocess.run([tandem, "build", m, "--plan", p, "-o", e], check=True, capture_output=True)
                for mode, seed in engine_seed_variants(open(e, "rb").read()).items():
                    write(d, f"{name}_{pname}_{mode}.bin", seed)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"), help="the GCC build folder (default build/)")
    ap.add_argument("targets", nargs="*", help="targets to regenerate (default: all)")
    args = ap.parse_args()
    makers = {
        "onnx_import": lambda: make_onnx_import(args.build),
        "tensor_proto": make_tensor_proto,
        "npy": make_npy,
        "image": make_image,
        "plan": make_plan,
        "calibration_cache": lambda: make_calibration_cache(args.build),
        "engine_file": lambda: make_engine_file(args.build),
    }
    for t in args.targets or makers:
        if t not in makers:
            sys.exit(f"make_seeds: no target '{t}' (targets: {' '.join(makers)})")
        makers[t]()
        files = os.listdir(os.path.join(CORPUS, t))
        size = sum(os.path.getsize(os.path.join(CORPUS, t, f)) for f in files)
        print(f"{t}: {len(files)} seeds, {size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
