// A Linear layer on one row (a classifier head: [1, K] x [K, N] + bias, activation): a matrix-vector product,
// bound by reading the weights once. oneDNN's brgemm matmul streams them at ~16 GB/s here for M = 1 (MobileNetV3's
// 960x1280 head: 0.30 ms, ONNX Runtime 0.19 ms); this kernel packs B at build time into column panels of 128
// (each panel one contiguous stream of K x 512 bytes) and keeps eight accumulators per panel, so the hardware
// prefetcher sees one sequential stream (software prefetching measured no better) and the FMAs never wait on
// each other: 32-40 GB/s from DRAM on one core.
#include <omp.h>

#include <algorithm>
#include <cstring>

#include "backends/cpu/cpu_kernels.h"
#include "ops/activation.h"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace tandem {
namespace {

constexpr int64_t kPanel = 128;  // columns per panel: 8 zmm accumulators

class GemvF32 final : public Kernel {
 public:
  Status prepare(const OpContext& ctx) override {
    const Shape& a = ctx.in(0).shape;
    const Shape& b = ctx.in(1).shape;
    TANDEM_CHECK_OR_RETURN(b.size() == 2 && ctx.in(1).constant && shape_numel(a) == b[0], kUnsupported,
                           "gemv: one row of A and a constant 2-D B");
    TANDEM_CHECK_OR_RETURN(ctx.node->attrs.get_float("alpha", 1.0f) == 1.0f, kUnsupported, "gemv: alpha 1 only");
    TANDEM_ASSIGN_OR_RETURN(act_, Activation::parse(ctx.attrs().get_string("activation", ""),
                                                    ctx.attrs().get_floats("activation_params")));
    k_ = b[0];
    n_ = b[1];
    panels_ = (n_ + kPanel - 1) / kPanel;
    // Panel p holds columns [p*128, p*128+128) of every row, zero-padded past N.
    packed_ = Tensor::make(DType::kFloat32, {panels_ * k_ * kPanel});
    float* dst = packed_.data<float>();
    std::memset(dst, 0, static_cast<size_t>(packed_.nbytes()));
    const float* w = ctx.in(1).constant->data<float>();
    for (int64_t p = 0; p < panels_; ++p) {
      const int64_t n0 = p * kPanel, width = std::min(kPanel, n_ - n0);
      for (int64_t k = 0; k < k_; ++k)
        std::memcpy(dst + (p * k_ + k) * kPanel, w + k * n_ + n0, static_cast<size_t>(width) * sizeof(float));
    }
    bias_ = Tensor::make(DType::kFloat32, {panels_ * kPanel});
    std::memset(bias_.raw(), 0, static_cast<size_t>(bias_.nbytes()));
    if (ctx.has_input(2)) {
      TANDEM_CHECK_OR_RETURN(ctx.in(2).constant && ctx.in(2).shape == Shape{n_}, kUnsupported,
                             "gemv: a constant bias of N values");
      std::memcpy(bias_.raw(), ctx.in(2).constant->raw(), static_cast<size_t>(n_) * sizeof(float));
    }
    threads_ = std::max(1, omp_get_max_threads());
    return Status::ok();
  }

  Status run(std::span<const Tensor> in, std::span<Tensor> out) override {
    const float* x = in[0].data<float>();
    float* y = out[0].data<float>();
    const int threads = static_cast<int>(std::min<int64_t>(threads_, panels_));
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t p = 0; p < panels_; ++p) panel(x, p, y);
    act_.apply_inplace(y, n_);
    return Status::ok();
  }

  std::string impl_name() const override { return "gemv:panel128"; }

 private:
  // y[p*128 .. p*128+128) (clipped to N) = x . panel p + bias.
  void panel(const float* x, int64_t p, float* y) const {
    const float* w = packed_.data<float>() + p * k_ * kPanel;
    const float* bias = bias_.data<float>() + p * kPanel;
    float acc[kPanel];
#if defined(__AVX512F__)
    __m512 a[8];
    for (int j = 0; j < 8; ++j) a[j] = _mm512_loadu_ps(bias + 16 * j);
    for (int64_t k = 0; k < k_; ++k, w += kPanel) {
      const __m512 xk = _mm512_set1_ps(x[k]);
      for (int j = 0; j < 8; ++j) a[j] = _mm512_fmadd_ps(xk, _mm512_loadu_ps(w + 16 * j), a[j]);
    }
    for (int j = 0; j < 8; ++j) _mm512_storeu_ps(acc + 16 * j, a[j]);
#else
    std::memcpy(acc, bias, sizeof(acc));
    for (int64_t k = 0; k < k_; ++k, w += kPanel)
      for (int64_t j = 0; j < kPanel; ++j) acc[j] += x[k] * w[j];
#endif
    const int64_t n0 = p * kPanel;
    std::memcpy(y + n0, acc, static_cast<size_t>(std::min(kPanel, n_ - n0)) * sizeof(float));
  }

  Activation act_;
  Tensor packed_, bias_;
  int64_t k_ = 0, n_ = 0, panels_ = 0;
  int threads_ = 1;
};

}  // namespace

std::unique_ptr<Kernel> make_gemv_f32(const OpContext& ctx) {
  const Node& n = *ctx.node;
  const bool matmul = (n.domain.empty() && n.op_type == "MatMul") ||
                      (n.domain == kTandemDomain && n.op_type == "FusedMatMul");
  if (!matmul || ctx.in(0).dtype != DType::kFloat32 || ctx.out(0).dtype != DType::kFloat32 || !ctx.in(1).constant ||
      ctx.in(1).dtype != DType::kFloat32 || ctx.in(1).shape.size() != 2 || ctx.in(0).shape.empty() ||
      shape_numel(ctx.in(0).shape) != ctx.in(1).shape[0])
    return nullptr;
  return std::make_unique<GemvF32>();
}

}  // namespace tandem
