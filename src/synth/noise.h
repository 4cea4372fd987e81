// Integer hashes and 2-D value noise for the procedural textures (inline: they run several times per pixel).
#pragma once

#include <cmath>
#include <cstdint>

namespace tandem::synth {

// "lowbias32" (Chris Wellons' hash prospector): a fast 32-bit mix with good avalanche.
inline uint32_t hash_u32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7FEB352Du;
  x ^= x >> 15;
  x *= 0x846CA68Bu;
  x ^= x >> 16;
  return x;
}
// One mix of a linear combination: enough decorrelation for textures at half the cost of nested hashes.
inline uint32_t hash2(int32_t x, int32_t y, uint32_t seed) {
  return hash_u32(static_cast<uint32_t>(x) * 0x8DA6B343u + static_cast<uint32_t>(y) * 0xD8163841u + seed * 0xCB1AB31Fu);
}
// [0, 1) from the top 24 bits.
inline float hash_unit(uint32_t h) { return static_cast<float>(h >> 8) * (1.0f / 16777216.0f); }
inline float cell_random(int32_t x, int32_t y, uint32_t seed) { return hash_unit(hash2(x, y, seed)); }

// Value noise in [0, 1): random values on the integer lattice, smoothstep-interpolated.
inline float value_noise(float x, float y, uint32_t seed) {
  float fx = std::floor(x), fy = std::floor(y);
  int32_t ix = static_cast<int32_t>(fx), iy = static_cast<int32_t>(fy);
  float tx = x - fx, ty = y - fy;
  tx = tx * tx * (3.0f - 2.0f * tx);
  ty = ty * ty * (3.0f - 2.0f * ty);
  // hash2's linear combination, computed once for the four corners
  uint32_t base =
      static_cast<uint32_t>(ix) * 0x8DA6B343u + static_cast<uint32_t>(iy) * 0xD8163841u + seed * 0xCB1AB31Fu;
  float a = hash_unit(hash_u32(base)), b = hash_unit(hash_u32(base + 0x8DA6B343u));
  float c = hash_unit(hash_u32(base + 0xD8163841u)), d = hash_unit(hash_u32(base + 0x8DA6B343u + 0xD8163841u));
  float ab = a + (b - a) * tx, cd = c + (d - c) * tx;
  return ab + (cd - ab) * ty;
}

// Fractal sum of `octaves` value-noise layers (lacunarity 2, gain 0.5), normalised to [0, 1).
inline float fbm(float x, float y, uint32_t seed, int octaves) {
  float sum = 0, amp = 0.5f, norm = 0;
  for (int i = 0; i < octaves; ++i) {
    sum += amp * value_noise(x, y, seed + static_cast<uint32_t>(i) * 0x9E3779B9u);
    norm += amp;
    // rotate-ish offset between octaves so lattice lines do not line up
    float nx = x * 1.6f + y * 1.2f + 17.3f;
    y = y * 1.6f - x * 1.2f + 5.1f;
    x = nx;
    amp *= 0.5f;
  }
  return sum / norm;
}

}  // namespace tandem::synth
