// Direct convolution reading a channels-last (NHWC) map, for layers with very few output channels (a depth or
// mask head's last 3x3 conv: 16 -> 1), float or int8 input, float output in either layout. The map arrives
// NHWC from the convs before it (channels_last_regions lets such a conv end a region instead of forcing the
// region's last conv to reorder its whole output to NCHW for it), and oneDNN has no good kernel for one
// output channel (its blocked kernels pad it to a block of 16).
//
// Each output pixel is a dot product over kh x kw taps of C contiguous input values. A block of 16 output pixels
// of a row keeps one 16-lane accumulator per pixel (16 channels at a time, C a multiple of 16), then a shuffle
// tree reduces the 16 accumulators to the 16 pixel sums in one vector, stored contiguously (NCHW) or strided
// (NHWC). Border pixels take a per-pixel path that skips taps outside the map. int8 input is widened to float
// as it is loaded; its scale and the weights' per-channel scales are folded into float weights at build time,
// so the result is the int8 op's definition (dequantise, then convolve) as the reference computes it.
#include <omp.h>

#include <algorithm>
#include <type_traits>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "backends/cpu/cpu_kernels.h"
#include "ops/activation.h"
#include "ops/fused_int8.h"
#include "ops/nn_conv.h"

namespace tandem {
namespace {

// GCC's generic vectors: 16 floats, one AVX-512 register (two AVX ones, four SSE ones elsewhere).
typedef float V16 __attribute__((vector_size(64)));
typedef int8_t B16 __attribute__((vector_size(16)));

inline V16 load16(const float* p) {
  V16 v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}
inline V16 load16(const int8_t* p) {
#if defined(__AVX512F__)
  // GCC splits the generic conversion into four 128-bit ones; one vpmovsxbd + vcvtdq2ps does it.
  return reinterpret_cast<V16>(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)))));
#else
  B16 b;
  __builtin_memcpy(&b, p, sizeof b);
  return __builtin_convertvector(b, V16);
#endif
}
inline void store16(float* p, V16 v) { __builtin_memcpy(p, &v, sizeof v); }

// Lane-pair sums of a and b: [a0+a8 .. a7+a15, b0+b8 .. b7+b15] and so on down the tree below.
inline V16 fold8(V16 a, V16 b) {
  return __builtin_shufflevector(a, b, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23) +
         __builtin_shufflevector(a, b, 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31);
}
inline V16 fold4(V16 a, V16 b) {
  return __builtin_shufflevector(a, b, 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27) +
         __builtin_shufflevector(a, b, 4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31);
}
inline V16 fold2(V16 a, V16 b) {
  return __builtin_shufflevector(a, b, 0, 1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21, 24, 25, 28, 29) +
         __builtin_shufflevector(a, b, 2, 3, 6, 7, 10, 11, 14, 15, 18, 19, 22, 23, 26, 27, 30, 31);
}
inline V16 fold1(V16 a, V16 b) {
  return __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30) +
         __builtin_shufflevector(a, b, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
}

// r[i] = sum of the lanes of a[i].
inline V16 reduce16(const V16* a) {
  V16 t[8], u[4], v[2];
  for (int i = 0; i < 8; ++i) t[i] = fold8(a[2 * i], a[2 * i + 1]);
  for (int i = 0; i < 4; ++i) u[i] = fold4(t[2 * i], t[2 * i + 1]);
  for (int i = 0; i < 2; ++i) v[i] = fold2(u[2 * i], u[2 * i + 1]);
  return fold1(v[0], v[1]);
}

template <typename T>
class Conv2dNhwcDirect final : public Kernel {
 public:
  static constexpr bool kInt8 = std::is_same_v<T, int8_t>;
  static constexpr int kBlock = 16;

