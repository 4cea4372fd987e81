// Activation ops: Relu, Sigmoid, LeakyRelu, HardSigmoid, HardSwish, Elu, Selu, Softplus, PRelu, Clip,
// Gelu (ai.tandem, also ONNX opset 20) and Silu (ai.tandem). Float math goes through fastmath, shared with
// activation.h.
#include <cmath>
#include <limits>
#include <memory>
#include <type_traits>

#include "ops/broadcast.h"
#include "ops/elementwise_kernels.h"
#include "ops/elementwise_math.h"
#include "ops/elementwise_register.h"

namespace tandem {
namespace {

using namespace elementwise;

template <typename C>
constexpr bool kIsF32 = std::is_same_v<C, float>;

struct ReluOp {
  template <typename C> C operator()(C x) const {
    if constexpr (kIsF32<C>) return fastmath::relu_f32(x);
    else return x < C{0} ? C{0} : x;  // NaN stays NaN
  }
};
struct SigmoidOp {
  template <typename C> C operator()(C x) const {
    if constexpr (kIsF32<C>) return fastmath::sigmoid_f32(x);
    else return C{1} / (C{1} + std::exp(-x));
  }
};
struct LeakyReluOp {
  float alpha = 0.01f;
  Status parse(const OpContext& ctx) {
    alpha = ctx.attrs().get_float("alpha", 0.01f);
    return Status::ok();
  }
  template <typename C> C operator()(C x) const {
    if constexpr (kIsF32<C>) return fastmath::leaky_relu_f32(x, alpha);
    else return x >= C{0} ? x : static_cast<C>(alpha) * x;
  }
};
struct HardSigmoidOp {
  float alpha = 0.2f, beta = 0.5f;
  Status parse(const OpContext& ctx) {
    alpha = ctx.attrs().get_float("alpha", 0.2f);
    beta = ctx.attrs().get_float("beta", 0.5f);
    return Status::ok();
  }
  template <typename C> C operator()(C x) const {
    if constexpr (kIsF32<C>) return fastmath::hard_sigmoid_f32(x, alpha, beta);
    else return std::max(C{0}, std::min(C{1}, static_cast<C>(alpha) * x + static_cast<C>(beta)));
  }
};
struct HardSwishOp {
  template <typename C> C operator()(C x) const {
    if constexpr (kIsF32<C>) return fastmath::hard_swish_f32(x);
    else return x * std::max(C{0}, std::min(C{1}, x / C{6} + C{0.5}));
  }
};
// expm1 keeps Elu/Selu accurate just below 0 where exp(x) - 1 cancels.
struct EluOp {
  float alpha = 1.0f;
  Status parse(const OpContext& ctx) {
    alpha = ctx.attrs().get_float("alpha", 1.0f);
    return Status::ok();
  }
  template <typename C> C operator()(C x) const { return x < C{0} ? static_cast<C>(alpha) * std::expm1(x) : x; }
};
struct SeluOp {
  float alpha = 1.67326319217681884765625f, gamma = 1.05070102214813232421875f;
  Status parse(const OpContext& ctx) {
    alpha = ctx.attrs().get_float("alpha", 1.67326319217681884765625f);
    gamma = ctx.attrs().get_float("gamma", 1.05070102214813232421875f);
    return Status::ok();
  }
  template <typename C> C operator()(C x) const {
    return static_cast<C>(gamma) * (x > C{0} ? x : static_cast<C>(alpha) * std::expm1(x));
  }
};
// log(1 + e^x) without overflow for large x.
struct SoftplusOp {
  template <typename C> C operator()(C x) const {
    return x > C{0} ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
  }
};
// Gelu's two forms are separate functors so each loop is branch-free (and vectorises).
struct GeluOp {
  template <typename C> C operator()(C x) const {
    if constexpr (kIsF32<C>) return fastmath::gelu_f32(x);
    else return C{0.5} * x * (C{1} + std::erf(x * C{0.70710678118654752}));
  }
};
struct GeluTanhOp {
  template <typename C> C operator()(C x) const {
    if constexpr (kIsF32<C>) return fastmath::gelu_tanh_f32(x);
    else return C{0.5} * x * (C{1} + std::tanh(C{0.7978845608028654} * (x + C{0.044715} * x * x * x)));
  }
};

Result<bool> gelu_uses_tanh(const OpContext& ctx) {
  const std::string a = ctx.attrs().get_string("approximate", "none");
  TANDEM_CHECK_OR_RETURN(a == "none" || a == "tanh", kUnsupported,
                         "attribute 'approximate'='%s' is not supported (none or tanh)", a.c_str());
  return a == "tanh";
}

Status infer_gelu(OpContext& ctx) {
  TANDEM_RETURN_IF_ERROR(gelu_uses_tanh(ctx).status());
  return infer_unary<kFloatTypes, GeluOp>(ctx);
}

// Picks the functor once in prepare().
class GeluKernel final : public Kernel {
 public:
  Status prepare(const OpContext& ctx) override {
    TANDEM_ASSIGN_OR_RETURN(bool tanh_form, gelu_uses_tanh(ctx));
    if (tanh_form) impl_ = std::make_unique<UnaryKernel<kFloatTypes, GeluTanhOp>>();
    else impl_ = std::make_unique<UnaryKernel<kFloatTypes, GeluOp>>();
    return impl_->prepare(ctx);
  }
  Status run(std::span<const Tensor> in, std::span<Tensor> out) override { return impl_->run(in, out); }

