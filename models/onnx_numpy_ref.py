"""A small NumPy interpreter for the ONNX ops MTNet-B0 exports to, used to check the ONNX files without torch.

onnx 1.12 has no onnx.reference evaluator and onnxruntime is not installed, so this is the independent check
that an export (dynamic shape chains included) computes what PyTorch computes. Floating-point work is done in
float64, so it is a reference for the float32 runtimes rather than one more float32 implementation. It follows
the ONNX operator specs literally and is slow; it is not meant for more than a few small images.
"""

import math

import numpy as np
from onnx import mapping, numpy_helper

_erf = np.frompyfunc(math.erf, 1, 1)


def _attrs(node):
    out = {}
    for a in node.attribute:
        if a.type == a.INT:
            out[a.name] = a.i
        elif a.type == a.FLOAT:
            out[a.name] = a.f
        elif a.type == a.INTS:
            out[a.name] = list(a.ints)
        elif a.type == a.STRING:
            out[a.name] = a.s.decode()
        elif a.type == a.TENSOR:
            out[a.name] = numpy_helper.to_array(a.t)
    return out


def _conv(x, w, b, at):
    """Direct convolution as a sum over kernel taps; groups are a tensor axis, so depthwise needs no loop."""
    n, c, _, _ = x.shape
    g = at.get("group", 1)
    o, cg, kh, kw = w.shape
    sy, sx = at.get("strides", [1, 1])
    dy, dx = at.get("dilations", [1, 1])
    pt, pl, pb, pr = at.get("pads", [0, 0, 0, 0])
    assert at.get("auto_pad", "NOTSET") == "NOTSET" and c == g * cg
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr))).reshape(n, g, cg, x.shape[2] + pt + pb, -1)
    ho = (xp.shape[3] - dy * (kh - 1) - 1) // sy + 1
    wo = (xp.shape[4] - dx * (kw - 1) - 1) // sx + 1
    wg = w.reshape(g, o // g, cg, kh, kw)
    y = np.zeros((n, g, o // g, ho, wo), dtype=np.result_type(x, w))
    for ky in range(kh):
        for kx in range(kw):
            patch = xp[:, :, :, ky * dy: ky * dy + sy * (ho - 1) + 1: sy, kx * dx: kx * dx + sx * (wo - 1) + 1: sx]
            y += np.einsum("ngchw,goc->ngohw", patch, wg[:, :, :, ky, kx])
    y = y.reshape(n, o, ho, wo)
    return y if b is None else y + b.reshape(1, -1, 1, 1)


def _linear_matrix(n_in, n_out, scale):
    """Rows of 1-D linear interpolation weights, half_pixel coordinates, edge-clamped (ONNX Resize 'linear')."""
    m = np.zeros((n_out, n_in))
    src = np.clip((np.arange(n_out) + 0.5) / scale - 0.5, 0, n_in - 1)
    i0 = np.floor(src).astype(np.int64)
    i1 = np.minimum(i0 + 1, n_in - 1)
    frac = src - i0
    np.add.at(m, (np.arange(n_out), i0), 1 - frac)
    np.add.at(m, (np.arange(n_out), i1), frac)
    return m


def _resize(x, roi, scales, sizes, at):
    assert at.get("mode") == "linear" and at.get("coordinate_transformation_mode") == "half_pixel"
    if sizes is not None and sizes.size:
        sizes = sizes.astype(np.int64)
        scales = sizes / np.array(x.shape)
    else:
        sizes = np.floor(np.array(x.shape) * scales).astype(np.int64)
    assert sizes[0] == x.shape[0] and sizes[1] == x.shape[1], "only spatial resizes"
    my = _linear_matrix(x.shape[2], sizes[2], scales[2])
    mx = _linear_matrix(x.shape[3], sizes[3], scales[3])
    return np.einsum("yh,nchw,xw->ncyx", my, x, mx)


def _layer_norm(x, scale, bias, at):
    axes = tuple(range(at.get("axis", -1) % x.ndim, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    y = (x - mean) / np.sqrt(var + at.get("epsilon", 1e-5)) * scale
    return y if bias is None else y + bias


def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _reshape(x, shape):
    shape = [x.shape[i] if d == 0 else d for i, d in enumerate(shape.tolist())]  # allowzero=0: 0 copies the dim
    return x.reshape(shape)


def _slice(x, starts, ends, axes=None, steps=None):
    axes = range(len(starts)) if axes is None else axes
    steps = [1] * len(starts) if steps is None else steps
    idx = [slice(None)] * x.ndim
    for s, e, a, st in zip(starts, ends, axes, steps):
        idx[int(a)] = slice(int(s), int(e), int(st))
    return x[tuple(idx)]


def _unsqueeze(x, axes):
    for a in sorted(int(a) % (x.ndim + len(axes)) for a in axes):
        x = np.expand_dims(x, a)
    return x


def _run_node(op, ins, at):
    binary = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Pow": np.power}
    unary = {"Sqrt": np.sqrt, "Relu": lambda v: np.maximum(v, 0), "Sigmoid": lambda v: 1 / (1 + np.exp(-v)),
             "Erf": lambda v: _erf(v).astype(v.dtype)}
    if op in binary:
        return binary[op](ins[0], ins[1])
    if op in unary:
        return unary[op](ins[0])
    if op == "Div":  # integer Div truncates in ONNX; only shape arithmetic is integer here
        return ins[0] // ins[1] if ins[0].dtype.kind == "i" else ins[0] / ins[1]
    if op == "Constant":
        return at["value"]
    if op == "Shape":
        return np.array(ins[0].shape, dtype=np.int64)
    if op == "Gather":
        return np.take(ins[0], ins[1], axis=at.get("axis", 0))
    if op == "Unsqueeze":
        return _unsqueeze(ins[0], ins[1] if len(ins) > 1 else at["axes"])
    if op == "Concat":
        return np.concatenate(ins, axis=at["axis"])
    if op == "Cast":
        to = np.dtype(mapping.TENSOR_TYPE_TO_NP_TYPE[at["to"]])
        return ins[0].astype(np.float64 if to.kind == "f" else to)  # floats stay float64, see module doc
    if op == "Reshape":
        return _reshape(ins[0], ins[1])
    if op == "Transpose":
        return np.transpose(ins[0], at.get("perm"))
    if op == "Slice":
        return _slice(*ins)
    if op == "MatMul":
        return np.matmul(ins[0], ins[1])
    if op == "Conv":
        return _conv(ins[0], ins[1], ins[2] if len(ins) > 2 else None, at)
    if op == "Resize":
        return _resize(*(ins + [None] * (4 - len(ins))), at)
    if op == "Softmax":
        return _softmax(ins[0], at.get("axis", -1))
    if op == "ReduceMean":
        axes = tuple(at["axes"]) if "axes" in at else tuple(ins[1])
        return ins[0].mean(axis=axes, keepdims=bool(at.get("keepdims", 1)))
    if op == "LayerNormalization":
        return _layer_norm(ins[0], ins[1], ins[2] if len(ins) > 2 else None, at)
    raise NotImplementedError(f"op {op}")


def _as_reference(a):
    return a.astype(np.float64) if a.dtype.kind == "f" else a


def run_model(model, feeds):
    """Runs an onnx.ModelProto on {name: ndarray}; returns the graph outputs as float32/int arrays, in order."""
    env = {t.name: _as_reference(numpy_helper.to_array(t)) for t in model.graph.initializer}
    env.update({k: _as_reference(np.asarray(v)) for k, v in feeds.items()})
    env[""] = None  # an omitted optional input
    for node in model.graph.node:  # ONNX graphs are stored in topological order
        ins = [env[i] for i in node.input]
        while ins and ins[-1] is None:
            ins.pop()
        out = _run_node(node.op_type, ins, _attrs(node))
        env[node.output[0]] = _as_reference(np.asarray(out))
    results = [env[o.name] for o in model.graph.output]
    return [r.astype(np.float32) if r.dtype.kind == "f" else r for r in results]
