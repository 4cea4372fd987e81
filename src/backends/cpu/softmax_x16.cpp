// Softmax along the last axis of a float tensor, sixteen lanes at a time (AVX-512), float or bf16 probabilities
// out. Attention's softmax runs over many short-to-medium rows (MTNet's first stage: 8192 rows of 128 keys, Swin:
// rows of 49); oneDNN 2.6's kernel took ~0.7 ns per element there, a third of that is enough: max, then
// exp(x - max) with fastmath's vectorised exp (elementwise_math_x16.h) kept in an L1 row buffer while summing,
// then scaled by 1 / sum on the way out (and rounded once to bf16 for a bf16 stage's ·V product).
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "backends/cpu/cpu_kernels.h"
#include "core/dtype.h"
#include "ops/elementwise_math_x16.h"

namespace tandem {

#if defined(__AVX512F__)
namespace {

class SoftmaxX16 final : public Kernel {
 public:
  Status prepare(const OpContext& ctx) override {
    const Shape& s = ctx.in(0).shape;
    n_ = s.back();
    rows_ = shape_numel(s) / n_;
    bf16_out_ = ctx.out(0).dtype == DType::kBFloat16;
    threads_ = std::max(1, omp_get_max_threads());
    rows_buffer_.assign(static_cast<size_t>(threads_ * padded()), 0.0f);  // one exp row per thread
    return Status::ok();
  }

  Status run(std::span<const Tensor> in, std::span<Tensor> out) override {
    const float* x = in[0].data<float>();
    const int threads = static_cast<int>(std::min<int64_t>(threads_, rows_));
#pragma omp parallel num_threads(threads)
    {
      float* e = rows_buffer_.data() + omp_get_thread_num() * padded();
#pragma omp for schedule(static)
      for (int64_t r = 0; r < rows_; ++r) {
        const float inv_sum = exp_row(x + r * n_, e);
        if (bf16_out_) {
          uint16_t* y = static_cast<uint16_t*>(out[0].raw()) + r * n_;
          for (int64_t c = 0; c < n_; c += 16)
            _mm512_storeu_ps(e + c, _mm512_mul_ps(_mm512_loadu_ps(e + c), _mm512_set1_ps(inv_sum)));
          floats_to_bfloat16(e, y, n_);
        } else {
          float* y = out[0].data<float>() + r * n_;
          for (int64_t c = 0; c < n_; c += 16)
            _mm512_mask_storeu_ps(y + c, mask_at(c), _mm512_mul_ps(_mm512_loadu_ps(e + c), _mm512_set1_ps(inv_sum)));
        }
      }
    }
    return Status::ok();
  }

  std::string impl_name() const override { return bf16_out_ ? "softmax:x16+bf16_out" : "softmax:x16"; }

 private:
  int64_t padded() const { return (n_ + 15) / 16 * 16; }
  __mmask16 mask_at(int64_t c) const { return fastmath::lanes_mask16(n_ - c); }

  // e[0, n) = exp(x - max(x)) (the padding lanes 0); returns 1 / sum(e).
  float exp_row(const float* x, float* e) const {
    __m512 vmax = _mm512_set1_ps(-INFINITY);
    for (int64_t c = 0; c < n_; c += 16)
      vmax = _mm512_max_ps(vmax, _mm512_mask_loadu_ps(_mm512_set1_ps(-INFINITY), mask_at(c), x + c));
    const __m512 mx = _mm512_set1_ps(_mm512_reduce_max_ps(vmax));
    __m512 sum = _mm512_setzero_ps();
    for (int64_t c = 0; c < n_; c += 16) {
      const __mmask16 m = mask_at(c);
      const __m512 v = _mm512_maskz_mov_ps(m, fastmath::exp_f32x16(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + c), mx)));
      _mm512_storeu_ps(e + c, v);
      sum = _mm512_add_ps(sum, v);
    }
    return 1.0f / _mm512_reduce_add_ps(sum);
  }

  int64_t n_ = 0, rows_ = 0;
  bool bf16_out_ = false;
  int threads_ = 1;
  std::vector<float> rows_buffer_;
};

}  // namespace
#endif

std::unique_ptr<Kernel> make_softmax_x16(const OpContext& ctx) {
#if defined(__AVX512F__)
  const Node& n = *ctx.node;
  if (!n.domain.empty() || n.op_type != "Softmax" || ctx.in(0).dtype != DType::kFloat32) return nullptr;
  const Shape& s = ctx.in(0).shape;
  if (s.empty() || shape_numel(s) == 0) return nullptr;
  const auto rank = static_cast<int64_t>(s.size());
  // The last axis only (before opset 13, [axis, rank) flattened: the same when axis is the last).
  const int64_t axis = n.attrs.get_int("axis", ctx.opset >= 13 ? -1 : 1);
  if (axis != -1 && axis != rank - 1) return nullptr;
  if (ctx.out(0).dtype != DType::kFloat32 && ctx.out(0).dtype != DType::kBFloat16) return nullptr;
  return std::make_unique<SoftmaxX16>();
#else
  (void)ctx;
  return nullptr;
#endif
}

}  // namespace tandem