 private:
  std::unique_ptr<Kernel> impl_;
};

OpSchema gelu_schema(const char* domain) {
  OpSchema s;
  s.domain = domain;
  s.op_type = "Gelu";
  s.infer = &infer_gelu;
  s.create = []() -> std::unique_ptr<Kernel> { return std::make_unique<GeluKernel>(); };
  return s;
}

// ai.tandem Silu: what fuse_silu makes of Mul(x, Sigmoid(x)); float32 computes exactly what those two did.
struct SiluOp {
  template <typename C> C operator()(C x) const {
    if constexpr (kIsF32<C>) return fastmath::silu_f32(x);
    else return x * (C{1} / (C{1} + std::exp(-x)));
  }
};

struct PReluOp {
  template <typename C> C operator()(C x, C slope) const {
    if constexpr (std::is_unsigned_v<C>) return x;  // never negative
    else return x < C{0} ? wrap_mul(x, slope) : x;
  }
};

// PRelu: slope broadcasts to X's shape (unidirectionally); the output has X's shape.
Status infer_prelu(OpContext& ctx) {
  TANDEM_RETURN_IF_ERROR((infer_nary<kFloatTypes | kIntTypes, PReluOp>(ctx)));
  const Shape& x = ctx.in(0).shape;
  TANDEM_CHECK_OR_RETURN(ctx.out(0).shape == x || !ctx.has_output(0), kInvalidArgument,
                         "PRelu: slope %s does not broadcast to X %s", shape_to_string(ctx.in(1).shape).c_str(),
                         shape_to_string(x).c_str());
  return Status::ok();
}

// ---- Clip: bounds are attributes before opset 11, optional scalar inputs from 11 on ----

Status infer_clip(OpContext& ctx) {
  TANDEM_RETURN_IF_ERROR((infer_unary<kNumeric, ReluOp>(ctx)));
  const DType t = ctx.in(0).dtype;
  if (ctx.opset < 11 && !type_in(t, kFloatTypes)) return unsupported_dtype(ctx, 0, t);
  for (int i = 1; i < 3; ++i) {
    if (!ctx.has_input(i)) continue;
    TANDEM_CHECK_OR_RETURN(ctx.in(i).dtype == t, kInvalidArgument, "Clip: bound input %d has dtype %s, X has %s", i,
                           dtype_name(ctx.in(i).dtype), dtype_name(t));
    TANDEM_CHECK_OR_RETURN(shape_numel(ctx.in(i).shape) == 1, kInvalidArgument,
                           "Clip: bound input %d must be a scalar, got shape %s", i,
                           shape_to_string(ctx.in(i).shape).c_str());
  }
  return Status::ok();
}

template <typename T>
void clip_entry(const Tensor& x, const Tensor& lo_t, const Tensor& hi_t, double attr_lo, double attr_hi,
                Tensor& out) {
  using CT = Compute<T>;
  using C = typename CT::type;
  C lo, hi;
  if constexpr (std::is_floating_point_v<C>) {
    lo = static_cast<C>(attr_lo);
    hi = static_cast<C>(attr_hi);
  } else {
    lo = std::numeric_limits<C>::lowest();
    hi = std::numeric_limits<C>::max();
  }
  if (lo_t.defined()) lo = CT::load(lo_t.data<T>()[0]);
  if (hi_t.defined()) hi = CT::load(hi_t.data<T>()[0]);
  auto clip = [lo, hi](C v) {
    if constexpr (kIsF32<C>) {
      return fastmath::clip_f32(v, lo, hi);
    } else {
      C y = v < lo ? lo : v;
      return y > hi ? hi : y;
    }
  };
  unary_loop<T, T>(clip, x.data<T>(), out.data<T>(), out.numel());
}

class ClipKernel final : public Kernel {
 public:
  Status prepare(const OpContext& ctx) override {
    if (ctx.opset < 11) {
      lo_ = ctx.attrs().get_float("min", -std::numeric_limits<float>::infinity());
      hi_ = ctx.attrs().get_float("max", std::numeric_limits<float>::infinity());
    }
    const DType t = ctx.in(0).dtype;
    if (!dispatch<kNumeric>(t, [&](auto tag) { fn_ = &clip_entry<decltype(tag)>; })) return unsupported_dtype(ctx, 0, t);
    return Status::ok();
  }
  Status run(std::span<const Tensor> in, std::span<Tensor> out) override {
    static const Tensor kNone;
    const Tensor& lo = in.size() > 1 ? in[1] : kNone;
    const Tensor& hi = in.size() > 2 ? in[2] : kNone;
    fn_(in[0], lo, hi, lo_, hi_, out[0]);
    return Status::ok();
  }

