// Quantize kernels (scalar, AVX2, AVX-512) and the OpenMP driver that splits a buffer across threads.
#include "quant/quantize_kernels.h"

#include <omp.h>

#include <algorithm>

#if defined(__AVX2__) || defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "core/dtype.h"

namespace tandem {

void quantize_f32_s8_scalar(const float* x, int8_t* y, int64_t n, float scale) {
  for (int64_t i = 0; i < n; ++i) y[i] = quantize_s8(x[i], scale);
}

#if defined(__AVX2__)
namespace {

// 8 floats -> 8 int32 in [-128, 127]. The true division sets the in-cache speed (vdivps: 8 floats per ~3.5 cycles on
// Zen 3; measured 5.6 G elements/s at 2.45 GHz for 1 MiB) but costs nothing from DRAM, where the kernel runs at
// 86-93 % of memcpy's bandwidth (bench/quantize_bench.cpp). NaN is zeroed by an ordered self-compare before vmaxps,
// which would otherwise return its second operand (-128) for a NaN first one.
inline __m256i quantize8_avx2(const float* x, __m256 scale) {
  __m256 q = _mm256_div_ps(_mm256_loadu_ps(x), scale);
  q = _mm256_and_ps(q, _mm256_cmp_ps(q, q, _CMP_ORD_Q));
  q = _mm256_min_ps(_mm256_max_ps(q, _mm256_set1_ps(-128.0f)), _mm256_set1_ps(127.0f));
  q = _mm256_round_ps(q, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  return _mm256_cvtps_epi32(q);  // exact: q is already an integer
}

}  // namespace

void quantize_f32_s8_avx2(const float* x, int8_t* y, int64_t n, float scale) {
  const __m256 s = _mm256_set1_ps(scale);
  // vpackssdw / vpacksswb work within 128-bit lanes: after both, the 4-byte groups are a0 b0 c0 d0 a1 b1 c1 d1
  // (a0 = elements 0-3, a1 = 4-7, ...); one cross-lane permute puts them back in order.
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m256i ab = _mm256_packs_epi32(quantize8_avx2(x + i, s), quantize8_avx2(x + i + 8, s));
    const __m256i cd = _mm256_packs_epi32(quantize8_avx2(x + i + 16, s), quantize8_avx2(x + i + 24, s));
    const __m256i bytes = _mm256_permutevar8x32_epi32(_mm256_packs_epi16(ab, cd), order);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(y + i), bytes);
  }
  quantize_f32_s8_scalar(x + i, y + i, n - i, scale);
}
#endif

#if defined(__AVX512F__)
// GCC 12's avx512fintrin.h fills unused merge operands with a self-initialised _mm512_undefined_*(), which -O3
// -Wall reports as maybe-uninitialized in every caller (GCC bug 105593, fixed in GCC 13): a false positive.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
namespace {

// 16 floats -> 16 int8. vcvtps2dq with embedded round-to-nearest-even (independent of MXCSR), then vpmovsdb.
inline __m128i quantize16_avx512(const float* x, __m512 scale) {
  __m512 q = _mm512_div_ps(_mm512_loadu_ps(x), scale);
  q = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(q, q, _CMP_ORD_Q), q);
  q = _mm512_min_ps(_mm512_max_ps(q, _mm512_set1_ps(-128.0f)), _mm512_set1_ps(127.0f));
  return _mm512_cvtsepi32_epi8(_mm512_cvt_roundps_epi32(q, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
}

}  // namespace

void quantize_f32_s8_avx512(const float* x, int8_t* y, int64_t n, float scale) {
  const __m512 s = _mm512_set1_ps(scale);
  int64_t i = 0;
  for (; i + 64 <= n; i += 64) {
    const __m256i lo = _mm256_inserti128_si256(_mm256_castsi128_si256(quantize16_avx512(x + i, s)),
                                               quantize16_avx512(x + i + 16, s), 1);
    const __m256i hi = _mm256_inserti128_si256(_mm256_castsi128_si256(quantize16_avx512(x + i + 32, s)),
                                               quantize16_avx512(x + i + 48, s), 1);
    _mm512_storeu_si512(y + i, _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1));
  }
#if defined(__AVX2__)
  quantize_f32_s8_avx2(x + i, y + i, n - i, scale);
#else
  quantize_f32_s8_scalar(x + i, y + i, n - i, scale);
#endif
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif

std::span<const QuantizeKernel> quantize_kernels() {
  static constexpr QuantizeKernel kKernels[] = {
    {"scalar", quantize_f32_s8_scalar},
#if defined(__AVX2__)
    {"avx2", quantize_f32_s8_avx2},
#endif
#if defined(__AVX512F__)
    {"avx512", quantize_f32_s8_avx512},
#endif
  };
  return kKernels;
}

void quantize_f32_to_s8_using(QuantizeFn kernel, const float* x, int8_t* y, int64_t n, float scale, int max_threads) {
  constexpr int64_t kBlock = 64;
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  const int threads = n < kQuantizeParallelMin ? 1 : static_cast<int>(std::clamp<int64_t>(max_threads, 1, blocks));
  if (threads == 1) {
    kernel(x, y, n, scale);
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    const int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
    const int64_t per = (blocks + nt - 1) / nt * kBlock;
    const int64_t begin = std::min(n, t * per), end = std::min(n, begin + per);
    if (begin < end) kernel(x + begin, y + begin, end - begin, scale);
  }
}

void quantize_f32_to_s8(const float* x, int8_t* y, int64_t n, float scale) {
  quantize_f32_to_s8_using(quantize_kernels().back().fn, x, y, n, scale, omp_get_max_threads());
}

void dequantize_s8_to_f32(const int8_t* x, float* y, int64_t n, float scale) {
  // A plain loop: GCC vectorises it (vpmovsxbd, vcvtdq2ps, vmulps) for whatever -march gives.
#pragma omp parallel for if (n >= kQuantizeParallelMin) schedule(static)
  for (int64_t i = 0; i < n; ++i) y[i] = static_cast<float>(x[i]) * scale;
}

}  // namespace tandem
