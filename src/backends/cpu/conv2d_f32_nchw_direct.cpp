// Direct float32 convolution on plain NCHW for layers with very few output channels (a depth or mask head's
// last 3x3 conv: 16 -> 1). oneDNN has no good kernel for these: its blocked kernels pad the one output channel
// to a block of 8 and reorder the wide input in and out, and its plain path goes through im2col + GEMM with
// N = 1 (measured 3.4 GFLOP/s for MTNet's 16->1 3x3 conv at 256x512 on AVX2). Here each block of 64 output
// pixels of a row keeps its accumulators in registers across all input channels and taps, reading the input
// rows in place (no im2col, no reorder).
//
// The same kernel runs FusedConvInt8 (int8 input, one scale; int8 weights, one scale per output channel): the
// weights are dequantised once at build time, and each input row segment is dequantised into the per-thread
// scratch as it is read. That is the int8 op's definition computed in float, so the result equals the reference
// kernel's, and the layer reads a quarter of the bytes (an int8 map from the conv before it, not a float one).
#include <omp.h>

#include <algorithm>
#include <type_traits>

#include "backends/cpu/cpu_kernels.h"
#include "ops/activation.h"
#include "ops/fused_int8.h"
#include "ops/nn_conv.h"

namespace tandem {
namespace {

constexpr int64_t kMaxOutChannels = kDirectConvMaxOutChannels;
constexpr int64_t kBlock = 64;  // output columns per register block: 8 vectors of 8 floats

// GCC's generic vectors: 8 floats, compiled to AVX with -march=native and to SSE pairs otherwise.
typedef float V8 __attribute__((vector_size(32)));
inline V8 load8(const float* p) {
  V8 v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}
inline void store8(float* p, V8 v) { __builtin_memcpy(p, &v, sizeof v); }

// T: float (FusedConv, Conv) or int8_t (FusedConvInt8, dequantised as it is read).
template <typename T>
class Conv2dNchwDirect final : public Kernel {
 public:
  static constexpr bool kInt8 = std::is_same_v<T, int8_t>;

  Status prepare(const OpContext& node_ctx) override {
    const OpContext ctx = kInt8 ? int8_as_float_context(node_ctx, nullptr) : node_ctx;
    const Shape& x = ctx.in(0).shape;
    const Shape& w = ctx.in(1).shape;
    const Shape& y = ctx.out(0).shape;
    TANDEM_ASSIGN_OR_RETURN(ConvGeometry g, conv_geometry(ctx));
    TANDEM_ASSIGN_OR_RETURN(act_, Activation::parse(ctx.attrs().get_string("activation", ""),
                                                    ctx.attrs().get_floats("activation_params")));
    batch_ = x[0], cin_ = x[1], hin_ = x[2], win_ = x[3];
    cout_ = y[1], hout_ = y[2], wout_ = y[3];
    kh_ = w[2], kw_ = w[3];
    stride_y_ = g.window.strides[0];
    dil_y_ = g.window.dilations[0], dil_x_ = g.window.dilations[1];
    pad_t_ = g.window.pad_begin[0], pad_l_ = g.window.pad_begin[1];
    if constexpr (kInt8) {
      weights_ = dequantize_weights(*node_ctx.in(kInt8W).constant, *node_ctx.in(kInt8WScale).constant, false);
      x_scale_ = node_ctx.in(kInt8XScale).constant->data<float>()[0];
    } else {
      weights_ = ctx.in(1).constant->clone();
    }
    if (ctx.has_input(2)) bias_ = ctx.in(2).constant->clone();
    has_sum_ = ctx.has_input(3);
    threads_ = std::max(1, omp_get_max_threads());
    // Per thread: one zero-padded input segment, then one block of outputs.
    per_thread_ = kBlock + (kw_ - 1) * dil_x_ + kBlock;
    scratch_ = Tensor::make(DType::kFloat32, {threads_ * per_thread_});
    return Status::ok();
  }

  Status run(std::span<const Tensor> in, std::span<Tensor> out) override {
    const T* xs = in[0].data<T>();
    const float* zs = has_sum_ ? in[kInt8 ? kInt8Residual : 3].data<float>() : nullptr;
    float* ys = out[0].data<float>();
    int64_t rows = batch_ * hout_;
    int threads = static_cast<int>(std::min<int64_t>(threads_, rows));
#pragma omp parallel num_threads(threads)
    {
      float* scratch = scratch_.data<float>() + omp_get_thread_num() * per_thread_;
#pragma omp for schedule(static)
      for (int64_t r = 0; r < rows; ++r) compute_row(xs, zs, ys, r, scratch);
    }
    // One pass over the (small) output afterwards: per row, the activation's own parallel-for costs more
    // than the few hundred elements it maps.
    act_.apply_inplace(ys, out[0].numel());
    return Status::ok();
  }

  std::string impl_name() const override { return kInt8 ? "direct:nchw_few_out_s8" : "direct:nchw_few_out"; }

