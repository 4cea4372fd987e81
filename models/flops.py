"""FLOP counter for MTNet-B0: 2 x multiply-accumulates of every conv, linear and attention matmul.

Elementwise ops, norms, softmax and resizes are left out: they are memory-bound and would blur the number
that compute-bound kernels (and the DESIGN.md targets) are compared against.
"""

import argparse
from collections import defaultdict

import torch
import torch.nn as nn

from mtnet import EfficientSelfAttention, build_model


def count_flops(model, h, w):
    """Returns {part: flops} for one [1,3,h,w] forward, parts being encoder / seg_head / depth_head."""
    flops = defaultdict(int)
    hooks = []

    def part_of(name):
        return name.split(".")[0]

    def conv_hook(part):
        def hook(m, inp, out):
            macs_per_out = (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]
            flops[part] += 2 * out.numel() * macs_per_out
        return hook

    def linear_hook(part):
        def hook(m, inp, out):
            flops[part] += 2 * out.numel() * m.in_features
        return hook

    def attn_hook(part):
        # q k^T and attn v: each B*N*N_kv*C MACs, N_kv being the sequence after sr x sr reduction.
        def hook(m, inp, out):
            b, n, c = inp[0].shape
            n_kv = n // (m.sr * m.sr)
            flops[part] += 2 * 2 * b * n * n_kv * c
        return hook

    for name, m in model.named_modules():
        if isinstance(m, nn.Conv2d):
            hooks.append(m.register_forward_hook(conv_hook(part_of(name))))
        elif isinstance(m, nn.Linear):
            hooks.append(m.register_forward_hook(linear_hook(part_of(name))))
        elif isinstance(m, EfficientSelfAttention):
            hooks.append(m.register_forward_hook(attn_hook(part_of(name))))
    with torch.no_grad():
        model(torch.zeros(1, 3, h, w))
    for hk in hooks:
        hk.remove()
    return dict(flops)


def main():
    ap = argparse.ArgumentParser(description="Print MTNet-B0 GFLOPs (2 x MACs) per part.")
    ap.add_argument("--sizes", default="256x512,512x1024")
    args = ap.parse_args()
    model = build_model(0)
    for size in args.sizes.split(","):
        h, w = (int(v) for v in size.split("x"))
        f = count_flops(model, h, w)
        parts = "  ".join(f"{k} {v / 1e9:.3f}" for k, v in f.items())
        print(f"{size}: total {sum(f.values()) / 1e9:.3f} GFLOP  ({parts})")


if __name__ == "__main__":
    main()
