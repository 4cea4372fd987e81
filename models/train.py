"""Train MTNet-B0 on SynthDrive (segmentation + metric depth) on the CPU.

    /usr/bin/python3 models/train.py [--cache build/synthdrive] [--out build/mtnet_train] [--resume]

Data: SynthDrive frames made by `build/tools/tandem synth` and cached as .npy arrays. The seeds are fixed and
disjoint: TRAIN_SEED for training, VAL_SEED for the validation printed while training, TEST_SEED only for
models/evaluate.py (never trained or tuned on).

The schedule is a fixed number of steps in phases (crops first, then whole frames), not a wall-clock deadline,
so a rerun trains the same model. Checkpoints go to --out every --ckpt-every steps; --resume continues from
the last one.
"""

import argparse
import json
import math
import os
import subprocess
import sys
import time

import numpy as np

# Run-time settings that must be in place before the process starts (glibc) or torch loads (libgomp):
# - glibc malloc never mmaps and never trims, so activation buffers are reused from step to step instead of being
#   handed back and page-faulted in again; page faults are very expensive on this VM (bench/peers/torch_worker.py
#   measured 3-4x PyTorch's compute time; here a training step used 1.5x the CPU time without it).
# - waiting OpenMP threads sleep instead of spinning: on the shared 2-core machine a spinning thread steals the core
#   its sibling needs, and steps took 2-4x longer; passive waiting costs little when the machine is idle.
RUNTIME_ENV = {"MALLOC_MMAP_MAX_": "0", "MALLOC_TRIM_THRESHOLD_": str(16 << 30), "OMP_WAIT_POLICY": "PASSIVE"}
if __name__ == "__main__" and any(os.environ.get(k) != v for k, v in RUNTIME_ENV.items()):
    os.execve(sys.executable, [sys.executable] + sys.argv, {**os.environ, **RUNTIME_ENV})
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mtnet import MAX_DEPTH, NUM_CLASSES, MTNetB0, param_count  # noqa: E402
from onnx_weights import load_onnx_weights  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRAIN_SEED, VAL_SEED, TEST_SEED = 1000, 2000, 3000
FRAME_SIZE = (256, 512)
IGNORE = 255
# The runtime's preprocessing of 8-bit RGB (src/io): ImageNet mean/std on the 0..255 scale.
MEAN = torch.tensor([123.675, 116.28, 103.53]).view(1, 3, 1, 1)
STD = torch.tensor([58.395, 57.12, 57.375]).view(1, 3, 1, 1)
MIN_DEPTH = 1e-3


# ----------------------------------------------------------------------------------------------------- data

class Frames:
    """One SynthDrive set as uint8/uint16 arrays (memory-mapped): rgb [N,H,W,3], label [N,H,W], depth [N,H,W]
    (depth in metres x 256, 0 = none)."""

    def __init__(self, directory, in_memory=False):
        # in_memory: read the arrays into process memory. This VM reclaims page cache it deems cold, so a
        # memory-mapped training set kept being evicted and re-read from disk in the middle of training.
        mode = None if in_memory else "r"
        self.rgb = np.load(os.path.join(directory, "rgb.npy"), mmap_mode=mode)
        self.label = np.load(os.path.join(directory, "label.npy"), mmap_mode=mode)
        self.depth = np.load(os.path.join(directory, "depth.npy"), mmap_mode=mode)

    def __len__(self):
        return len(self.rgb)

    def tensors(self, idx):
        """Frames idx as torch tensors: rgb float [B,3,H,W] 0..255, label long [B,H,W], depth float [B,1,H,W] m."""
        idx = np.asarray(idx)
        rgb = torch.from_numpy(np.ascontiguousarray(self.rgb[idx])).permute(0, 3, 1, 2).float()
        label = torch.from_numpy(self.label[idx].astype(np.int64))
        depth = torch.from_numpy(self.depth[idx].astype(np.float32) / 256.0).unsqueeze(1)
        return rgb, label, depth


def tandem_binary():
    path = os.path.join(REPO, "build", "tools", "tandem")
    if not os.path.exists(path):
        sys.exit(f"{path} not found: run `bash scripts/build.sh` first")
    return path


