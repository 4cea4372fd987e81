// Elementwise arithmetic (Add, Sub, Mul, Div, Mod, Min, Max) and the family's single registration entry point.
#include <cmath>
#include <type_traits>

#include "ops/elementwise_kernels.h"
#include "ops/elementwise_register.h"

namespace tandem {
namespace {

using namespace elementwise;

struct AddOp {
  template <typename C> C operator()(C a, C b) const { return wrap_add(a, b); }
};
struct SubOp {
  template <typename C> C operator()(C a, C b) const { return wrap_sub(a, b); }
};
struct MulOp {
  template <typename C> C operator()(C a, C b) const { return wrap_mul(a, b); }
};

// Integer division truncates (as C, ONNX Runtime); x / 0 gives 0 instead of a SIGFPE, and INT_MIN / -1 wraps.
struct DivOp {
  template <typename C> C operator()(C a, C b) const {
    if constexpr (std::is_integral_v<C>) {
      if (b == 0) return C{0};
      if constexpr (std::is_signed_v<C>) {
        if (b == -1) return wrap_sub(C{0}, a);
      }
      return static_cast<C>(a / b);
    } else {
      return a / b;
    }
  }
};

// fmod=0: the result takes the divisor's sign (Python/numpy mod); fmod=1: the dividend's (C fmod).
// ONNX requires fmod=1 for floats; we accept fmod=0 there too and compute numpy's mod.
struct ModOp {
  bool fmod = false;
  Status parse(const OpContext& ctx) {
    const int64_t v = ctx.attrs().get_int("fmod", 0);
    TANDEM_CHECK_OR_RETURN(v == 0 || v == 1, kUnsupported, "attribute 'fmod'=%lld is not supported (0 or 1)",
                           static_cast<long long>(v));
    fmod = v == 1;
    return Status::ok();
  }
  template <typename C> C operator()(C a, C b) const {
    C r;
    if constexpr (std::is_integral_v<C>) {
      if (b == 0) return C{0};  // defined instead of SIGFPE
      if constexpr (std::is_signed_v<C>) {
        if (b == -1) return C{0};  // INT_MIN % -1 traps on x86
      }
      r = static_cast<C>(a % b);
    } else {
      r = std::fmod(a, b);
    }
    if constexpr (std::is_signed_v<C> || std::is_floating_point_v<C>) {
      if (!fmod && r != 0 && ((r < 0) != (b < 0))) r = static_cast<C>(r + b);
    }
    return r;
  }
};

// NaN-propagating like numpy.maximum/minimum; the selects still vectorise (compare + blend).
struct MaxOp {
  template <typename C> C operator()(C a, C b) const {
    if constexpr (std::is_floating_point_v<C>) return (a > b || a != a) ? a : b;
    else return a > b ? a : b;
  }
};
struct MinOp {
  template <typename C> C operator()(C a, C b) const {
    if constexpr (std::is_floating_point_v<C>) return (a < b || a != a) ? a : b;
    else return a < b ? a : b;
  }
};

}  // namespace

void register_elementwise_ops(OpRegistry& r) {
  r.add(make_binary_schema<kNumeric, AddOp>("Add"));
  r.add(make_binary_schema<kNumeric, SubOp>("Sub"));
  r.add(make_binary_schema<kNumeric, MulOp>("Mul"));
  r.add(make_binary_schema<kNumeric, DivOp>("Div"));
  r.add(make_binary_schema<kNumeric, ModOp>("Mod"));
  // Variadic; the input count is bounded only so a malformed node cannot ask for absurd plans.
  r.add(make_nary_schema<kNumeric, MaxOp, 1, 1024>("Max"));
  r.add(make_nary_schema<kNumeric, MinOp, 1, 1024>("Min"));
  register_elementwise_pow_ops(r);
  register_elementwise_compare_ops(r);
  register_elementwise_unary_ops(r);
  register_elementwise_cast_ops(r);
}

}  // namespace tandem
