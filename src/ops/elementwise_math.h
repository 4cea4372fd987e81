// Float32 transcendental functions written so GCC/Clang vectorise loops that call them (no libm calls,
// no branches): the standalone ops, activation.h and the fused kernels all share these for equal numerics.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>

namespace tandem::fastmath {

// exp(x): Cody-Waite range reduction to r in [-ln2/2, ln2/2], Cephes' degree-6 polynomial, scale by 2^n
// built from exponent bits in two halves, so overflow to inf and gradual underflow to 0 come out of the
// final multiplies with no fix-up selects. Max relative error ~1 ulp for normal results.
inline float exp_f32(float x) {
  // Clamp so n stays in [-150, 129]: beyond, the result is 0 or inf anyway. Written as min then max
  // (minps/maxps) in the order that lets NaN through.
  float xc = x > 89.0f ? 89.0f : x;
  xc = xc < -104.0f ? -104.0f : xc;
  // Round x/ln2 to nearest with the 1.5*2^23 trick (no SSE4.1 roundps needed; exact for |v| < 2^22).
  float n = (xc * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  float r = xc - n * 0.693359375f;  // ln2 split in two so r stays exact
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  // NaN would make the float->int conversion UB in C++; p is NaN already, so any n will do.
  const int32_t e = static_cast<int32_t>(n != n ? 0.0f : n);
  const int32_t e1 = e >> 1;
  return p * std::bit_cast<float>((e1 + 127) << 23) * std::bit_cast<float>((e - e1 + 127) << 23);
}

// 1 / (1 + exp(-x)); saturates cleanly at both ends (exp overflow gives 1/inf = 0).
inline float sigmoid_f32(float x) { return 1.0f / (1.0f + exp_f32(-x)); }

// SiLU (swish): x * sigmoid(x), the same two float operations as the Mul(x, Sigmoid(x)) it replaces, so fusing
// the pattern changes no result.
inline float silu_f32(float x) { return x * sigmoid_f32(x); }

// tanh(x): odd/even rational approximation (Eigen's generic_fast_tanh_float), |x| clamped to 7.9 where
// tanh rounds to +-1 in float. A few ulp; exact-ish near 0 (no 1 - 2/(e^2x+1) cancellation).
inline float tanh_f32(float x) {
  constexpr float kClamp = 7.90531110763549805f;
  float xc = x < -kClamp ? -kClamp : (x > kClamp ? kClamp : x);
  float x2 = xc * xc;
  float p = -2.76076847742355e-16f;
  p = p * x2 + 2.00018790482477e-13f;
  p = p * x2 + -8.60467152213735e-11f;
  p = p * x2 + 5.12229709037114e-08f;
  p = p * x2 + 1.48572235717979e-05f;
  p = p * x2 + 6.37261928875436e-04f;
  p = p * x2 + 4.89352455891786e-03f;
  p = p * xc;
  float q = 1.19825839466702e-06f;
  q = q * x2 + 1.18534705686654e-04f;
  q = q * x2 + 2.26843463243900e-03f;
  q = q * x2 + 4.89352518554385e-03f;
  float y = p / q;
  return (x < 0.0004f && x > -0.0004f) ? x : y;  // tanh(x) == x in float there
}

// erf(x): rational approximation (Eigen's generic_fast_erf_float) on [-4, 4]; erf rounds to +-1 beyond.
inline float erf_f32(float x) {
  float xc = x < -4.0f ? -4.0f : (x > 4.0f ? 4.0f : x);
  float x2 = xc * xc;
  float p = -2.72614225801306e-10f;
  p = p * x2 + 2.77068142495902e-08f;
  p = p * x2 + -2.10102402082508e-06f;
  p = p * x2 + -5.69250639462346e-05f;
  p = p * x2 + -7.34990630326855e-04f;
  p = p * x2 + -2.95459980854025e-03f;
  p = p * x2 + -1.60960333262415e-02f;
  p = p * xc;
  float q = -1.45660718464996e-05f;
  q = q * x2 + -2.13374055278905e-04f;
  q = q * x2 + -1.68282697438203e-03f;
  q = q * x2 + -7.37332916720468e-03f;
  q = q * x2 + -1.42647390514189e-02f;
  return p / q;
}

// GELU, exact form 0.5 x (1 + erf(x / sqrt 2)) and the tanh approximation.
inline float gelu_f32(float x) { return 0.5f * x * (1.0f + erf_f32(x * 0.70710678118654752f)); }
inline float gelu_tanh_f32(float x) {
  return 0.5f * x * (1.0f + tanh_f32(0.7978845608028654f * (x + 0.044715f * x * x * x)));
}

// Piecewise-linear activations as selects (not fmin/fmax, whose NaN rules block vectorisation); NaN in, NaN out.
inline float relu_f32(float x) { return x < 0.0f ? 0.0f : x; }
inline float leaky_relu_f32(float x, float alpha) { return x >= 0.0f ? x : alpha * x; }
// numpy.clip order: max(x, lo) first, then min(., hi); lo > hi yields hi.
inline float clip_f32(float x, float lo, float hi) {
  float y = x < lo ? lo : x;
  return y > hi ? hi : y;
}
inline float hard_sigmoid_f32(float x, float alpha, float beta) {
  float v = alpha * x + beta;
  v = v < 0.0f ? 0.0f : v;
  return v > 1.0f ? 1.0f : v;
}
inline float hard_swish_f32(float x) { return x * hard_sigmoid_f32(x, 1.0f / 6.0f, 0.5f); }

}  // namespace tandem::fastmath