def _decode_pngs(png_dir, out_dir, seed, count, size):
    from PIL import Image  # python3-pil; only needed when a cache is first built
    h, w = size
    arrays = {"rgb": ((count, h, w, 3), np.uint8), "label": ((count, h, w), np.uint8),
              "depth": ((count, h, w), np.uint16)}
    mm = {k: np.lib.format.open_memmap(os.path.join(out_dir, f"{k}.npy.part"), "w+", dt, shape)
          for k, (shape, dt) in arrays.items()}
    for i in range(count):
        stem = os.path.join(png_dir, f"synth_{seed}_{i:05d}")
        mm["rgb"][i] = np.asarray(Image.open(stem + "_rgb.png").convert("RGB"))
        mm["label"][i] = np.asarray(Image.open(stem + "_label.png"))
        mm["depth"][i] = np.asarray(Image.open(stem + "_depth.png"), dtype=np.uint16)
    for k, a in mm.items():
        a.flush()
        del a
        # Renamed only when complete, so an interrupted build is redone rather than half-used.
        os.replace(os.path.join(out_dir, f"{k}.npy.part"), os.path.join(out_dir, f"{k}.npy"))


def synth_set(cache, seed, count, size=FRAME_SIZE, threads=2, in_memory=False):
    """Frames 0..count-1 of SynthDrive set `seed`, generated with `tandem synth` on first use and cached."""
    h, w = size
    out_dir = os.path.join(cache, f"seed{seed}_n{count}_{h}x{w}")
    if not os.path.exists(os.path.join(out_dir, "depth.npy")):
        png_dir = os.path.join(out_dir, "png")
        os.makedirs(png_dir, exist_ok=True)
        t0 = time.time()
        subprocess.run([tandem_binary(), "synth", "--out", png_dir, "--seed", str(seed), "--count", str(count),
                        "--size", f"{h}x{w}", "--threads", str(threads)], check=True)
        _decode_pngs(png_dir, out_dir, seed, count, size)
        print(f"data: synth:{seed}:{count} {h}x{w} -> {out_dir} in {time.time() - t0:.0f} s", flush=True)
    return Frames(out_dir, in_memory)


def normalize(rgb):
    """0..255 RGB float -> the model's input (exactly the runtime's preprocessing)."""
    return (rgb - MEAN) / STD


# ---------------------------------------------------------------------------------------------- augmentation

def random_window(size, crop, scale_range, rng):
    """(y0, x0, h, w) of a random window that becomes `crop` after resizing. Zoom s > 1 means window = crop / s."""
    h, w = size
    ch, cw = crop
    s_min = max(ch / h, cw / w, scale_range[0])
    s = rng.uniform(s_min, max(s_min, scale_range[1]))
    wh, ww = min(h, round(ch / s)), min(w, round(cw / s))
    return rng.integers(0, h - wh + 1), rng.integers(0, w - ww + 1), wh, ww


def crop_sample(frames, i, crop, scale_range, rng):
    """One augmented sample: rgb float [3,h,w] 0..255, label long [h,w], depth float [1,h,w] metres. Cropped
    and flipped on the uint8/uint16 arrays first, so only the crop is ever converted to float."""
    y0, x0, wh, ww = random_window(frames.rgb.shape[1:3], crop, scale_range, rng)
    step = -1 if rng.random() < 0.5 else 1  # horizontal flip
    win = (slice(y0, y0 + wh), slice(x0, x0 + ww))
    rgb = np.ascontiguousarray(frames.rgb[i][win][:, ::step].transpose(2, 0, 1))
    label = np.ascontiguousarray(frames.label[i][win][:, ::step])
    depth = np.ascontiguousarray(frames.depth[i][win][:, ::step])
    rgb = torch.from_numpy(rgb).float()
    label = torch.from_numpy(label.astype(np.int64))
    depth = torch.from_numpy(depth.astype(np.float32) / 256.0)[None]
    if (wh, ww) != tuple(crop):
        # Plain bilinear: down to zoom 0.5 each output pixel blends at most 2x2 source pixels (at exactly 0.5 it
        # is the 2x2 mean), and antialias=True would cost about a tenth of a training step.
        rgb = F.interpolate(rgb[None], size=crop, mode="bilinear", align_corners=False)[0]
        # Labels and depth by nearest: blending ids is meaningless, blending depths invents surfaces at edges.
        label = F.interpolate(label[None, None].float(), size=crop, mode="nearest")[0, 0].long()
        depth = F.interpolate(depth[None], size=crop, mode="nearest")[0]
        # Canonical camera: a view magnified s times is, for the same camera, the scene with every depth divided
        # by s (u = f X / Z and v = f Y / Z scale by s when Z does; lateral sizes and the camera height stay).
        # Keeping the depth instead would teach the network a focal length it cannot see: at test time the
        # camera is fixed (SynthDrive's focal length is 0.8 W +- 5 %).
        depth = depth * (wh / crop[0])
    return rgb, label, depth