  Status prepare(const OpContext& node_ctx) override {
    const OpContext ctx = kInt8 ? int8_as_float_context(node_ctx, nullptr) : node_ctx;
    TANDEM_ASSIGN_OR_RETURN(ConvGeometry g, conv_geometry(ctx));
    TANDEM_ASSIGN_OR_RETURN(act_, Activation::parse(ctx.attrs().get_string("activation", ""),
                                                    ctx.attrs().get_floats("activation_params")));
    const WindowGeometry& w = g.window;
    batch_ = g.batch, c_ = g.in_channels, cout_ = g.out_channels;
    hin_ = w.in[0], win_ = w.in[1], hout_ = w.out[0], wout_ = w.out[1];
    kh_ = w.kernel[0], kw_ = w.kernel[1];
    sy_ = w.strides[0], sx_ = w.strides[1], dy_ = w.dilations[0], dx_ = w.dilations[1];
    pt_ = w.pad_begin[0], pl_ = w.pad_begin[1];
    dst_nhwc_ = g.dst_channels_last;
    // Weights [o][c][ky][kx] -> [o][ky][kx][c], with the int8 scales folded in.
    const Tensor& wt = kInt8 ? *node_ctx.in(kInt8W).constant : *ctx.in(1).constant;
    const float x_scale = kInt8 ? node_ctx.in(kInt8XScale).constant->data<float>()[0] : 1.0f;
    weights_.assign(static_cast<size_t>(cout_ * kh_ * kw_ * c_), 0.0f);
    for (int64_t o = 0; o < cout_; ++o) {
      const float s = kInt8 ? x_scale * node_ctx.in(kInt8WScale).constant->data<float>()[o] : 1.0f;
      for (int64_t c = 0; c < c_; ++c)
        for (int64_t ky = 0; ky < kh_; ++ky)
          for (int64_t kx = 0; kx < kw_; ++kx) {
            const int64_t src = ((o * c_ + c) * kh_ + ky) * kw_ + kx;
            const float v = kInt8 ? static_cast<float>(wt.data<int8_t>()[src]) * s : wt.data<float>()[src];
            weights_[static_cast<size_t>(((o * kh_ + ky) * kw_ + kx) * c_ + c)] = v;
          }
    }
#if defined(__AVX512VNNI__) && defined(__AVX512BW__)
    // A non-negative int8 source (after ReLU: 0..127) is read as u8 by vpdpbusd, 64 products per instruction,
    // where the float path widens every 16 bytes to 16 floats first (1.5 ms for MTNet's 16 -> 1 depth output at
    // 256x512 on Zen 4, whose 512-bit conversions take two cycles).
    vnni_ = kInt8 && c_ == 16 && sx_ == 1 && node_ctx.attrs().get_int("x_unsigned", 0) != 0;
#endif
    if (vnni_) {
      weights_s8_.assign(static_cast<size_t>(cout_ * kh_ * kw_ * c_), 0);
      for (int64_t o = 0; o < cout_; ++o)
        for (int64_t c = 0; c < c_; ++c)
          for (int64_t ky = 0; ky < kh_; ++ky)
            for (int64_t kx = 0; kx < kw_; ++kx)
              weights_s8_[static_cast<size_t>(((o * kh_ + ky) * kw_ + kx) * c_ + c)] =
                  wt.data<int8_t>()[((o * c_ + c) * kh_ + ky) * kw_ + kx];
      for (int64_t o = 0; o < cout_; ++o)
        out_scale_.push_back(x_scale * node_ctx.in(kInt8WScale).constant->data<float>()[o]);
    }
    bias_.assign(static_cast<size_t>(cout_), 0.0f);
    if (ctx.has_input(2))
      for (int64_t o = 0; o < cout_; ++o) bias_[static_cast<size_t>(o)] = ctx.in(2).constant->data<float>()[o];
    threads_ = std::max(1, omp_get_max_threads());
    return Status::ok();
  }

