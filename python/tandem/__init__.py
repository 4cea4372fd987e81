"""Tandem from Python: run ONNX models on the CPU with NumPy arrays in and out.

    import numpy as np, tandem
    s = tandem.Session("models/mtnet_b0_synthdrive.onnx", shape=(256, 512), threads=2)
    out = s.run({"image": np.zeros((1, 3, 256, 512), np.float32)})   # {"seg_logits": array, "depth": array}

Errors raise tandem.Error with the one-line message the CLI prints.
"""
from ._tandem import Error, __version__
from . import _tandem

__all__ = ["Error", "Session", "__version__"]


def _resolve_shapes(inputs, shape):
    """Concrete input shapes from `shape`: None (as declared), (H, W) for every 4-D NCHW input (as the CLI's
    --shape HxW), or {name: tuple}. An open batch dimension becomes 1."""
    if shape is None:
        return {}
    if isinstance(shape, dict):
        known = {p["name"] for p in inputs}
        for name in shape:
            if name not in known:
                raise Error(f"shape: the model has no input '{name}' (its inputs: {', '.join(sorted(known))})")
        return {name: [int(d) for d in dims] for name, dims in shape.items()}
    hw = tuple(int(d) for d in shape)
    if len(hw) != 2 or min(hw) <= 0:
        raise Error(f"shape {shape!r}: expected (H, W) or {{name: shape}}")
    shapes = {}
    for p in inputs:
        if len(p["shape"]) != 4:
            continue
        n, c = p["shape"][0], p["shape"][1]
        shapes[p["name"]] = [n if isinstance(n, int) else 1, c if isinstance(c, int) else 3, hw[0], hw[1]]
    if not shapes:
        raise Error(f"shape {shape!r}: the model has no 4-D (NCHW) input")
    return shapes


class Session:
    """One model on the CPU. `shape` builds the engine for those input shapes at once (otherwise the first run
    with a new set of shapes builds it); `threads` is the number of threads each run uses.

    .inputs / .outputs: [{"name", "dtype", "shape"}] as the model declares them (an open dimension is its name, or
    None). .run(feeds) takes {name: array} with every input in the dtype the model declares (C-contiguous arrays are
    read without a copy) and returns {name: array}."""

    def __init__(self, model_path, shape=None, threads=None, optimize=True):
        self._s = _tandem.Session(str(model_path), 1 if threads is None else int(threads), bool(optimize))
        self.prepared_outputs = None
        shapes = _resolve_shapes(self._s.inputs, shape)
        if shapes:
            self.prepared_outputs = self._s.prepare(shapes)

    @property
    def inputs(self):
        return self._s.inputs

    @property
    def outputs(self):
        return self._s.outputs

    def run(self, feeds, outputs=None):
        """{name: array} -> {name: array}. With `outputs` ({name: array} for every output, C-contiguous, of the
        output's dtype and shape), the results are written into those arrays (no allocation) and it is returned."""
        return self._s.run(feeds, outputs)