def color_jitter_normalize(rgb, rng, strength):
    """Per-image saturation, contrast, brightness and per-channel gain on 0..255 RGB [B,3,H,W], then the
    model's normalisation. Saturation and contrast are both affine in (pixel, its gray, the image's mean gray),
    so the whole jitter is one multiply-add per pixel: x * a + gray * b + c."""
    bsz = rgb.shape[0]
    u = lambda spread, shape: torch.from_numpy(rng.uniform(1 - spread, 1 + spread, shape).astype(np.float32))
    sat, con, bri = (u(strength, (bsz, 1, 1, 1)) for _ in range(3))
    gain = bri * u(strength / 4, (bsz, 3, 1, 1))
    gray = (rgb * torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)).sum(1, keepdim=True)
    mean = gray.mean((2, 3), keepdim=True)
    out = torch.addcmul(gain * (1 - con) * mean, rgb, gain * con * sat)
    out = torch.addcmul(out, gray, gain * con * (1 - sat))
    return normalize(out.clamp_(0, 255))


def make_batch(frames, batch, crop, scale_range, jitter, rng):
    idx = np.sort(rng.choice(len(frames), batch, replace=False))  # sorted: friendlier to the memory map
    parts = [crop_sample(frames, i, crop, scale_range, rng) for i in idx]
    rgb, label, depth = (torch.stack(p) for p in zip(*parts))
    return color_jitter_normalize(rgb, rng, jitter), label, depth


# ---------------------------------------------------------------------------------------------------- model

def init_for_training(model):
    """SegFormer's initialisation (trunc-normal 0.02 linears, fan-out normal convs, unit LayerNorms) instead of
    mtnet.build_model's deliberately rough test weights; the depth output starts near 10 m, not 40 m."""
    for m in model.modules():
        if isinstance(m, nn.Linear):
            nn.init.trunc_normal_(m.weight, std=0.02)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Conv2d):
            fan_out = m.kernel_size[0] * m.kernel_size[1] * m.out_channels // m.groups
            nn.init.normal_(m.weight, 0.0, math.sqrt(2.0 / fan_out))
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.LayerNorm, nn.BatchNorm2d)):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
    nn.init.normal_(model.depth_head.out.weight, 0.0, 1e-3)
    nn.init.constant_(model.depth_head.out.bias, math.log(10.0 / (MAX_DEPTH - 10.0)))  # 80 sigmoid(b) = 10 m
    return model


# ---------------------------------------------------------------------------------------------------- losses

def class_weights(frames, c=1.10, sample=500):
    """ENet's 1 / ln(c + p_class) from the training labels: lifts poles, lights, signs and riders (each < 1 %
    of pixels) without letting a class that is nearly absent dominate; c = 1.10 caps the ratio at about 4."""
    idx = np.linspace(0, len(frames) - 1, min(sample, len(frames))).astype(int)
    hist = np.zeros(NUM_CLASSES)
    for i in idx:
        hist += np.bincount(frames.label[i].ravel(), minlength=256)[:NUM_CLASSES]
    p = hist / hist.sum()
    return torch.tensor(1.0 / np.log(c + p), dtype=torch.float32), p


def seg_loss(logits, label, weights):
    """Cross-entropy at label resolution: the 1/4-resolution logits upsampled the way evaluation does."""
    up = F.interpolate(logits, size=label.shape[-2:], mode="bilinear", align_corners=False)
    return F.cross_entropy(up, label, weight=weights, ignore_index=IGNORE)


def depth_loss(pred, gt, silog_lambda=0.85):
    """L1 on log depth plus SILog, per image, over valid pixels (ground truth in (1e-3, 80] m: evaluation's
    range; farther points are beyond what 80 sigmoid(x) can say, the sky has no depth)."""
    valid = ((gt > MIN_DEPTH) & (gt <= MAX_DEPTH)).float()
    d = (torch.log(pred.clamp_min(MIN_DEPTH)) - torch.log(gt.clamp_min(MIN_DEPTH))) * valid
    n = valid.sum((1, 2, 3)).clamp_min(1.0)
    l1 = d.abs().sum((1, 2, 3)) / n
    m1, m2 = d.sum((1, 2, 3)) / n, (d * d).sum((1, 2, 3)) / n
    silog = torch.sqrt((m2 - silog_lambda * m1 * m1).clamp_min(1e-8))
    has = (valid.sum((1, 2, 3)) > 0).float()
    return ((l1 + silog) * has).sum() / has.sum().clamp_min(1.0)


