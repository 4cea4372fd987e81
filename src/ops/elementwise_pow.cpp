// Pow: base and exponent may have different dtypes (the output has the base's); a constant scalar exponent
// of 2, 3, 0.5, 1 or -1 (x^2 in decomposed LayerNorm, RMSNorm) becomes a plain multiply/sqrt loop.
#include <cmath>
#include <limits>
#include <type_traits>

#include "ops/broadcast.h"
#include "ops/elementwise_kernels.h"
#include "ops/elementwise_register.h"

namespace tandem {
namespace {

using namespace elementwise;

// Integer power by squaring, wrapping on overflow; negative exponents truncate toward zero like C.
template <typename T, typename E>
T int_pow(T base, E e) {
  if constexpr (std::is_signed_v<E>) {
    if (e < 0) {
      if (base == 1) return T{1};
      if constexpr (std::is_signed_v<T>) {
        if (base == -1) return (e % 2 == 0) ? T{1} : static_cast<T>(-1);
      }
      return T{0};
    }
  }
  T result = 1;
  auto n = static_cast<uint64_t>(e);
  while (n != 0) {
    if (n & 1u) result = wrap_mul(result, base);
    base = wrap_mul(base, base);
    n >>= 1;
  }
  return result;
}

// One element, on compute types (float for the half types). Same-type floats use pow(float, float);
// mixed types go through double, as numpy's type promotion would.
template <typename B, typename E>
B pow_value(B base, E e) {
  if constexpr (std::is_floating_point_v<B>) {
    if constexpr (std::is_same_v<B, E>) return std::pow(base, e);
    else return static_cast<B>(std::pow(static_cast<double>(base), static_cast<double>(e)));
  } else if constexpr (std::is_integral_v<E>) {
    return int_pow(base, e);
  } else {
    return saturate_cast<B>(std::pow(static_cast<double>(base), static_cast<double>(e)));
  }
}

template <typename T, typename E>
void pow_loop(const BroadcastPlan& p, const void* a_raw, const void* b_raw, void* o_raw) {
  using CT = Compute<T>;
  using CE = Compute<E>;
  const T* a = static_cast<const T*>(a_raw);
  const E* b = static_cast<const E*>(b_raw);
  T* o = static_cast<T*>(o_raw);
  const int64_t sa = p.inner_moves(0) ? 1 : 0, sb = p.inner_moves(1) ? 1 : 0;
  for_each_run(p, [&](const Offsets& off, int64_t pos, int64_t n) {
    const T* pa = a + off[0];
    const E* pb = b + off[1];
    T* po = o + pos;
    for (int64_t i = 0; i < n; ++i) po[i] = CT::store(pow_value(CT::load(pa[i * sa]), CE::load(pb[i * sb])));
  });
}

enum class PowSpecial { kNone, kSquare, kCube, kSqrt, kIdentity, kReciprocal };

void pow_special_f32(PowSpecial s, const float* in, float* out, int64_t n) {
  switch (s) {
    case PowSpecial::kSquare: unary_loop<float, float>([](float x) { return x * x; }, in, out, n); break;
    case PowSpecial::kCube: unary_loop<float, float>([](float x) { return x * x * x; }, in, out, n); break;
    case PowSpecial::kSqrt: unary_loop<float, float>([](float x) { return std::sqrt(x); }, in, out, n); break;
    case PowSpecial::kIdentity: unary_loop<float, float>([](float x) { return x; }, in, out, n); break;
    case PowSpecial::kReciprocal: unary_loop<float, float>([](float x) { return 1.0f / x; }, in, out, n); break;
    case PowSpecial::kNone: break;
  }
}

Status infer_pow(OpContext& ctx) {
  TANDEM_CHECK_OR_RETURN(ctx.num_inputs() == 2 && ctx.has_input(0) && ctx.has_input(1), kInvalidArgument,
                         "Pow needs 2 inputs");
  for (int i = 0; i < 2; ++i)
    if (!type_in(ctx.in(i).dtype, kNumeric)) return unsupported_dtype(ctx, i, ctx.in(i).dtype);
  TANDEM_ASSIGN_OR_RETURN(Shape shape, broadcast_inputs(ctx, 0, 1));
  ctx.set_output(0, ctx.in(0).dtype, std::move(shape));
  return Status::ok();
}

class PowKernel final : public Kernel {
 public:
  Status prepare(const OpContext& ctx) override {
    const DType tb = ctx.in(0).dtype, te = ctx.in(1).dtype;
    const Tensor* e = ctx.in(1).constant;
    if (tb == DType::kFloat32 && e && e->numel() == 1) {
      const double v = e->float_at(0);
      special_ = v == 2.0 ? PowSpecial::kSquare : v == 3.0 ? PowSpecial::kCube : v == 0.5 ? PowSpecial::kSqrt
               : v == 1.0 ? PowSpecial::kIdentity : v == -1.0 ? PowSpecial::kReciprocal : PowSpecial::kNone;
      if (special_ != PowSpecial::kNone) return Status::ok();
    }
    const bool base_ok = dispatch<kNumeric>(tb, [&](auto base) {
      (void)dispatch<kNumeric>(te, [&](auto exponent) { fn_ = &pow_loop<decltype(base), decltype(exponent)>; });
    });
    if (!base_ok) return unsupported_dtype(ctx, 0, tb);
    if (!fn_) return unsupported_dtype(ctx, 1, te);
    std::vector<Shape> shapes = {ctx.in(0).shape, ctx.in(1).shape};
    TANDEM_ASSIGN_OR_RETURN(plan_, BroadcastPlan::make(shapes, ctx.out(0).shape));
    return Status::ok();
  }
  Status run(std::span<const Tensor> in, std::span<Tensor> out) override {
    if (special_ != PowSpecial::kNone) {
      pow_special_f32(special_, in[0].data<float>(), out[0].data<float>(), out[0].numel());
    } else {
      fn_(plan_, in[0].raw(), in[1].raw(), out[0].raw());
    }
    return Status::ok();
  }

 private:
  PowSpecial special_ = PowSpecial::kNone;
  BroadcastPlan plan_;
  void (*fn_)(const BroadcastPlan&, const void*, const void*, void*) = nullptr;
};

}  // namespace

void register_elementwise_pow_ops(OpRegistry& r) {
  OpSchema s;
  s.op_type = "Pow";
  s.infer = &infer_pow;
  s.create = []() -> std::unique_ptr<Kernel> { return std::make_unique<PowKernel>(); };
  r.add(std::move(s));
}

}  // namespace tandem
