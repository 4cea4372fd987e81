// Float32 (and channels-last int8) resize kernels (see resize_kernels_f32.h). With Z, each output is computed exactly as without it and Z
// is then added once, so FusedResize gives the same floats as Resize followed by Add.
#include "ops/resize_kernels_f32.h"

#include <cstring>
#include <type_traits>

#if defined(__AVX512F__) && defined(__AVX512BW__)
#include <immintrin.h>
#endif

namespace tandem {
namespace {

template <int KW>
void resample_row(const float* s, float* t, int64_t ox0, int64_t ox1, const int64_t* hx, const float* wx) {
  for (int64_t ox = ox0; ox < ox1; ++ox) {
    float v = 0.0f;
    for (int j = 0; j < KW; ++j) v += wx[ox * KW + j] * s[hx[ox * KW + j]];
    t[ox] = v;
  }
}

template <int KH, int KW, bool kAddZ>
void plane_rows(const PlaneRowsF32& a) {
  const int64_t in_w = a.in_w, out_w = a.out_w;
  // Pass 1: resample each needed input row horizontally once, so upsampling by s does s times less gathering.
  for (int64_t r = a.row_lo; r <= a.row_hi; ++r) {
    const float* s = a.src + r * in_w;
    float* t = a.tmp + (r - a.row_lo) * out_w;
    if (KW == 2 && a.x2.ok) {
      resample_row<KW>(s, t, 0, 2, a.hx, a.wx);
      const float a0 = a.x2.w[0][0], a1 = a.x2.w[0][1], b0 = a.x2.w[1][0], b1 = a.x2.w[1][1];
      for (int64_t i = 1; i < in_w - 1; ++i) {
        t[2 * i] = (0.0f + a0 * s[i - 1]) + a1 * s[i];
        t[2 * i + 1] = (0.0f + b0 * s[i]) + b1 * s[i + 1];
      }
      resample_row<KW>(s, t, out_w - 2, out_w, a.hx, a.wx);
    } else {
      resample_row<KW>(s, t, 0, out_w, a.hx, a.wx);
    }
  }
  // Pass 2: blend the resampled rows vertically; contiguous, so it vectorises.
  for (int64_t oy = a.oy0; oy < a.oy1; ++oy) {
    float* d = a.dst + oy * out_w;
    const float* rows[KH];
    float w[KH];
    for (int j = 0; j < KH; ++j) {
      rows[j] = a.tmp + (a.hy[oy * KH + j] - a.row_lo) * out_w;
      w[j] = a.wy[oy * KH + j];
    }
    const float* z = kAddZ ? a.z + oy * out_w : nullptr;
    if constexpr (KH == 1 && !kAddZ) {
      std::memcpy(d, rows[0], static_cast<size_t>(out_w) * sizeof(float));
    } else {
      for (int64_t ox = 0; ox < out_w; ++ox) {
        float v = rows[0][ox];
        if constexpr (KH > 1) {
          v = 0.0f;
          for (int j = 0; j < KH; ++j) v += w[j] * rows[j][ox];
        }
        if constexpr (kAddZ) v += z[ox];
        d[ox] = v;
      }
    }
  }
}

// Each input row's taps are summed first, then the rows, every sum starting from 0, as plane_rows' two passes
// do: the same taps give the same float results in both layouts. Not inlined: inlined into the dispatch below,
// GCC 12 loses `dst`'s restrict and checks aliasing per pixel (x2 of C = 16: 0.53 -> 1.7 ms).
// T = int8_t (a requantised int8 map): the blend is the same in float, rounded to the nearest integer (ties to
// even) as it is stored; a blend of int8 values with weights summing to 1 cannot leave the int8 range.
template <typename T>
inline T store_as(float v) {
  if constexpr (std::is_same_v<T, float>) {
    return v;
  } else {
    // Adding and subtracting 1.5 * 2^23 rounds to an integer in the current (nearest-even) mode, and vectorises
    // where std::nearbyint would not; exact for |v| < 2^22.
    return static_cast<T>(static_cast<int>((v + 12582912.0f) - 12582912.0f));
  }
}

template <typename T, int KH, int KW, bool kAddZ>
[[gnu::noinline]] void nhwc_row(const T* src, T* __restrict dst, const T* z, int64_t out_w, int64_t c,
                                const int64_t* yoff, const float* wy, const int64_t* xoff, const float* wx) {
  // The row's taps, loaded once: for small C the per-pixel setup is much of the work (x2 of C = 16: -20%).
  const T* rows[KH];
  float wyr[KH];
  for (int jy = 0; jy < KH; ++jy) {
    rows[jy] = src + yoff[jy];
    wyr[jy] = wy[jy];
  }
  for (int64_t ox = 0; ox < out_w; ++ox, dst += c) {
    const T* s[KH][KW];
    for (int jy = 0; jy < KH; ++jy)
      for (int jx = 0; jx < KW; ++jx) s[jy][jx] = rows[jy] + xoff[ox * KW + jx];
    if constexpr (KH == 1 && KW == 1 && !kAddZ) {
      std::memcpy(dst, s[0][0], static_cast<size_t>(c) * sizeof(T));
    } else {
      const float* w = wx + ox * KW;
      const T* zp = kAddZ ? z + ox * c : nullptr;
      for (int64_t ch = 0; ch < c; ++ch) {
        float h[KH];
        for (int jy = 0; jy < KH; ++jy) {
          if constexpr (KW == 1) {
            h[jy] = static_cast<float>(s[jy][0][ch]);  // a single tap has weight 1
          } else {
            float v = 0.0f;
            for (int jx = 0; jx < KW; ++jx) v += w[jx] * static_cast<float>(s[jy][jx][ch]);
            h[jy] = v;
          }
        }
        float v = h[0];
        if constexpr (KH > 1) {
          v = 0.0f;
          for (int jy = 0; jy < KH; ++jy) v += wyr[jy] * h[jy];
        }
        if constexpr (kAddZ) v += zp[ch];
        dst[ch] = store_as<T>(v);
      }
    }
  }
}

// Calls f(integral_constant<int, KH>, integral_constant<int, KW>) for the tap counts tables have (1, 2, 4).
template <typename F>
void dispatch_taps(int kh, int kw, F&& f) {
  auto with_kw = [&](auto h) {
    if (kw == 1) {
      f(h, std::integral_constant<int, 1>{});
    } else if (kw == 2) {
      f(h, std::integral_constant<int, 2>{});
    } else {
      f(h, std::integral_constant<int, 4>{});
    }
  };
  if (kh == 1) {
    with_kw(std::integral_constant<int, 1>{});
  } else if (kh == 2) {
    with_kw(std::integral_constant<int, 2>{});
  } else {
    with_kw(std::integral_constant<int, 4>{});
  }
}

}  // namespace

Upsample2x Upsample2x::detect(const AxisTable& t) {
  Upsample2x u;
  if (t.taps != 2 || t.out != 2 * t.in || t.in < 4) return u;
  for (int p = 0; p < 2; ++p)
    for (int j = 0; j < 2; ++j) u.w[p][j] = static_cast<float>(t.weight[static_cast<size_t>((2 + p) * 2 + j)]);
  for (int64_t ox = 2; ox < t.out - 2; ++ox) {
    const int64_t i = ox / 2, p = ox % 2;
    for (int j = 0; j < 2; ++j) {
      const size_t k = static_cast<size_t>(ox * 2 + j);
      if (t.index[k] != i - 1 + p + j || static_cast<float>(t.weight[k]) != u.w[p][j]) return u;
    }
  }
  u.ok = true;
  return u;
}

void resize_plane_rows_f32(const PlaneRowsF32& a) {
  dispatch_taps(a.kh, a.kw, [&](auto kh, auto kw) {
    if (a.z) {
      plane_rows<decltype(kh)::value, decltype(kw)::value, true>(a);
    } else {
      plane_rows<decltype(kh)::value, decltype(kw)::value, false>(a);
    }
  });
}

void resize_row_nhwc_f32(const NhwcRowF32& a) {
  dispatch_taps(a.kh, a.kw, [&](auto kh, auto kw) {
    if (a.z) {
      nhwc_row<float, decltype(kh)::value, decltype(kw)::value, true>(a.src, a.dst, a.z, a.out_w, a.c, a.yoff, a.wy,
                                                                      a.xoff, a.wx);
    } else {
      nhwc_row<float, decltype(kh)::value, decltype(kw)::value, false>(a.src, a.dst, nullptr, a.out_w, a.c, a.yoff,
                                                                       a.wy, a.xoff, a.wx);
    }
  });
}

#if defined(__AVX512F__) && defined(__AVX512BW__)
// int8 rows with C a multiple of 16, AVX-512: 16 channels widened to float, blended with the kh x kw tap weights
// (their products, exact for the dyadic weights of x2 / x4 upsampling), rounded by vcvtps2dq (nearest even) and
// narrowed with saturation. GCC does not vectorise the generic loop's int8 -> float -> int8 round trip well
// (6.6 ms for MTNet's 16-channel 256x512 x2 upsampling, against 0.8 ms for the float map four times its size).
template <int KH, int KW>
void nhwc_row_s8_avx512(const NhwcRowS8& a) {
  const int64_t c = a.c;
  int8_t* dst = a.dst;
  for (int64_t ox = 0; ox < a.out_w; ++ox, dst += c) {
    const int8_t* s[KH * KW];
    __m512 w[KH * KW];
    for (int jy = 0; jy < KH; ++jy)
      for (int jx = 0; jx < KW; ++jx) {
        s[jy * KW + jx] = a.src + a.yoff[jy] + a.xoff[ox * KW + jx];
        w[jy * KW + jx] = _mm512_set1_ps((KH > 1 ? a.wy[jy] : 1.0f) * (KW > 1 ? a.wx[ox * KW + jx] : 1.0f));
      }
    for (int64_t ch = 0; ch < c; ch += 16) {
      __m512 acc = _mm512_setzero_ps();
      for (int t = 0; t < KH * KW; ++t) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s[t] + ch));
        acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(v)), w[t], acc);
      }
      _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + ch), _mm512_cvtsepi32_epi8(_mm512_cvtps_epi32(acc)));
    }
  }
}
#endif

void resize_row_nhwc_s8(const NhwcRowS8& a) {
#if defined(__AVX512F__) && defined(__AVX512BW__)
  if (a.c % 16 == 0 && (a.kh > 1 || a.kw > 1)) {
    dispatch_taps(a.kh, a.kw, [&](auto kh, auto kw) { nhwc_row_s8_avx512<decltype(kh)::value, decltype(kw)::value>(a); });
    return;
  }
#endif
  dispatch_taps(a.kh, a.kw, [&](auto kh, auto kw) {
    nhwc_row<int8_t, decltype(kh)::value, decltype(kw)::value, false>(a.src, a.dst, nullptr, a.out_w, a.c, a.yoff,
                                                                      a.wy, a.xoff, a.wx);
  });
}

}  // namespace tandem
