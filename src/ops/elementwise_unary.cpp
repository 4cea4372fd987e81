// Unary math: Sqrt, Exp, Log, Erf, Tanh, Reciprocal, Floor, Ceil, Neg, Abs, Sign.
// Exp, Erf and Tanh on float (and the half types, computed in float) use fastmath so their loops vectorise.
#include <cmath>
#include <type_traits>

#include "ops/elementwise_kernels.h"
#include "ops/elementwise_math.h"
#include "ops/elementwise_register.h"

namespace tandem {
namespace {

using namespace elementwise;

struct SqrtOp {
  template <typename C> C operator()(C x) const { return std::sqrt(x); }
};
struct ExpOp {
  template <typename C> C operator()(C x) const {
    if constexpr (std::is_same_v<C, float>) return fastmath::exp_f32(x);
    else return std::exp(x);
  }
};
struct LogOp {
  template <typename C> C operator()(C x) const { return std::log(x); }
};
struct ErfOp {
  template <typename C> C operator()(C x) const {
    if constexpr (std::is_same_v<C, float>) return fastmath::erf_f32(x);
    else return std::erf(x);
  }
};
struct TanhOp {
  template <typename C> C operator()(C x) const {
    if constexpr (std::is_same_v<C, float>) return fastmath::tanh_f32(x);
    else return std::tanh(x);
  }
};
struct ReciprocalOp {
  template <typename C> C operator()(C x) const { return C{1} / x; }
};
struct FloorOp {
  template <typename C> C operator()(C x) const { return std::floor(x); }
};
struct CeilOp {
  template <typename C> C operator()(C x) const { return std::ceil(x); }
};
struct NegOp {
  template <typename C> C operator()(C x) const { return wrap_sub(C{0}, x); }
};
struct AbsOp {
  template <typename C> C operator()(C x) const {
    if constexpr (std::is_unsigned_v<C>) return x;
    else return x < C{0} ? wrap_sub(C{0}, x) : x;
  }
};
// Sign of NaN is NaN (numpy); of +-0 is 0.
struct SignOp {
  template <typename C> C operator()(C x) const {
    if constexpr (std::is_unsigned_v<C>) return x > C{0} ? C{1} : C{0};
    else if constexpr (std::is_integral_v<C>) return x > C{0} ? C{1} : (x < C{0} ? C{-1} : C{0});
    else return x > C{0} ? C{1} : (x < C{0} ? C{-1} : (x == C{0} ? C{0} : x));
  }
};

}  // namespace

void register_elementwise_unary_ops(OpRegistry& r) {
  r.add(make_unary_schema<kFloatTypes, SqrtOp>("Sqrt"));
  r.add(make_unary_schema<kFloatTypes, ExpOp>("Exp"));
  r.add(make_unary_schema<kFloatTypes, LogOp>("Log"));
  r.add(make_unary_schema<kFloatTypes, ErfOp>("Erf"));
  r.add(make_unary_schema<kFloatTypes, TanhOp>("Tanh"));
  r.add(make_unary_schema<kFloatTypes, ReciprocalOp>("Reciprocal"));
  r.add(make_unary_schema<kFloatTypes, FloorOp>("Floor"));
  r.add(make_unary_schema<kFloatTypes, CeilOp>("Ceil"));
  r.add(make_unary_schema<kFloatTypes | kSInt, NegOp>("Neg"));
  r.add(make_unary_schema<kNumeric, AbsOp>("Abs"));
  r.add(make_unary_schema<kNumeric, SignOp>("Sign"));
}

}  // namespace tandem