 private:
  double lo_ = -std::numeric_limits<double>::infinity();
  double hi_ = std::numeric_limits<double>::infinity();
  void (*fn_)(const Tensor&, const Tensor&, const Tensor&, double, double, Tensor&) = nullptr;
};

}  // namespace

void register_activation_ops(OpRegistry& r) {
  r.add(make_unary_schema<kFloatTypes | kSInt, ReluOp>("Relu"));
  r.add(make_unary_schema<kFloatTypes, SigmoidOp>("Sigmoid"));
  r.add(make_unary_schema<kFloatTypes, LeakyReluOp>("LeakyRelu"));
  r.add(make_unary_schema<kFloatTypes, HardSigmoidOp>("HardSigmoid"));
  r.add(make_unary_schema<kFloatTypes, HardSwishOp>("HardSwish"));
  r.add(make_unary_schema<kFloatTypes, EluOp>("Elu"));
  r.add(make_unary_schema<kFloatTypes, SeluOp>("Selu"));
  r.add(make_unary_schema<kFloatTypes, SoftplusOp>("Softplus"));
  r.add(gelu_schema(kTandemDomain));
  r.add(gelu_schema(""));  // ONNX's Gelu (opset 20) has the same attribute
  r.add(make_unary_schema<kF32 | kF64, SiluOp>("Silu", kTandemDomain));

  OpSchema prelu = make_binary_schema<kFloatTypes | kIntTypes, PReluOp>("PRelu");
  prelu.infer = &infer_prelu;
  r.add(std::move(prelu));

  OpSchema clip;
  clip.op_type = "Clip";
  clip.infer = &infer_clip;
  clip.create = []() -> std::unique_ptr<Kernel> { return std::make_unique<ClipKernel>(); };
  r.add(std::move(clip));
}

}  // namespace tandem
