"""Compares Tandem and ONNX Runtime on the same Q/DQ model (written by `tandem calibrate --export-qdq`), and both
against the float model: the two int8 runtimes must agree closely, and Tandem's int8 must be no further from
FP32 than ONNX Runtime's is.

    /usr/bin/python3 tests/qdq/compare_qdq.py ORT_DIR TANDEM_QDQ_DIR TANDEM_FP32_DIR

Both runtimes compute the int8 convolutions with AVX2's u8 x s8 pair products where there is no VNNI, which
round differently from the fake-quantised float graph (oneDNN halves weights for signed sources, ORT saturates
pairs), so bit-exactness is not expected: the tolerances are on cosine similarity and relative L2.
"""

import os
import sys

import numpy as np

COSINE_MIN = 0.995       # Tandem int8 vs ORT int8, every output
NO_WORSE_FACTOR = 1.25   # rel-L2(Tandem int8, FP32) <= 1.25 x rel-L2(ORT int8, FP32) + 0.01
ARGMAX_MIN = 0.9         # seg_logits argmax agreement, Tandem int8 vs ORT int8
FP32_COSINE_MIN = 0.9    # ORT int8 vs FP32: the export is a quantisation of this model, not something else


def rel_l2(a, b):
    return float(np.linalg.norm((a - b).ravel()) / max(np.linalg.norm(b.ravel()), 1e-30))


def cosine(a, b):
    return float(np.dot(a.ravel(), b.ravel()) / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-30))


def main():
    ort_dir, td_dir, fp_dir = sys.argv[1:4]
    failures = []
    for name in sorted(f[:-4] for f in os.listdir(ort_dir) if f.endswith(".npy")):
        ort, td, fp = (np.load(os.path.join(d, name + ".npy")).astype(np.float64) for d in (ort_dir, td_dir, fp_dir))
        if ort.shape != td.shape:
            failures.append(f"{name}: shapes {td.shape} (tandem) vs {ort.shape} (ort)")
            continue
        cos, err_td, err_ort = cosine(td, ort), rel_l2(td, fp), rel_l2(ort, fp)
        line = (f"{name:12} tandem~ort cosine {cos:.6f} rel-L2 {rel_l2(td, ort):.4f}; vs fp32 rel-L2: tandem "
                f"{err_td:.4f}, ort {err_ort:.4f}")
        if name == "seg_logits":
            agree = float((td.argmax(1) == ort.argmax(1)).mean())
            line += f"; argmax agreement {agree:.4f}"
            if agree < ARGMAX_MIN:
                failures.append(f"{name}: argmax agreement {agree:.4f} < {ARGMAX_MIN}")
        print(line)
        if cosine(ort, fp) < FP32_COSINE_MIN:
            failures.append(f"{name}: ORT's int8 has cosine {cosine(ort, fp):.4f} to fp32: the export is off")
        if cos < COSINE_MIN:
            failures.append(f"{name}: cosine {cos:.6f} < {COSINE_MIN}")
        if err_td > NO_WORSE_FACTOR * err_ort + 0.01:
            failures.append(f"{name}: tandem's int8 is {err_td:.4f} from fp32, ort's {err_ort:.4f}")
    if failures:
        print("FAILED: " + "; ".join(failures))
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