 private:
  // One output row of every output channel, in blocks of 64 columns whose accumulators stay in registers
  // across all input channels and taps. A block whose taps reach past the input row (the borders, or a row
  // narrower than a block) reads zero-padded copies of its row segments instead.
  void compute_row(const T* xs, const float* zs, float* ys, int64_t r, float* scratch) const {
    int64_t n = r / hout_, oy = r % hout_;
    int64_t span = kBlock + (kw_ - 1) * dil_x_;  // input columns one block reads
    for (int64_t o = 0; o < cout_; ++o) {
      float* y = ys + ((n * cout_ + o) * hout_ + oy) * wout_;
      float b = bias_.defined() ? bias_.data<float>()[o] : 0.0f;
      for (int64_t x = 0; x < wout_; x += kBlock) {
        int64_t ix = x - pad_l_;
        bool inside = ix >= 0 && ix + span <= win_ && x + kBlock <= wout_;
        // int8 rows are always staged (dequantised) through the scratch; the output goes straight to y where
        // the whole block fits.
        float* pad = inside && !kInt8 ? nullptr : scratch;
        bool direct_out = kInt8 ? x + kBlock <= wout_ : inside;
        float* dst = direct_out ? y + x : scratch + span;
        if (kw_ == 3) block<3>(xs, n, o, oy, ix, b, pad, dst);
        else if (kw_ == 1) block<1>(xs, n, o, oy, ix, b, pad, dst);
        else block<0>(xs, n, o, oy, ix, b, pad, dst);
        if (!direct_out) std::copy(dst, dst + std::min(kBlock, wout_ - x), y + x);
      }
      if (zs) {
        const float* z = zs + ((n * cout_ + o) * hout_ + oy) * wout_;
        for (int64_t i = 0; i < wout_; ++i) y[i] += z[i];
      }
    }
  }

  // kBlock outputs starting at input column ix; KW = 0 means kw_ known only at run time. With `pad` set,
  // each input row segment is first copied there (dequantised, for int8) with zeros outside the row.
  template <int KW>
  void block(const T* xs, int64_t n, int64_t o, int64_t oy, int64_t ix, float b, float* pad, float* dst) const {
    constexpr int NV = kBlock / 8;
    const int64_t kw = KW ? KW : kw_;
    V8 acc[NV];
    for (int v = 0; v < NV; ++v) acc[v] = V8{} + b;
    const float* wt = weights_.data<float>() + o * cin_ * kh_ * kw;
    for (int64_t c = 0; c < cin_; ++c) {
      for (int64_t ky = 0; ky < kh_; ++ky) {
        int64_t iy = oy * stride_y_ - pad_t_ + ky * dil_y_;
        if (iy < 0 || iy >= hin_) continue;
        const T* row = xs + ((n * cin_ + c) * hin_ + iy) * win_;
        const float* src = nullptr;
        if (pad) {
          const int64_t span = kBlock + (kw - 1) * dil_x_;
          const int64_t lo = std::clamp<int64_t>(-ix, 0, span), hi = std::clamp<int64_t>(win_ - ix, lo, span);
          std::fill(pad, pad + lo, 0.0f);
          for (int64_t i = lo; i < hi; ++i) pad[i] = static_cast<float>(row[ix + i]) * x_scale_;
          std::fill(pad + hi, pad + span, 0.0f);
          src = pad;
        } else if constexpr (!kInt8) {
          src = row + ix;
        }
        const float* wk = wt + (c * kh_ + ky) * kw;
        for (int64_t kx = 0; kx < kw; ++kx) {
          V8 w = V8{} + wk[kx];
          const float* s = src + kx * dil_x_;
          for (int v = 0; v < NV; ++v) acc[v] += w * load8(s + 8 * v);
        }
      }
    }
    for (int v = 0; v < NV; ++v) store8(dst + 8 * v, acc[v]);
  }

  Activation act_;
  int64_t batch_ = 0, cin_ = 0, hin_ = 0, win_ = 0, cout_ = 0, hout_ = 0, wout_ = 0, kh_ = 0, kw_ = 0;
  int64_t stride_y_ = 1, dil_y_ = 1, dil_x_ = 1, pad_t_ = 0, pad_l_ = 0, per_thread_ = 0;
  int threads_ = 1;
  bool has_sum_ = false;
  float x_scale_ = 1.0f;  // int8: the input's scale (applied as rows are staged); float: 1
  Tensor weights_, bias_, scratch_;
};

}  // namespace

std::unique_ptr<Kernel> make_conv2d_f32_nchw_direct(const OpContext& node_ctx) {
  const bool int8 = node_ctx.node->op_type == "FusedConvInt8";
  if (int8 && (node_ctx.has_input(kInt8YScale) || !node_ctx.in(kInt8XScale).constant ||
               !node_ctx.in(kInt8W).constant || !node_ctx.in(kInt8WScale).constant))
    return nullptr;
  const OpContext ctx = int8 ? int8_as_float_context(node_ctx, nullptr) : node_ctx;
  Result<ConvGeometry> g = conv_geometry(ctx);
  if (!g.is_ok() || g->window.rank() != 2 || g->group != 1 || g->window.strides[1] != 1 ||
      g->out_channels > kMaxOutChannels || g->src_channels_last || g->dst_channels_last)
    return nullptr;
  if (int8) return std::make_unique<Conv2dNchwDirect<int8_t>>();
  return std::make_unique<Conv2dNchwDirect<float>>();
}

}  // namespace tandem
