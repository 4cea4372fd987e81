// Comparisons (Equal, Less, Greater, LessOrEqual, GreaterOrEqual), logic (And, Or, Xor, Not) and Where.
#include <memory>

#include "ops/elementwise_kernels.h"
#include "ops/elementwise_register.h"

namespace tandem {
namespace {

using namespace elementwise;

struct EqualOp {
  static constexpr bool kPredicate = true;
  template <typename C> bool operator()(C a, C b) const { return a == b; }
};
struct LessOp {
  static constexpr bool kPredicate = true;
  template <typename C> bool operator()(C a, C b) const { return a < b; }
};
struct GreaterOp {
  static constexpr bool kPredicate = true;
  template <typename C> bool operator()(C a, C b) const { return a > b; }
};
struct LessOrEqualOp {
  static constexpr bool kPredicate = true;
  template <typename C> bool operator()(C a, C b) const { return a <= b; }
};
struct GreaterOrEqualOp {
  static constexpr bool kPredicate = true;
  template <typename C> bool operator()(C a, C b) const { return a >= b; }
};
struct AndOp {
  static constexpr bool kPredicate = true;
  bool operator()(bool a, bool b) const { return a && b; }
};
struct OrOp {
  static constexpr bool kPredicate = true;
  bool operator()(bool a, bool b) const { return a || b; }
};
struct XorOp {
  static constexpr bool kPredicate = true;
  bool operator()(bool a, bool b) const { return a != b; }
};
struct NotOp {
  bool operator()(bool a) const { return !a; }
};

// ---- Where(condition, X, Y) ----

Status infer_where(OpContext& ctx) {
  TANDEM_CHECK_OR_RETURN(ctx.num_inputs() == 3 && ctx.has_input(0) && ctx.has_input(1) && ctx.has_input(2),
                         kInvalidArgument, "Where needs 3 inputs (condition, X, Y)");
  if (ctx.in(0).dtype != DType::kBool) return unsupported_dtype(ctx, 0, ctx.in(0).dtype);
  TANDEM_ASSIGN_OR_RETURN(DType t, common_dtype(ctx, 1, 2));
  if (!type_in(t, kAllTypes)) return unsupported_dtype(ctx, 1, t);
  TANDEM_ASSIGN_OR_RETURN(Shape shape, broadcast_inputs(ctx, 0, 2));
  ctx.set_output(0, t, std::move(shape));
  return Status::ok();
}

// Where only moves elements, so it runs on same-size unsigned storage: 4 instantiations cover every dtype.
template <typename T>
void where_loop(const BroadcastPlan& p, const uint8_t* c, const void* x_raw, const void* y_raw, void* o_raw) {
  const T* x = static_cast<const T*>(x_raw);
  const T* y = static_cast<const T*>(y_raw);
  T* o = static_cast<T*>(o_raw);
  const int64_t sc = p.inner_moves(0) ? 1 : 0, sx = p.inner_moves(1) ? 1 : 0, sy = p.inner_moves(2) ? 1 : 0;
  const bool all_move = sc && sx && sy;
  for_each_run(p, [&](const Offsets& off, int64_t pos, int64_t n) {
    const uint8_t* pc = c + off[0];
    const T* px = x + off[1];
    const T* py = y + off[2];
    T* po = o + pos;
    // A mask blend instead of ?: so the loop has no control flow and vectorises (bool is 0 or 1).
    if (all_move) {
      for (int64_t i = 0; i < n; ++i) po[i] = py[i] ^ ((px[i] ^ py[i]) & static_cast<T>(-static_cast<T>(pc[i])));
    } else {
      for (int64_t i = 0; i < n; ++i) {
        const T x = px[i * sx], y = py[i * sy];
        po[i] = y ^ ((x ^ y) & static_cast<T>(-static_cast<T>(pc[i * sc])));
      }
    }
  });
}

class WhereKernel final : public Kernel {
 public:
  Status prepare(const OpContext& ctx) override {
    switch (dtype_size(ctx.in(1).dtype)) {
      case 1: fn_ = &where_loop<uint8_t>; break;
      case 2: fn_ = &where_loop<uint16_t>; break;
      case 4: fn_ = &where_loop<uint32_t>; break;
      case 8: fn_ = &where_loop<uint64_t>; break;
      default: return unsupported_dtype(ctx, 1, ctx.in(1).dtype);
    }
    std::vector<Shape> shapes = {ctx.in(0).shape, ctx.in(1).shape, ctx.in(2).shape};
    TANDEM_ASSIGN_OR_RETURN(plan_, BroadcastPlan::make(shapes, ctx.out(0).shape));
    return Status::ok();
  }
  Status run(std::span<const Tensor> in, std::span<Tensor> out) override {
    fn_(plan_, in[0].data<uint8_t>(), in[1].raw(), in[2].raw(), out[0].raw());  // bool storage: 0 or 1
    return Status::ok();
  }

 private:
  BroadcastPlan plan_;
  void (*fn_)(const BroadcastPlan&, const uint8_t*, const void*, const void*, void*) = nullptr;
};

}  // namespace

void register_elementwise_compare_ops(OpRegistry& r) {
  r.add(make_binary_schema<kAllTypes, EqualOp>("Equal"));
  r.add(make_binary_schema<kNumeric, LessOp>("Less"));
  r.add(make_binary_schema<kNumeric, GreaterOp>("Greater"));
  r.add(make_binary_schema<kNumeric, LessOrEqualOp>("LessOrEqual"));
  r.add(make_binary_schema<kNumeric, GreaterOrEqualOp>("GreaterOrEqual"));
  r.add(make_binary_schema<kBoolT, AndOp>("And"));
  r.add(make_binary_schema<kBoolT, OrOp>("Or"));
  r.add(make_binary_schema<kBoolT, XorOp>("Xor"));
  r.add(make_unary_schema<kBoolT, NotOp>("Not"));

  OpSchema where;
  where.op_type = "Where";
  where.infer = &infer_where;
  where.create = []() -> std::unique_ptr<Kernel> { return std::make_unique<WhereKernel>(); };
  r.add(std::move(where));
}

}  // namespace tandem
