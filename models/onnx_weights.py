"""Recover an MTNet-B0 state_dict from one of its ONNX exports, so a committed model can be trained further
when its PyTorch checkpoint is gone (checkpoints live in build/, which a fresh machine does not have).

    from onnx_weights import load_onnx_weights
    folded_batchnorms = load_onnx_weights(model, "models/mtnet_b0_synthdrive.onnx")

torch.onnx.export keeps most parameters under their state_dict names. Two kinds do not survive by name:
- every nn.Linear becomes MatMul(x, W^T) + Add(bias) with W^T an anonymous `onnx::MatMul_N` initializer; the
  MatMul node's name (`/encoder/stages.0.0/attn/q/MatMul`) still spells the module path;
- the seg head's Conv + BatchNorm is folded into one Conv with a bias (`onnx::Conv_N`). It is restored as the
  conv's weight plus a BatchNorm that is exactly the identity in eval mode (mean 0, var 1 - eps, gamma 1,
  beta = the folded bias). Training mode would normalise with batch statistics and undo the fold, so the
  caller keeps the BatchNorms that load_onnx_weights returns in eval mode.
"""

import numpy as np
import onnx
import torch
from onnx import numpy_helper


def _module_path(node_name):
    """'/encoder/stages.0.0/attn/q/MatMul' -> 'encoder.stages.0.0.attn.q'. A scope that repeats its parent's
    name as a prefix ('/seg_head/fuse/fuse.0/Conv': child 0 of the Sequential 'fuse') replaces the parent."""
    path = []
    for part in [p for p in node_name.split("/") if p][:-1]:
        if path and part.startswith(path[-1] + "."):
            path[-1] = part
        else:
            path.append(part)
    return ".".join(path)


def load_onnx_weights(model, path):
    """Fill model's parameters and buffers from the ONNX file at path and return the BatchNorm modules restored
    from a fold (to be kept in eval mode); raises ValueError naming what is missing or mis-shaped, so a model
    that does not match the export is never half-loaded silently."""
    graph = onnx.load(path).graph
    inits = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    sd = model.state_dict()
    modules = dict(model.named_modules())
    new, folded = {}, []
    for name in sd:
        if name in inits:
            new[name] = inits[name]
    for node in graph.node:
        if node.op_type == "MatMul" and len(node.input) == 2 and node.input[1] in inits:
            key = _module_path(node.name) + ".weight"
            if key in sd:
                new[key] = inits[node.input[1]].T
        elif node.op_type == "Conv" and node.input[1] in inits and node.input[1] not in sd:
            conv = _module_path(node.name)  # 'seg_head.fuse.0'; its BatchNorm is the next child, 'seg_head.fuse.1'
            head, _, index = conv.rpartition(".")
            bn = f"{head}.{int(index) + 1}" if index.isdigit() else ""
            if conv + ".weight" not in sd or bn + ".running_var" not in sd:
                raise ValueError(f"{path}: folded conv {node.name} has no conv+BatchNorm pair in the model")
            new[conv + ".weight"] = inits[node.input[1]]
            bias = inits[node.input[2]] if len(node.input) > 2 else np.zeros(sd[bn + ".bias"].shape, np.float32)
            eps = modules[bn].eps
            folded.append(modules[bn])
            new[bn + ".weight"] = np.ones_like(bias)
            new[bn + ".bias"] = bias
            new[bn + ".running_mean"] = np.zeros_like(bias)
            new[bn + ".running_var"] = np.full_like(bias, 1.0 - eps)
            new[bn + ".num_batches_tracked"] = np.array(0, dtype=np.int64)
    missing = [k for k in sd if k not in new]
    if missing:
        raise ValueError(f"{path}: no ONNX initializer for {len(missing)} model entries, e.g. {missing[:3]}")
    for k, v in new.items():
        if tuple(v.shape) != tuple(sd[k].shape):
            raise ValueError(f"{path}: {k} has shape {tuple(v.shape)} in ONNX, {tuple(sd[k].shape)} in the model")
    model.load_state_dict({k: torch.from_numpy(np.array(v)).to(sd[k].dtype) for k, v in new.items()})
    return folded
