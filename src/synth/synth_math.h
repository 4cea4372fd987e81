// Vector maths and deterministic elementary functions for the scene generator and its renderer (internal to
// tandem_synth: code built with FP contraction on must not instantiate these, or the linker may pick its copy).
//
// Frames must be byte-identical on every machine, so nothing here calls libm's transcendental functions
// (their last bit differs between C libraries); only +, -, *, /, sqrt and floor, which IEEE 754 fixes exactly.
// tandem_synth is also built with -ffp-contract=off so the compiler never fuses a*b+c on one CPU and not another.
#pragma once

#include <algorithm>
#include <cmath>

namespace tandem::synth {

struct Vec3 {
  float x = 0, y = 0, z = 0;
};

inline Vec3 operator+(Vec3 a, Vec3 b) { return {a.x + b.x, a.y + b.y, a.z + b.z}; }
inline Vec3 operator-(Vec3 a, Vec3 b) { return {a.x - b.x, a.y - b.y, a.z - b.z}; }
inline Vec3 operator-(Vec3 a) { return {-a.x, -a.y, -a.z}; }
inline Vec3 operator*(Vec3 a, float s) { return {a.x * s, a.y * s, a.z * s}; }
inline Vec3 operator*(float s, Vec3 a) { return {a.x * s, a.y * s, a.z * s}; }
inline Vec3 operator*(Vec3 a, Vec3 b) { return {a.x * b.x, a.y * b.y, a.z * b.z}; }  // component-wise
inline float dot(Vec3 a, Vec3 b) { return a.x * b.x + a.y * b.y + a.z * b.z; }
inline Vec3 cross(Vec3 a, Vec3 b) { return {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x}; }
inline float length(Vec3 a) { return std::sqrt(dot(a, a)); }
inline Vec3 normalize(Vec3 a) { return a * (1.0f / length(a)); }
inline Vec3 vmin(Vec3 a, Vec3 b) { return {std::min(a.x, b.x), std::min(a.y, b.y), std::min(a.z, b.z)}; }
inline Vec3 vmax(Vec3 a, Vec3 b) { return {std::max(a.x, b.x), std::max(a.y, b.y), std::max(a.z, b.z)}; }
inline Vec3 mix(Vec3 a, Vec3 b, float t) { return a + (b - a) * t; }
inline float mixf(float a, float b, float t) { return a + (b - a) * t; }
inline float clamp01(float v) { return std::min(1.0f, std::max(0.0f, v)); }
inline float fract(float v) { return v - std::floor(v); }
inline float smoothstep(float e0, float e1, float v) {
  float t = clamp01((v - e0) / (e1 - e0));
  return t * t * (3.0f - 2.0f * t);
}

constexpr double kPi = 3.14159265358979323846;

// sin by reduction to [-pi/2, pi/2] and a Taylor polynomial to x^15 (error < 1e-11); used per frame only.
inline double det_sin(double x) {
  double k = std::floor(x / (2 * kPi) + 0.5);
  double r = x - k * (2 * kPi);
  if (r > kPi / 2) r = kPi - r;
  if (r < -kPi / 2) r = -kPi - r;
  double r2 = r * r;
  double p = -1.0 / 1307674368000.0;
  p = p * r2 + 1.0 / 6227020800.0;
  p = p * r2 - 1.0 / 39916800.0;
  p = p * r2 + 1.0 / 362880.0;
  p = p * r2 - 1.0 / 5040.0;
  p = p * r2 + 1.0 / 120.0;
  p = p * r2 - 1.0 / 6.0;
  return r + r * r2 * p;
}
inline double det_cos(double x) { return det_sin(x + kPi / 2); }

// exp(-x) for x >= 0 as (1 - x/1024)^1024: ten squarings, about 1% off at x = 10, plenty for fog.
inline float exp_neg(float x) {
  if (x >= 20.0f) return 0.0f;
  float v = 1.0f - x * (1.0f / 1024.0f);
  for (int i = 0; i < 10; ++i) v *= v;
  return v;
}

// v^(2^k) by k squarings: highlight lobes without pow().
inline float pow2k(float v, int k) {
  for (int i = 0; i < k; ++i) v *= v;
  return v;
}

}  // namespace tandem::synth
