"""MTNet-B0: MiT-B0 encoder shared by a SegFormer segmentation head and a progressive depth head (DESIGN.md §3).

Every spatial size is read from tensors at run time (x.shape, size=..., scale_factor=2) so that an ONNX export
with dynamic H x W records the Shape/Gather/Concat chains and runs at any multiple of 32.
"""

import argparse
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

EMBED_DIMS = (32, 64, 160, 256)
DEPTHS = (2, 2, 2, 2)
NUM_HEADS = (1, 2, 5, 8)
SR_RATIOS = (8, 4, 2, 1)
MLP_RATIO = 4
SEG_CHANNELS = 256
NUM_CLASSES = 19  # Cityscapes train ids
MAX_DEPTH = 80.0  # metres


# Channel counts are Python ints and batch comes from x.shape[0] (folded to a constant when batch is static), so
# the only run-time shape arithmetic an export records is for H and W. flatten(2) is avoided on purpose: torch
# exports it as Shape->Slice->Concat, which its constant folding leaves even in a static-shape export.
def tokens_to_bchw(x, c, h, w):
    """(B, N, C) tokens -> (B, C, H, W) feature map."""
    return x.transpose(1, 2).reshape(x.shape[0], c, h, w)


def bchw_to_tokens(x, c):
    """(B, C, H, W) feature map -> (B, H*W, C) tokens."""
    return x.reshape(x.shape[0], c, -1).transpose(1, 2)


class OverlapPatchEmbed(nn.Module):
    """Strided conv whose kernel overlaps its neighbours (7/4 or 3/2), then flatten to tokens and LayerNorm."""

    def __init__(self, in_ch, out_ch, kernel, stride):
        super().__init__()
        self.out_ch = out_ch
        self.proj = nn.Conv2d(in_ch, out_ch, kernel, stride, kernel // 2)
        self.norm = nn.LayerNorm(out_ch)

    def forward(self, x):
        x = self.proj(x)
        h, w = x.shape[2], x.shape[3]
        return self.norm(bchw_to_tokens(x, self.out_ch)), h, w


class EfficientSelfAttention(nn.Module):
    """Multi-head attention whose keys/values come from a sequence shrunk sr x sr by a strided conv (PVT)."""

    def __init__(self, dim, heads, sr):
        super().__init__()
        self.dim, self.heads, self.head_dim = dim, heads, dim // heads
        self.scale = self.head_dim ** -0.5
        self.q = nn.Linear(dim, dim)
        # One kv Linear (k rows first, then v) has SegFormer's weight layout, so its checkpoints map over by name.
        self.kv = nn.Linear(dim, 2 * dim)
        self.proj = nn.Linear(dim, dim)
        self.sr = sr
        if sr > 1:
            self.sr_conv = nn.Conv2d(dim, dim, sr, sr)
            self.sr_norm = nn.LayerNorm(dim)

    def split_heads(self, x):
        # (B, N, C) -> (B, heads, N, C/heads); kept 4-D so runtimes never see 5-D tensors.
        return x.reshape(x.shape[0], -1, self.heads, self.head_dim).permute(0, 2, 1, 3)

    def forward(self, x, h, w):
        c = self.dim
        q = self.split_heads(self.q(x))
        if self.sr > 1:
            kv_in = bchw_to_tokens(self.sr_conv(tokens_to_bchw(x, c, h, w)), c)
            kv_in = self.sr_norm(kv_in)
        else:
            kv_in = x
        kv = self.kv(kv_in)
        # Slicing the last axis (not kv.reshape(..., 2, heads, d)[0]) gives plain Slice ops, no 5-D Gather.
        k = self.split_heads(kv[:, :, :c])
        v = self.split_heads(kv[:, :, c:])
        attn = torch.softmax((q @ k.transpose(-2, -1)) * self.scale, dim=-1)
        out = (attn @ v).transpose(1, 2).reshape(x.shape[0], -1, c)
        return self.proj(out)


class MixFFN(nn.Module):
    """Linear -> 3x3 depthwise conv -> GELU -> Linear; the depthwise conv stands in for positional encoding."""

    def __init__(self, dim, hidden):
        super().__init__()
        self.hidden = hidden
        self.fc1 = nn.Linear(dim, hidden)
        self.dwconv = nn.Conv2d(hidden, hidden, 3, 1, 1, groups=hidden)
        self.act = nn.GELU()  # exact (erf) GELU, as SegFormer
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x, h, w):
        x = self.dwconv(tokens_to_bchw(self.fc1(x), self.hidden, h, w))
        return self.fc2(self.act(bchw_to_tokens(x, self.hidden)))


class Block(nn.Module):
    def __init__(self, dim, heads, sr):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = EfficientSelfAttention(dim, heads, sr)
        self.norm2 = nn.LayerNorm(dim)
        self.ffn = MixFFN(dim, dim * MLP_RATIO)

    def forward(self, x, h, w):
        x = x + self.attn(self.norm1(x), h, w)
        return x + self.ffn(self.norm2(x), h, w)


class MiTB0(nn.Module):
    """Mix Transformer B0; returns c1..c4 (BCHW) at 1/4, 1/8, 1/16, 1/32."""

    def __init__(self):
        super().__init__()
        self.patch_embeds = nn.ModuleList()
        self.stages = nn.ModuleList()
        self.norms = nn.ModuleList()
        in_ch = 3
        for i, dim in enumerate(EMBED_DIMS):
            kernel, stride = (7, 4) if i == 0 else (3, 2)
            self.patch_embeds.append(OverlapPatchEmbed(in_ch, dim, kernel, stride))
            self.stages.append(nn.ModuleList(Block(dim, NUM_HEADS[i], SR_RATIOS[i]) for _ in range(DEPTHS[i])))
            self.norms.append(nn.LayerNorm(dim))
            in_ch = dim

    def forward(self, x):
        feats = []
        for embed, blocks, norm, dim in zip(self.patch_embeds, self.stages, self.norms, EMBED_DIMS):
            x, h, w = embed(x)
            for blk in blocks:
                x = blk(x, h, w)
            x = tokens_to_bchw(norm(x), dim, h, w)
            feats.append(x)
        return feats