# -------------------------------------------------------------------------------------------------- schedule

def parse_phases(text):
    """'STEPS:BATCH:HxW:SMIN-SMAX,...' -> [(steps, batch, (h, w), (smin, smax))]. The zoom s is relative to the
    256x512 frame (window = crop / s), clamped so the window fits: 0.5 on a 128x256 crop is the whole frame."""
    phases = []
    for part in text.split(","):
        steps, batch, size, zoom = part.split(":")
        h, w = (int(v) for v in size.lower().split("x"))
        if h % 32 or w % 32:
            raise argparse.ArgumentTypeError(f"phase {part}: crop must be multiples of 32")
        phases.append((int(steps), int(batch), (h, w), tuple(float(v) for v in zoom.split("-"))))
    return phases


# Whole scenes at half resolution mixed with full-resolution crops first (cheap steps that still see the horizon,
# the road and whole vehicles, which depth and the large classes need), then whole frames at the TEST size.
DEFAULT_PHASES = "4000:8:128x256:0.5-1.0,2200:4:256x512:1.0-1.15"


def phase_at(phases, step):
    end = 0
    for p in phases:
        end += p[0]
        if step < end:
            return p
    return phases[-1]


def lr_at(step, total, peak, warmup, final_frac=0.01):
    """Linear warmup, then cosine down to final_frac x peak."""
    if step < warmup:
        return peak * (step + 1) / warmup
    t = (step - warmup) / max(1, total - warmup)
    return peak * (final_frac + (1 - final_frac) * 0.5 * (1 + math.cos(math.pi * t)))


def make_optimizer(model, lr, weight_decay):
    """AdamW, with no weight decay on norms and biases (the usual transformer recipe)."""
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (no_decay if p.ndim <= 1 else decay).append(p)
    return torch.optim.AdamW([{"params": decay, "weight_decay": weight_decay},
                              {"params": no_decay, "weight_decay": 0.0}], lr=lr)


# ---------------------------------------------------------------------------------------------- checkpoints

def save_checkpoint(path, model, opt, step, rng, log):
    tmp = path + ".tmp"
    torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step,
                "rng": rng.bit_generator.state, "torch_rng": torch.get_rng_state(), "log": log}, tmp)
    os.replace(tmp, path)  # atomic: a crash mid-save leaves the previous checkpoint intact


def load_checkpoint(path, model, opt, rng):
    ck = torch.load(path)
    model.load_state_dict(ck["model"])
    opt.load_state_dict(ck["opt"])
    rng.bit_generator.state = ck["rng"]
    torch.set_rng_state(ck["torch_rng"])
    return ck["step"], ck["log"]


# ---------------------------------------------------------------------------------------------------- main

def fp32_layer_norm_under_autocast():
    """torch 1.13's CPU autocast leaves layer_norm out of its fp32 list, so a bf16 input meets fp32 weights and
    fails; run every LayerNorm in fp32 (what autocast does on CUDA, and what the runtime's bf16 stages do)."""
    layer_norm = F.layer_norm

    def fp32(x, shape, weight=None, bias=None, eps=1e-5):
        return layer_norm(x.float(), shape, weight, bias, eps)
    F.layer_norm = fp32  # nn.LayerNorm calls it through the module attribute


def keep_in_fp32(module):
    """Run one module outside autocast, in fp32. The depth head's last two convolutions (16 channels at full
    resolution, 16 -> 1) got non-finite weight gradients from oneDNN 2.6's bf16 backward on AMX in the first
    step, and every weight was NaN one step later; in fp32 they are cheap (a few % of a step)."""
    forward = module.forward

    def fp32_forward(*args):
        with torch.autocast("cpu", enabled=False):
            return forward(*(a.float() for a in args))
    module.forward = fp32_forward


