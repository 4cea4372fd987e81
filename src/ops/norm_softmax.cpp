// Softmax and LogSoftmax: max-subtracted (numerically stable) normalisation along one axis.
#include <algorithm>
#include <cmath>

#include "ops/broadcast.h"
#include "ops/reduce_ops.h"

namespace tandem {
namespace {

// The input seen as [outer, n, inner], normalised along n. Opset < 13 flattens to 2-D at `axis` (default 1)
// and normalises whole rows (inner = 1); opset 13 normalises along the single axis (default -1).
struct SoftmaxGeometry {
  int64_t outer = 1, n = 1, inner = 1;
};

Result<SoftmaxGeometry> softmax_geometry(const OpContext& ctx) {
  const Shape& s = ctx.in(0).shape;
  const auto rank = static_cast<int64_t>(s.size());
  const bool legacy = ctx.opset < 13;
  const int64_t attr_axis = ctx.attrs().get_int("axis", legacy ? 1 : -1);
  if (rank == 0) return Status(Code::kInvalidArgument, "input must have rank >= 1, got a scalar");
  TANDEM_ASSIGN_OR_RETURN(const int64_t axis, normalize_axis(attr_axis, rank));
  const auto a = static_cast<size_t>(axis);
  SoftmaxGeometry g;
  g.outer = dims_product(s, 0, a);
  if (legacy) {
    g.n = dims_product(s, a, s.size());
  } else {
    g.n = s[a];
    g.inner = dims_product(s, a + 1, s.size());
  }
  return g;
}

template <bool kLog>
Status infer_softmax(OpContext& ctx) {
  const char* op = kLog ? "LogSoftmax" : "Softmax";
  TANDEM_RETURN_IF_ERROR(check_float_dtype(ctx.in(0).dtype, op));
  TANDEM_ASSIGN_OR_RETURN(SoftmaxGeometry g, softmax_geometry(ctx));
  (void)g;
  ctx.set_output(0, ctx.in(0).dtype, ctx.in(0).shape);
  return Status::ok();
}

// One contiguous row of n values.
template <typename T, bool kLog>
void softmax_row(const T* x, T* y, int64_t n) {
  T mx = x[0];
  for (int64_t k = 1; k < n; ++k) mx = std::max(mx, x[k]);
  T sum = 0;
  if constexpr (kLog) {
    for (int64_t k = 0; k < n; ++k) sum += std::exp(x[k] - mx);
    // (x - max) - log(sum), not x - (max + log(sum)): the latter rounds log(sum) away for large x.
    const T lse = std::log(sum);
    for (int64_t k = 0; k < n; ++k) y[k] = (x[k] - mx) - lse;
  } else {
    for (int64_t k = 0; k < n; ++k) {
      y[k] = std::exp(x[k] - mx);
      sum += y[k];
    }
    const T inv = T(1) / sum;
    for (int64_t k = 0; k < n; ++k) y[k] *= inv;
  }
}

// Up to kBlock columns of an [n, inner] slab (column stride `inner`): the loops run along the contiguous
// inner dim so they vectorise, with the per-column max/sum kept on the stack (run() may not allocate).
constexpr int64_t kBlock = 64;

template <typename T, bool kLog>
void softmax_columns(const T* x, T* y, int64_t n, int64_t inner, int64_t width) {
  T mx[kBlock], sum[kBlock];
  for (int64_t i = 0; i < width; ++i) {
    mx[i] = x[i];
    sum[i] = 0;
  }
  for (int64_t k = 1; k < n; ++k)
    for (int64_t i = 0; i < width; ++i) mx[i] = std::max(mx[i], x[k * inner + i]);
  for (int64_t k = 0; k < n; ++k) {
    for (int64_t i = 0; i < width; ++i) {
      const T e = std::exp(x[k * inner + i] - mx[i]);
      if constexpr (!kLog) y[k * inner + i] = e;
      sum[i] += e;
    }
  }
  if constexpr (kLog) {
    for (int64_t i = 0; i < width; ++i) sum[i] = std::log(sum[i]);
    for (int64_t k = 0; k < n; ++k)
      for (int64_t i = 0; i < width; ++i) y[k * inner + i] = (x[k * inner + i] - mx[i]) - sum[i];
  } else {
    for (int64_t i = 0; i < width; ++i) sum[i] = T(1) / sum[i];
    for (int64_t k = 0; k < n; ++k)
      for (int64_t i = 0; i < width; ++i) y[k * inner + i] *= sum[i];
  }
}

template <bool kLog>
class SoftmaxKernel final : public Kernel {
 public:
  Status prepare(const OpContext& ctx) override {
    TANDEM_ASSIGN_OR_RETURN(g_, softmax_geometry(ctx));
    dtype_ = ctx.in(0).dtype;
    return Status::ok();
  }

  Status run(std::span<const Tensor> in, std::span<Tensor> out) override {
    if (dtype_ == DType::kFloat64) {
      run_typed(in[0].data<double>(), out[0].data<double>());
    } else {
      run_typed(in[0].data<float>(), out[0].data<float>());
    }
    return Status::ok();
  }

 private:
  template <typename T>
  void run_typed(const T* x, T* y) const {
    const int64_t outer = g_.outer, n = g_.n, inner = g_.inner;
    const int64_t total = outer * n * inner;
    if (n == 0 || total == 0) return;
    if (inner == 1) {
#pragma omp parallel for if (total > (1 << 15)) schedule(static)
      for (int64_t o = 0; o < outer; ++o) softmax_row<T, kLog>(x + o * n, y + o * n, n);
      return;
    }
    const int64_t blocks = (inner + kBlock - 1) / kBlock;
#pragma omp parallel for if (total > (1 << 15)) schedule(static)
    for (int64_t t = 0; t < outer * blocks; ++t) {
      const int64_t o = t / blocks, i0 = (t % blocks) * kBlock;
      const int64_t offset = o * n * inner + i0;
      softmax_columns<T, kLog>(x + offset, y + offset, n, inner, std::min(kBlock, inner - i0));
    }
  }

  SoftmaxGeometry g_;
  DType dtype_ = DType::kFloat32;
};

}  // namespace

void register_softmax_ops(OpRegistry& r) {
  r.add(onnx_schema("Softmax", infer_softmax<false>, make_reduce_kernel<SoftmaxKernel<false>>));
  r.add(onnx_schema("LogSoftmax", infer_softmax<true>, make_reduce_kernel<SoftmaxKernel<true>>));
}

}  // namespace tandem