  Status run(std::span<const Tensor> in, std::span<Tensor> out) override {
    const T* x = in[0].data<T>();
    float* y = out[0].data<float>();
    const int64_t rows = batch_ * hout_;
    const int threads = static_cast<int>(std::min<int64_t>(threads_, rows));
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t r = 0; r < rows; ++r) compute_row(x, y, r);
    act_.apply_inplace(y, out[0].numel());
    return Status::ok();
  }

  std::string impl_name() const override {
    return vnni_ ? "direct:nhwc_few_out_u8_vnni" : kInt8 ? "direct:nhwc_few_out_s8" : "direct:nhwc_few_out";
  }

 private:
  float* out_at(float* y, int64_t n, int64_t o, int64_t oy, int64_t ox) const {
    return dst_nhwc_ ? y + ((n * hout_ + oy) * wout_ + ox) * cout_ + o : y + ((n * cout_ + o) * hout_ + oy) * wout_ + ox;
  }

  void compute_row(const T* x, float* y, int64_t r) const {
    const int64_t n = r / hout_, oy = r % hout_;
    const T* image = x + n * hin_ * win_ * c_;
    int64_t ox = 0;
    // Columns whose taps all fall inside the row: [first, last]; full blocks there take the vector path.
    const int64_t first = pl_ > 0 ? (pl_ + sx_ - 1) / sx_ : 0;
    for (; ox < std::min(first, wout_); ++ox) pixel(image, y, n, oy, ox);
    for (; ox + kBlock <= wout_ && (ox + kBlock - 1) * sx_ - pl_ + (kw_ - 1) * dx_ < win_; ox += kBlock)
      block(image, y, n, oy, ox);
    for (; ox < wout_; ++ox) pixel(image, y, n, oy, ox);
  }

#if defined(__AVX512VNNI__) && defined(__AVX512BW__)
  // 16 output pixels: each zmm holds 4 neighbouring pixels' 16 channels (NHWC, C = 16), vpdpbusd multiplies them
  // by the tap's 16 weights broadcast to the 4 lanes and sums groups of 4 products into 16 int32 lanes; the 4
  // lanes of a pixel are summed at the end and scaled to float.
  void block_vnni(const T* image, float* y, int64_t n, int64_t oy, int64_t ox0) const {
    for (int64_t o = 0; o < cout_; ++o) {
      __m512i acc[4] = {_mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512()};
      for (int64_t ky = 0; ky < kh_; ++ky) {
        const int64_t iy = oy * sy_ - pt_ + ky * dy_;
        if (iy < 0 || iy >= hin_) continue;
        const int8_t* row = reinterpret_cast<const int8_t*>(image) + iy * win_ * 16;
        for (int64_t kx = 0; kx < kw_; ++kx) {
          const __m512i w = _mm512_broadcast_i32x4(_mm_loadu_si128(
              reinterpret_cast<const __m128i*>(weights_s8_.data() + ((o * kh_ + ky) * kw_ + kx) * 16)));
          const int8_t* base = row + (ox0 - pl_ + kx * dx_) * 16;
          for (int j = 0; j < 4; ++j)
            acc[j] = _mm512_dpbusd_epi32(acc[j], _mm512_loadu_si512(base + 64 * j), w);
        }
      }
      alignas(64) int32_t lanes[64];
      for (int j = 0; j < 4; ++j) _mm512_store_si512(lanes + 16 * j, acc[j]);
      alignas(64) float sums[16];
      const float scale = out_scale_[static_cast<size_t>(o)], b = bias_[static_cast<size_t>(o)];
      for (int p = 0; p < 16; ++p)
        sums[p] = static_cast<float>(lanes[4 * p] + lanes[4 * p + 1] + lanes[4 * p + 2] + lanes[4 * p + 3]) * scale + b;
      if (!dst_nhwc_) {
        std::copy(sums, sums + 16, out_at(y, n, o, oy, ox0));
      } else {
        for (int p = 0; p < 16; ++p) *out_at(y, n, o, oy, ox0 + p) = sums[p];
      }
    }
  }
