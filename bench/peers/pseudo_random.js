// The peers' shared input: murmur3's fmix32 of (index + seed * golden ratio), mapped to [-1, 1). Vectorisable, so
// torch_worker.py computes the same values with NumPy; keep the two in step.
'use strict';

function pseudoRandom(n, seed) {
  const out = new Float32Array(n);
  const base = Math.imul(seed, 0x9e3779b9);
  for (let i = 0; i < n; i++) {
    let h = (i + base) | 0;
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    out[i] = ((h >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

// The seed the workers feed (torch_worker.py's INPUT_SEED too).
const INPUT_SEED = 1;

module.exports = { pseudoRandom, INPUT_SEED };