def train_step(model, opt, batch, weights, depth_weight, amp=None):
    x, label, depth = batch
    # bf16 autocast: convs and matmuls run in bf16 through oneDNN (AMX or AVX-512 BF16 where the CPU has them),
    # with fp32 master weights and the losses in fp32.
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=amp == "bf16"):
        seg, pred = model(x.contiguous(memory_format=torch.channels_last))
    seg, pred = seg.float(), pred.float()
    ls, ld = seg_loss(seg, label, weights), depth_loss(pred, depth)
    opt.zero_grad(set_to_none=True)
    (ls + depth_weight * ld).backward()
    nn.utils.clip_grad_norm_(model.parameters(), 1.0)  # from-scratch transformers spike early without it
    opt.step()
    return ls.item(), ld.item()


def time_phases(model, opt, frames, weights, args, rng):
    """Seconds per step of each phase (data + forward + backward + update) and the projected training time."""
    total = total_cpu = 0.0
    for steps, batch, crop, zoom in args.phases:
        times = []
        for i in range(args.time_steps + 2):
            t, c = time.time(), time.process_time()
            batch_data = make_batch(frames, batch, crop, zoom, args.jitter, rng)
            train_step(model, opt, batch_data, weights, args.depth_weight, args.amp)
            times.append((time.time() - t, time.process_time() - c))
        wall, cpu = np.median(times[2:], 0)
        total += steps * wall
        total_cpu += steps * cpu
        print(f"phase {steps} x {batch} x {crop[0]}x{crop[1]}: {wall:.3f} s/step wall, {cpu:.3f} s CPU "
              f"(median of {args.time_steps}) -> {steps * wall / 60:.1f} min", flush=True)
    # With passive waiting the CPU time is the work itself, so CPU / threads estimates an idle machine's wall time
    # even while other jobs share the cores.
    print(f"projected training time {total / 60:.1f} min at the current load (load average "
          f"{os.getloadavg()[0]:.2f}); {total_cpu / 60:.1f} CPU-min, i.e. about {total_cpu / args.threads / 60:.1f} "
          f"min on {args.threads} idle cores (validation and data generation not included)")