#endif

  void block(const T* image, float* y, int64_t n, int64_t oy, int64_t ox0) const {
#if defined(__AVX512VNNI__) && defined(__AVX512BW__)
    if (vnni_) {
      block_vnni(image, y, n, oy, ox0);
      return;
    }
#endif
    for (int64_t o = 0; o < cout_; ++o) {
      // Fully unrolled, so the 16 accumulators live in registers (not unrolled, GCC keeps them on the stack).
      V16 acc[kBlock];
#pragma GCC unroll 16
      for (int p = 0; p < kBlock; ++p) acc[p] = V16{};
      for (int64_t ky = 0; ky < kh_; ++ky) {
        const int64_t iy = oy * sy_ - pt_ + ky * dy_;
        if (iy < 0 || iy >= hin_) continue;
        const T* row = image + iy * win_ * c_;
        for (int64_t kx = 0; kx < kw_; ++kx) {
          const float* wk = weights_.data() + ((o * kh_ + ky) * kw_ + kx) * c_;
          const T* base = row + ((ox0 * sx_) - pl_ + kx * dx_) * c_;
          for (int64_t c = 0; c < c_; c += 16) {
            const V16 w = load16(wk + c);
#pragma GCC unroll 16
            for (int p = 0; p < kBlock; ++p) acc[p] += load16(base + p * sx_ * c_ + c) * w;
          }
        }
      }
      const V16 sums = reduce16(acc) + bias_[static_cast<size_t>(o)];
      if (!dst_nhwc_) {
        store16(out_at(y, n, o, oy, ox0), sums);
      } else {
        for (int p = 0; p < kBlock; ++p) *out_at(y, n, o, oy, ox0 + p) = sums[p];
      }
    }
  }

  void pixel(const T* image, float* y, int64_t n, int64_t oy, int64_t ox) const {
    for (int64_t o = 0; o < cout_; ++o) {
      V16 acc{};
      for (int64_t ky = 0; ky < kh_; ++ky) {
        const int64_t iy = oy * sy_ - pt_ + ky * dy_;
        if (iy < 0 || iy >= hin_) continue;
        for (int64_t kx = 0; kx < kw_; ++kx) {
          const int64_t ix = ox * sx_ - pl_ + kx * dx_;
          if (ix < 0 || ix >= win_) continue;
          const float* wk = weights_.data() + ((o * kh_ + ky) * kw_ + kx) * c_;
          const T* px = image + (iy * win_ + ix) * c_;
          for (int64_t c = 0; c < c_; c += 16) acc += load16(px + c) * load16(wk + c);
        }
      }
      float s = bias_[static_cast<size_t>(o)];
      for (int i = 0; i < 16; ++i) s += acc[i];
      *out_at(y, n, o, oy, ox) = s;
    }
  }

  Activation act_;
  int64_t batch_ = 0, c_ = 0, cout_ = 0, hin_ = 0, win_ = 0, hout_ = 0, wout_ = 0, kh_ = 0, kw_ = 0;
  int64_t sy_ = 1, sx_ = 1, dy_ = 1, dx_ = 1, pt_ = 0, pl_ = 0;
  bool dst_nhwc_ = false;
  bool vnni_ = false;  // int8, non-negative input, C = 16, unit column stride: the AVX-512 VNNI block path
  int threads_ = 1;
  std::vector<float> weights_, bias_;
  std::vector<int8_t> weights_s8_;  // [o][ky][kx][16] (the VNNI path)
  std::vector<float> out_scale_;    // per o: X_scale * W_scale[o] (the VNNI path)
};

}  // namespace

std::unique_ptr<Kernel> make_conv2d_nhwc_direct(const OpContext& node_ctx) {
  const bool int8 = node_ctx.node->op_type == "FusedConvInt8";
  if (int8 && (node_ctx.has_input(kInt8YScale) || node_ctx.has_input(kInt8Residual) ||
               !node_ctx.in(kInt8XScale).constant || !node_ctx.in(kInt8W).constant ||
               !node_ctx.in(kInt8WScale).constant))
    return nullptr;
  const OpContext ctx = int8 ? int8_as_float_context(node_ctx, nullptr) : node_ctx;
  if (!int8 && (ctx.has_input(3) || !ctx.in(1).constant)) return nullptr;
  if (ctx.has_input(2) && !ctx.in(2).constant) return nullptr;
  Result<ConvGeometry> g = conv_geometry(ctx);
  if (!g.is_ok() || !nhwc_direct_conv_applies(*g)) return nullptr;
  if (int8) return std::make_unique<Conv2dNhwcDirect<int8_t>>();
  return std::make_unique<Conv2dNhwcDirect<float>>();
}

}  // namespace tandem