class SegHead(nn.Module):
    """SegFormer all-MLP head, with the four projected scales summed instead of concatenated (the webinar's)."""

    def __init__(self):
        super().__init__()
        # 1x1 convs equal SegFormer's per-token Linear but stay in BCHW, which conv-only units (DLA) prefer.
        self.proj = nn.ModuleList(nn.Conv2d(c, SEG_CHANNELS, 1) for c in EMBED_DIMS)
        self.fuse = nn.Sequential(nn.Conv2d(SEG_CHANNELS, SEG_CHANNELS, 1, bias=False),
                                  nn.BatchNorm2d(SEG_CHANNELS), nn.ReLU())
        self.classifier = nn.Conv2d(SEG_CHANNELS, NUM_CLASSES, 1)

    def forward(self, feats):
        size = feats[0].shape[2:]
        x = self.proj[0](feats[0])
        for proj, f in zip(self.proj[1:], feats[1:]):
            x = x + F.interpolate(proj(f), size=size, mode="bilinear", align_corners=False)
        return self.classifier(self.fuse(x))


def conv_relu(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, 1, 1), nn.ReLU())


class DepthHead(nn.Module):
    """Progressive decoder: five x2 upsample + conv steps from 1/32 to 1/1, skips added at 1/16, 1/8, 1/4."""

    # Channels after each upsample step; the first three equal c3, c2, c1 so skips add without projection.
    CHANNELS = (160, 64, 32, 16, 16)

    def __init__(self):
        super().__init__()
        cins = (EMBED_DIMS[3],) + self.CHANNELS[:-1]
        self.up_convs = nn.ModuleList(conv_relu(ci, co) for ci, co in zip(cins, self.CHANNELS))
        self.refines = nn.ModuleList(conv_relu(c, c) for c in self.CHANNELS[:3])
        self.out = nn.Conv2d(self.CHANNELS[-1], 1, 3, 1, 1)

    def forward(self, feats):
        skips = (feats[2], feats[1], feats[0])
        x = feats[3]
        for i, up_conv in enumerate(self.up_convs):
            x = up_conv(F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False))
            if i < len(skips):
                x = self.refines[i](x + skips[i])
        return MAX_DEPTH * torch.sigmoid(self.out(x))


class MTNetB0(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = MiTB0()
        self.seg_head = SegHead()
        self.depth_head = DepthHead()

    def forward(self, image):
        feats = self.encoder(image)
        return self.seg_head(feats), self.depth_head(feats)


def _randomize(model, gen):
    """Random but well-scaled weights: activations stay O(1) and no norm/BN layer is an identity."""
    def normal(t, std, mean=0.0):
        with torch.no_grad():
            t.copy_(torch.randn(t.shape, generator=gen) * std + mean)

    for name, m in model.named_modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            fan_in = m.weight[0].numel()
            # He gain for layers followed by ReLU/GELU, unit gain elsewhere; q/kv a little hotter so the softmax
            # is peaked (logits of a few units) rather than a flat average that would hide attention bugs.
            gain = 2.0 if name.endswith(("q", "kv")) else math.sqrt(2.0)
            if name.endswith(("classifier", "depth_head.out")):
                gain = 1.5  # output layers: logits of a few units, pre-sigmoid values not pinned at 0 or 80
            normal(m.weight, gain / math.sqrt(fan_in))
            if m.bias is not None:
                normal(m.bias, 0.1)
        elif isinstance(m, nn.LayerNorm):
            normal(m.weight, 0.1, 1.0)
            normal(m.bias, 0.1)
        elif isinstance(m, nn.BatchNorm2d):
            normal(m.weight, 0.1, 1.0)
            normal(m.bias, 0.1)
            normal(m.running_mean, 0.2)
            with torch.no_grad():
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=gen) * 1.5 + 0.5)


def build_model(seed=0):
    """MTNet-B0 with deterministic random weights from `seed`, in eval mode."""
    torch.manual_seed(seed)
    model = MTNetB0()
    _randomize(model, torch.Generator().manual_seed(seed))
    return model.eval()


def param_count(model):
    return sum(p.numel() for p in model.parameters())


def _stats(name, t):
    return f"{name:>11} {tuple(t.shape)}  min {t.min():9.4f}  max {t.max():9.4f}  mean {t.mean():9.4f}  std {t.std():8.4f}"


def main():
    ap = argparse.ArgumentParser(description="Build MTNet-B0 with random weights and print shapes and statistics.")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--size", default="256x512", help="HxW, multiples of 32")
    args = ap.parse_args()
    h, w = (int(v) for v in args.size.split("x"))
    model = build_model(args.seed)
    print(f"parameters: {param_count(model):,}")
    x = torch.randn(1, 3, h, w, generator=torch.Generator().manual_seed(args.seed + 1))
    with torch.no_grad():
        feats = model.encoder(x)
        seg, depth = model(x)
        pre_sigmoid = torch.logit(depth / MAX_DEPTH)
    for i, f in enumerate(feats):
        print(_stats(f"c{i + 1}", f))
    print(_stats("seg_logits", seg))
    print(_stats("pre-sigmoid", pre_sigmoid))
    print(_stats("depth", depth))
    print(f"classes used by argmax: {seg.argmax(1).unique().numel()} / {NUM_CLASSES}")


if __name__ == "__main__":
    main()
