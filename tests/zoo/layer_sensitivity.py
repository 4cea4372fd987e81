"""Does every layer of the zoo's random-weight models matter enough for the 1e-4 check to see it break?

    /usr/bin/python3 tests/zoo/layer_sensitivity.py [--models a,b] [--noise 0.01] [--seed 0]

Builds each model exactly as export_zoo.py does (same seed, same re-drawn weights) and, one layer at a time (every
module that holds parameters: conv, linear, norm, ConvNeXt's layer scale, Swin's position bias), adds noise of
NOISE x the std of each of its parameters, then measures how far the output moves: max|y' - y| / max|y|. A layer
that 1 % noise moves by less than twice the harness's tolerance (2e-4) is one whose bugs could hide; the script
lists them and exits 1 if there are any. (Squeeze-excitation convs, behind a sigmoid gate, are the weakest at
about 3e-4; most layers move the output by 1e-3 to 1e-2.) It is a check of the harness's weights, not of Tandem: run it after
changing export_zoo.py's re-draw. About a minute per large model on one thread.
"""

import argparse
import sys
import time
import zlib

import numpy as np
import torch

sys.path.insert(0, __import__("os").path.dirname(__import__("os").path.abspath(__file__)))
import export_zoo  # noqa: E402

FLOOR = 2e-4  # twice the tolerance of check_zoo.py


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default=",".join(export_zoo.MODELS))
    ap.add_argument("--noise", type=float, default=0.01)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.set_num_threads(1)
    weak_total = 0
    print(f"{'model':<30} {'layers':>6} {'weakest':>9} {'median':>9}  weakest layer")
    for name in filter(None, args.models.split(",")):
        t0 = time.time()
        model, size, _ = export_zoo.build(name, args.seed * 7919 + zlib.crc32(name.encode()))
        x = torch.from_numpy(export_zoo.input_for(*size))
        gen = torch.Generator().manual_seed(1)
        with torch.no_grad():
            y = model(x)
            peak = float(y.abs().max())
            moves = []
            for layer_name, module in model.named_modules():
                params = list(module.parameters(recurse=False))
                if not params:
                    continue
                saved = [p.detach().clone() for p in params]
                for p in params:
                    scale = float(p.std()) if p.numel() > 1 else float(p.abs().max())
                    p.add_(torch.randn(p.shape, generator=gen) * (args.noise * max(scale, 1e-3)))
                moves.append((float((model(x) - y).abs().max()) / peak, layer_name, type(module).__name__))
                for p, s in zip(params, saved):
                    p.copy_(s)
        moves.sort()
        weak = [m for m in moves if m[0] < FLOOR]
        weak_total += len(weak)
        print(f"{name:<30} {len(moves):>6} {moves[0][0]:>9.2e} {float(np.median([m[0] for m in moves])):>9.2e}  "
              f"{moves[0][1]} ({moves[0][2]}); {time.time() - t0:.0f} s")
        for r, layer_name, kind in weak:
            print(f"    below {FLOOR:g}: {layer_name} ({kind}) moves the output by {r:.2e}")
        sys.stdout.flush()
    return 1 if weak_total else 0


if __name__ == "__main__":
    sys.exit(main())
