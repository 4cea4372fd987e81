// MatMul (numpy semantics, batch broadcasting) and Gemm (alpha, beta, transposes, broadcast C): inference and
// reference kernels on top of gemm_reference.
#include "ops/nn_matmul.h"

#include <omp.h>

#include <type_traits>

#include "ops/broadcast.h"
#include "ops/nn_gemm.h"
#include "ops/nn_register.h"

namespace tandem {
namespace {

constexpr int64_t kParallelWork = int64_t{1} << 15;

// Calls f(T{}) for the element types gemm_reference is instantiated for; false for any other dtype.
template <typename F>
bool dispatch_gemm_types(DType t, F&& f) {
  switch (t) {
    case DType::kFloat32: f(float{}); return true;
    case DType::kFloat64: f(double{}); return true;
    case DType::kInt32: f(int32_t{}); return true;
    case DType::kInt64: f(int64_t{}); return true;
    case DType::kUInt32: f(uint32_t{}); return true;
    case DType::kUInt64: f(uint64_t{}); return true;
    default: return false;
  }
}

bool is_gemm_type(DType t) {
  return dispatch_gemm_types(t, [](auto) {});
}

Status infer_matmul(OpContext& ctx) {
  TANDEM_ASSIGN_OR_RETURN(MatMulPlan plan, plan_matmul(ctx));
  ctx.set_output(0, plan.dtype, plan.out_shape);
  return Status::ok();
}

// ---- Gemm ----

struct GemmPlan {
  DType dtype = DType::kUndefined;
  int64_t m = 0, n = 0, k = 0;
  bool trans_a = false, trans_b = false;
  float alpha = 1.0f, beta = 1.0f;
  bool has_c = false;
  int64_t c_row = 0, c_col = 0;  // C's element strides read as [M, N] (0 on broadcast dims)
};

Result<GemmPlan> plan_gemm(const OpContext& ctx) {
  TANDEM_CHECK_OR_RETURN(ctx.has_input(0) && ctx.has_input(1), kInvalidArgument, "inputs A and B are required");
  const OperandInfo& a = ctx.in(0);
  const OperandInfo& b = ctx.in(1);
  GemmPlan p;
  p.dtype = a.dtype;
  TANDEM_CHECK_OR_RETURN(is_gemm_type(a.dtype), kUnsupported, "dtype %s is not supported", dtype_name(a.dtype));
  TANDEM_CHECK_OR_RETURN(b.dtype == a.dtype, kInvalidArgument, "B dtype %s differs from A dtype %s",
                         dtype_name(b.dtype), dtype_name(a.dtype));
  TANDEM_CHECK_OR_RETURN(a.shape.size() == 2 && b.shape.size() == 2, kInvalidArgument, "A %s and B %s must be 2-D",
                         shape_to_string(a.shape).c_str(), shape_to_string(b.shape).c_str());
  p.trans_a = ctx.attrs().get_int("transA", 0) != 0;
  p.trans_b = ctx.attrs().get_int("transB", 0) != 0;
  p.alpha = ctx.attrs().get_float("alpha", 1.0f);
  p.beta = ctx.attrs().get_float("beta", 1.0f);
  p.m = p.trans_a ? a.shape[1] : a.shape[0];
  p.k = p.trans_a ? a.shape[0] : a.shape[1];
  p.n = p.trans_b ? b.shape[0] : b.shape[1];
  const int64_t kb = p.trans_b ? b.shape[1] : b.shape[0];
  TANDEM_CHECK_OR_RETURN(kb == p.k, kInvalidArgument, "A %s (transA=%d) and B %s (transB=%d) do not multiply",
                         shape_to_string(a.shape).c_str(), p.trans_a ? 1 : 0, shape_to_string(b.shape).c_str(),
                         p.trans_b ? 1 : 0);
  p.has_c = ctx.has_input(2);
  if (p.has_c) {
    const Shape& c = ctx.in(2).shape;
    TANDEM_CHECK_OR_RETURN(ctx.in(2).dtype == a.dtype, kInvalidArgument, "C dtype %s differs from A dtype %s",
                           dtype_name(ctx.in(2).dtype), dtype_name(a.dtype));
    const bool ok =
        c.size() <= 2 && (c.empty() || c.back() == 1 || c.back() == p.n) && (c.size() < 2 || c[0] == 1 || c[0] == p.m);
    TANDEM_CHECK_OR_RETURN(ok, kInvalidArgument, "C %s does not broadcast to [%lld,%lld]", shape_to_string(c).c_str(),
                           static_cast<long long>(p.m), static_cast<long long>(p.n));
    p.c_col = !c.empty() && c.back() != 1 ? 1 : 0;
    p.c_row = c.size() == 2 && c[0] != 1 ? c[1] : 0;
  }
  return p;
}

Status infer_gemm(OpContext& ctx) {
  TANDEM_ASSIGN_OR_RETURN(GemmPlan p, plan_gemm(ctx));
  ctx.set_output(0, p.dtype, {p.m, p.n});
  return Status::ok();
}

class GemmKernel : public Kernel {
 public:
  // A transposed B (a Linear layer's [N, K] weight) is repacked to [K, N] rows so the product takes the
  // vectorised row path; a constant B is packed here once.
  Status prepare(const OpContext& ctx) override {
    TANDEM_ASSIGN_OR_RETURN(plan_, plan_gemm(ctx));
    if (!plan_.trans_b) return Status::ok();
    packed_b_ = Tensor::make(plan_.dtype, {plan_.k, plan_.n});
    if (const Tensor* b = ctx.in(1).constant) {
      dispatch_gemm_types(plan_.dtype, [&](auto tag) { pack_b<decltype(tag)>(*b); });
      b_is_packed_ = true;
    }
    return Status::ok();
  }
  Status run(std::span<const Tensor> in, std::span<Tensor> out) override {
    dispatch_gemm_types(plan_.dtype, [&](auto tag) {
      using T = decltype(tag);
      if (plan_.trans_b && !b_is_packed_) pack_b<T>(in[1]);
      run_typed<T>(in[0], plan_.trans_b ? packed_b_ : in[1], plan_.has_c && in.size() > 2 ? in[2].data<T>() : nullptr,
                   out[0]);
    });
    return Status::ok();
  }