def validate(model, frames, step):
    from evaluate import evaluate_model  # evaluate.py imports this file's data loading; import late, no cycle
    metrics = evaluate_model(model, frames)
    model.train()
    print(f"val @ {step}: mIoU {metrics['mIoU']:.4f}  pixacc {metrics['pixel_acc']:.4f}  "
          f"AbsRel {metrics['abs_rel']:.4f}  d1 {metrics['d1']:.4f}  RMSE {metrics['rmse']:.3f}", flush=True)
    return metrics


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--cache", default=os.path.join(REPO, "build", "synthdrive"), help="SynthDrive .npy cache")
    ap.add_argument("--out", default=os.path.join(REPO, "build", "mtnet_train"), help="checkpoints and log")
    ap.add_argument("--train-count", type=int, default=6000, help=f"frames of training set {TRAIN_SEED}")
    ap.add_argument("--val-count", type=int, default=100, help=f"frames of validation set {VAL_SEED}")
    ap.add_argument("--phases", type=parse_phases, default=DEFAULT_PHASES,
                    help="STEPS:BATCH:HxW:ZOOM_MIN-ZOOM_MAX per phase, run in order")
    ap.add_argument("--jitter", type=float, default=0.25, help="colour jitter strength")
    ap.add_argument("--lr", type=float, default=1e-3, help="peak learning rate")
    ap.add_argument("--warmup", type=int, default=300, help="warmup steps")
    ap.add_argument("--weight-decay", type=float, default=0.01)
    ap.add_argument("--depth-weight", type=float, default=1.0, help="depth loss weight (seg has 1)")
    ap.add_argument("--class-weight-c", type=float, default=1.10, help="ENet c; 0 for unweighted CE")
    ap.add_argument("--threads", type=int, default=2, help="torch threads")
    ap.add_argument("--seed", type=int, default=0, help="init and sampling seed")
    ap.add_argument("--ckpt-every", type=int, default=250)
    ap.add_argument("--val-every", type=int, default=1000)
    ap.add_argument("--log-every", type=int, default=50)
    ap.add_argument("--resume", action="store_true", help="continue from OUT/last.pt")
    ap.add_argument("--init-onnx", metavar="FILE",
                    help="start from the weights of an MTNet-B0 ONNX export (fine-tuning a committed model)")
    ap.add_argument("--amp", choices=["bf16"], help="bf16 autocast for forward and backward (fp32 weights)")
    ap.add_argument("--data-only", action="store_true", help="build the train/val caches and exit")
    ap.add_argument("--time-steps", type=int, default=0,
                    help="only time N steps of each phase (after 2 warm-up steps) and project the total")
    return ap.parse_args()


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)
    t_start = time.time()
    train = synth_set(args.cache, TRAIN_SEED, args.train_count, in_memory=not args.data_only)
    val = synth_set(args.cache, VAL_SEED, args.val_count)
    if args.data_only:
        return
    weights, freq = (class_weights(train, args.class_weight_c) if args.class_weight_c > 0
                     else (None, None))
    if weights is not None:
        print("class freq  :", " ".join(f"{p:.4f}" for p in freq))
        print("class weight:", " ".join(f"{w:.2f}" for w in weights.tolist()))

    if args.amp == "bf16":
        fp32_layer_norm_under_autocast()
    torch.manual_seed(args.seed)
    model = init_for_training(MTNetB0()).train()
    frozen = []
    if args.init_onnx:
        # The BatchNorms folded on export come back as identities; batch statistics would undo the fold.
        frozen = load_onnx_weights(model, args.init_onnx)
        print(f"initialised from {args.init_onnx}; {len(frozen)} BatchNorm(s) kept in eval mode")
    if args.amp == "bf16":
        keep_in_fp32(model.depth_head.up_convs[-1])
        keep_in_fp32(model.depth_head.out)
    keep_frozen = lambda: [m.eval() for m in frozen]  # noqa: E731  (model.train() resets them)
    keep_frozen()
    # channels_last: oneDNN's conv backward is ~10 % faster on this CPU; the state_dict is unaffected.
    model = model.to(memory_format=torch.channels_last)
    opt = make_optimizer(model, args.lr, args.weight_decay)
    rng = np.random.default_rng(args.seed)
    total = sum(p[0] for p in args.phases)
    ckpt = os.path.join(args.out, "last.pt")
    step, log = 0, {"args": {k: v for k, v in vars(args).items()}, "events": []}
    if args.resume and os.path.exists(ckpt):
        step, log = load_checkpoint(ckpt, model, opt, rng)
        print(f"resumed at step {step}")
    print(f"MTNet-B0 {param_count(model):,} parameters; {total} steps {args.phases}; "
          f"{len(train)} train / {len(val)} val frames", flush=True)

    t_data = time.time() - t_start
    if args.time_steps:
        time_phases(model, opt, train, weights, args, rng)
        return
    t0, window = time.time(), []
    while step < total:
        steps, batch, crop, zoom = phase_at(args.phases, step)
        lr = lr_at(step, total, args.lr, args.warmup)
        for g in opt.param_groups:
            g["lr"] = lr
        ts, cs = time.time(), time.process_time()
        ls, ld = train_step(model, opt, make_batch(train, batch, crop, zoom, args.jitter, rng), weights,
                            args.depth_weight, args.amp)
        if not (math.isfinite(ls) and math.isfinite(ld)):
            sys.exit(f"train: non-finite loss at step {step + 1} (seg {ls}, depth {ld}); last good checkpoint {ckpt}")
        step += 1
        window.append((ls, ld, time.time() - ts, time.process_time() - cs))
        if step % args.log_every == 0 or step == total:
            a = np.mean(window, 0)
            print(f"step {step}/{total} {crop[0]}x{crop[1]}x{batch} lr {lr:.2e} seg {a[0]:.4f} depth {a[1]:.4f}"
                  f"  {a[2]:.2f} s/step ({a[3]:.2f} CPU)  elapsed {(time.time() - t0) / 60:.1f} min", flush=True)
            log["events"].append({"step": step, "seg": a[0], "depth": a[1], "s_per_step": a[2],
                                  "cpu_s_per_step": a[3], "elapsed_s": time.time() - t0,
                                  "cpu_s": time.process_time(), "load": os.getloadavg()[0]})
            window = []
        if step % args.val_every == 0 or step == total:
            m = validate(model, val, step)
            keep_frozen()
            log["events"].append({"step": step, "val": m})
        if step % args.ckpt_every == 0 or step == total:
            save_checkpoint(ckpt, model, opt, step, rng, log)

    final = os.path.join(args.out, "final_state_dict.pt")
    torch.save(model.state_dict(), final)
    log["train_wall_s"] = time.time() - t0
    log["data_wall_s"] = t_data
    with open(os.path.join(args.out, "log.json"), "w") as f:
        json.dump(log, f, indent=1, default=float)
    print(f"wrote {final}; data {t_data / 60:.1f} min, training {(time.time() - t0) / 60:.1f} min "
          f"(this process; earlier runs of a resumed training not included)")


if __name__ == "__main__":
    main()