 private:
  // packed_b_[k, n] = b[n, k].
  template <typename T>
  void pack_b(const Tensor& b) {
    const int64_t k = plan_.k, n = plan_.n;
    const T* src = b.data<T>();
    T* dst = packed_b_.data<T>();
#pragma omp parallel for if (k * n > kParallelWork) schedule(static)
    for (int64_t kk = 0; kk < k; ++kk)
      for (int64_t j = 0; j < n; ++j) dst[kk * n + j] = src[j * k + kk];
  }

  // `b` is [K, N] row-major here (already packed when transB=1).
  template <typename T>
  void run_typed(const Tensor& a, const Tensor& b, const T* c, Tensor& y) const {
    const GemmPlan& p = plan_;
    GemmArgs<T> g;
    g.m = p.m;
    g.n = p.n;
    g.k = p.k;
    g.a = a.data<T>();
    g.a_row = p.trans_a ? 1 : p.k;
    g.a_col = p.trans_a ? p.m : 1;
    g.b = b.data<T>();
    g.b_row = p.n;
    g.c = y.data<T>();
    g.ldc = p.n;
    gemm_reference(g, true);
    if (p.alpha == 1.0f && !c) return;
    // Integer Gemm scales in double and truncates back, as ONNX's reference does through numpy.
    using S = std::conditional_t<std::is_floating_point_v<T>, T, double>;
    const S alpha = static_cast<S>(p.alpha), beta = static_cast<S>(p.beta);
    T* yd = y.data<T>();
#pragma omp parallel for if (p.m * p.n > kParallelWork) schedule(static)
    for (int64_t i = 0; i < p.m; ++i) {
      for (int64_t j = 0; j < p.n; ++j) {
        S v = alpha * static_cast<S>(yd[i * p.n + j]);
        if (c) v += beta * static_cast<S>(c[i * p.c_row + j * p.c_col]);
        yd[i * p.n + j] = static_cast<T>(v);
      }
    }
  }

  GemmPlan plan_;
  Tensor packed_b_;  // B transposed to [K, N] when transB=1
  bool b_is_packed_ = false;
};

}  // namespace

Result<MatMulPlan> plan_matmul(const OpContext& ctx) {
  TANDEM_CHECK_OR_RETURN(ctx.has_input(0) && ctx.has_input(1), kInvalidArgument, "inputs A and B are required");
  const OperandInfo& a = ctx.in(0);
  const OperandInfo& b = ctx.in(1);
  TANDEM_CHECK_OR_RETURN(is_gemm_type(a.dtype), kUnsupported, "dtype %s is not supported", dtype_name(a.dtype));
  TANDEM_CHECK_OR_RETURN(b.dtype == a.dtype, kInvalidArgument, "B dtype %s differs from A dtype %s",
                         dtype_name(b.dtype), dtype_name(a.dtype));
  TANDEM_CHECK_OR_RETURN(!a.shape.empty() && !b.shape.empty(), kInvalidArgument,
                         "MatMul inputs %s and %s must have rank >= 1", shape_to_string(a.shape).c_str(),
                         shape_to_string(b.shape).c_str());
  MatMulPlan p;
  p.dtype = a.dtype;
  Shape as = a.shape, bs = b.shape;
  if (as.size() == 1) as.insert(as.begin(), 1);
  if (bs.size() == 1) bs.push_back(1);
  p.m = as[as.size() - 2];
  p.k = as.back();
  p.n = bs.back();
  TANDEM_CHECK_OR_RETURN(bs[bs.size() - 2] == p.k, kInvalidArgument, "MatMul shapes %s and %s do not multiply",
                         shape_to_string(a.shape).c_str(), shape_to_string(b.shape).c_str());
  const Shape a_batch(as.begin(), as.end() - 2), b_batch(bs.begin(), bs.end() - 2);
  Result<Shape> batch = broadcast_shapes(a_batch, b_batch);
  TANDEM_CHECK_OR_RETURN(batch.is_ok(), kInvalidArgument, "MatMul batch dims of %s and %s do not broadcast",
                         shape_to_string(a.shape).c_str(), shape_to_string(b.shape).c_str());
  const Shape& out_batch = batch.value();
  const int64_t count = shape_numel(out_batch);
  const std::vector<int64_t> sa = broadcast_strides(a_batch, out_batch), sb = broadcast_strides(b_batch, out_batch);
  p.a_offsets.resize(static_cast<size_t>(count));
  p.b_offsets.resize(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    int64_t rem = i, oa = 0, ob = 0;
    for (size_t d = out_batch.size(); d-- > 0;) {
      const int64_t idx = rem % out_batch[d];
      rem /= out_batch[d];
      oa += idx * sa[d];
      ob += idx * sb[d];
    }
    p.a_offsets[static_cast<size_t>(i)] = oa * p.m * p.k;
    p.b_offsets[static_cast<size_t>(i)] = ob * p.k * p.n;
  }
  p.out_shape = out_batch;
  if (a.shape.size() > 1) p.out_shape.push_back(p.m);
  if (b.shape.size() > 1) p.out_shape.push_back(p.n);
  return p;
}

Status MatMulKernel::prepare(const OpContext& ctx) {
  TANDEM_ASSIGN_OR_RETURN(plan_, plan_matmul(ctx));
  if (fused_) {
    TANDEM_ASSIGN_OR_RETURN(activation_, Activation::parse(ctx.attrs().get_string("activation", "None"),
                                                           ctx.attrs().get_floats("activation_params")));
    TANDEM_CHECK_OR_RETURN(activation_.kind == ActivationKind::kNone || plan_.dtype == DType::kFloat32, kUnsupported,
                           "activation on dtype %s is not supported", dtype_name(plan_.dtype));
    alpha_ = ctx.attrs().get_float("alpha", 1.0f);
  }
  const int threads = omp_get_max_threads();
  parallel_batches_ = threads > 1 && plan_.batch() >= threads;
  return Status::ok();
}

template <typename T>
void MatMulKernel::run_typed(const Tensor& a, const Tensor& b, const Tensor& bias, Tensor& y) const {
  const MatMulPlan& p = plan_;
  const int64_t batch = p.batch(), mn = p.m * p.n;
  auto product = [&](int64_t i, bool parallel) {
    GemmArgs<T> g;
    g.m = p.m;
    g.n = p.n;
    g.k = p.k;
    g.a = a.data<T>() + p.a_offsets[static_cast<size_t>(i)];
    g.a_row = p.k;
    g.b = b.data<T>() + p.b_offsets[static_cast<size_t>(i)];
    g.b_row = p.n;
    g.c = y.data<T>() + i * mn;
    g.ldc = p.n;
    gemm_reference(g, parallel);
  };
  if (parallel_batches_) {
#pragma omp parallel for if (batch * mn * p.k > kParallelWork) schedule(static)
    for (int64_t i = 0; i < batch; ++i) product(i, false);
  } else {
    for (int64_t i = 0; i < batch; ++i) product(i, true);
  }
  const T* bd = bias.defined() ? bias.data<T>() : nullptr;
  const bool has_act = activation_.kind != ActivationKind::kNone;
  const bool scaled = alpha_ != 1.0f;
  if (!bd && !has_act && !scaled) return;
  const int64_t rows = batch * p.m;
  T* yd = y.data<T>();
#pragma omp parallel for if (rows * p.n > kParallelWork) schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    T* row = yd + r * p.n;
    if (scaled)
      for (int64_t j = 0; j < p.n; ++j) row[j] = static_cast<T>(row[j] * alpha_);
    if (bd)
      for (int64_t j = 0; j < p.n; ++j) row[j] += bd[j];
    if constexpr (std::is_same_v<T, float>) {
      if (has_act)
        for (int64_t j = 0; j < p.n; ++j) row[j] = activation_.apply(row[j]);
    }
  }
}

Status MatMulKernel::run(std::span<const Tensor> in, std::span<Tensor> out) {
  static const Tensor kNone;
  const Tensor& bias = fused_ && in.size() > 2 ? in[2] : kNone;
  dispatch_gemm_types(plan_.dtype, [&](auto tag) { run_typed<decltype(tag)>(in[0], in[1], bias, out[0]); });
  return Status::ok();
}

void register_matmul_ops(OpRegistry& r) {
  add_op(r, "", "MatMul", infer_matmul, [] { return std::unique_ptr<Kernel>(std::make_unique<MatMulKernel>(false)); });
  add_op(r, "", "Gemm", infer_gemm, [] { return std::unique_ptr<Kernel>(std::make_unique<GemmKernel>()); });
}

}  // namespace tandem
