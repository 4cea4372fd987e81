// Generic unary / binary / variadic pointwise kernels and schemas, parameterised by a functor `Op` and the
// dtype set it accepts. An op is then a few lines: its functor and one make_*_schema call.
//
// Functor contract: `template <typename C> C operator()(C x) const` (unary) or `(C a, C b)` (binary), where C
// is the compute type (float for the half types); binary ops returning bool are predicates with bool output.
// Optional `Status parse(const OpContext&)` reads attributes in prepare() (and validates them in infer()).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ops/broadcast.h"
#include "ops/elementwise_loops.h"

namespace tandem::elementwise {

template <typename Op>
Status parse_op(Op& op, const OpContext& ctx) {
  if constexpr (requires { op.parse(ctx); }) return op.parse(ctx);
  else return Status::ok();
}

template <typename Op>
constexpr bool is_predicate() {
  if constexpr (requires { Op::kPredicate; }) return Op::kPredicate;
  else return false;
}

// ---- Unary --------------------------------------------------------------------------------------------

template <unsigned Set, typename Op>
Status infer_unary(OpContext& ctx) {
  TANDEM_CHECK_OR_RETURN(ctx.has_input(0), kInvalidArgument, "%s needs 1 input", op_name(ctx).c_str());
  const DType t = ctx.in(0).dtype;
  if (!type_in(t, Set)) return unsupported_dtype(ctx, 0, t);
  Op op;
  TANDEM_RETURN_IF_ERROR(parse_op(op, ctx));
  ctx.set_output(0, t, ctx.in(0).shape);
  return Status::ok();
}

template <typename T, typename Op>
void unary_entry(const Op& op, const void* in, void* out, int64_t n) {
  unary_loop<T, T>(op, static_cast<const T*>(in), static_cast<T*>(out), n);
}

template <unsigned Set, typename Op>
class UnaryKernel final : public Kernel {
 public:
  Status prepare(const OpContext& ctx) override {
    TANDEM_RETURN_IF_ERROR(parse_op(op_, ctx));
    const DType t = ctx.in(0).dtype;
    if (!dispatch<Set>(t, [&](auto tag) { fn_ = &unary_entry<decltype(tag), Op>; })) return unsupported_dtype(ctx, 0, t);
    return Status::ok();
  }
  Status run(std::span<const Tensor> in, std::span<Tensor> out) override {
    fn_(op_, in[0].raw(), out[0].raw(), out[0].numel());
    return Status::ok();
  }

 private:
  Op op_{};
  void (*fn_)(const Op&, const void*, void*, int64_t) = nullptr;
};

template <unsigned Set, typename Op>
OpSchema make_unary_schema(const char* op_type, const char* domain = "") {
  OpSchema s;
  s.domain = domain;
  s.op_type = op_type;
  s.infer = &infer_unary<Set, Op>;
  s.create = []() -> std::unique_ptr<Kernel> { return std::make_unique<UnaryKernel<Set, Op>>(); };
  return s;
}

// ---- Binary and variadic (Min, Max) --------------------------------------------------------------------

// Inputs [0, max_inputs) share one dtype from Set and broadcast together; min_inputs must be present.
template <unsigned Set, typename Op, int MinInputs = 2, int MaxInputs = 2>
Status infer_nary(OpContext& ctx) {
  TANDEM_CHECK_OR_RETURN(ctx.num_inputs() >= MinInputs && ctx.num_inputs() <= MaxInputs, kInvalidArgument,
                         "%s takes %d to %d inputs, got %d", op_name(ctx).c_str(), MinInputs, MaxInputs,
                         ctx.num_inputs());
  for (int i = 0; i < ctx.num_inputs(); ++i)
    TANDEM_CHECK_OR_RETURN(ctx.has_input(i), kInvalidArgument, "%s: input %d is missing", op_name(ctx).c_str(), i);
  TANDEM_ASSIGN_OR_RETURN(DType t, common_dtype(ctx, 0, ctx.num_inputs() - 1));
  if (!type_in(t, Set)) return unsupported_dtype(ctx, 0, t);
  Op op;
  TANDEM_RETURN_IF_ERROR(parse_op(op, ctx));
  TANDEM_ASSIGN_OR_RETURN(Shape shape, broadcast_inputs(ctx, 0, ctx.num_inputs() - 1));
  ctx.set_output(0, is_predicate<Op>() ? DType::kBool : t, std::move(shape));
  return Status::ok();
}

template <typename T, typename Op>
void binary_entry(const Op& op, const BroadcastPlan& p, const void* a, const void* b, void* o) {
  binary_loop<T>(op, p, a, b, o);
}

// Two or more inputs: out = op(in0, in1), then out = op(out, in_k) for each further input; a single input is
// copied. Folding in place keeps run() allocation-free for any input count.
template <unsigned Set, typename Op>
class NaryKernel final : public Kernel {
 public:
  Status prepare(const OpContext& ctx) override {
    TANDEM_RETURN_IF_ERROR(parse_op(op_, ctx));
    const DType t = ctx.in(0).dtype;
    if (!dispatch<Set>(t, [&](auto tag) {
          using T = decltype(tag);
          fn_ = &binary_entry<T, Op>;
          copy_ = &broadcast_copy<typename BitsOf<sizeof(T)>::type>;
        }))
      return unsupported_dtype(ctx, 0, t);
    const Shape& out = ctx.out(0).shape;
    const int n = ctx.num_inputs();
    plans_.clear();
    int next = 1;
    copy_first_ = true;
    if (n >= 2) {
      TANDEM_ASSIGN_OR_RETURN(Shape b01, broadcast_shapes(ctx.in(0).shape, ctx.in(1).shape));
      copy_first_ = b01 != out;
    }
    if (copy_first_) {
      TANDEM_RETURN_IF_ERROR(add_plan({ctx.in(0).shape}, out));
    } else {
      TANDEM_RETURN_IF_ERROR(add_plan({ctx.in(0).shape, ctx.in(1).shape}, out));
      next = 2;
    }
    for (int i = next; i < n; ++i) TANDEM_RETURN_IF_ERROR(add_plan({out, ctx.in(i).shape}, out));
    return Status::ok();
  }

  Status run(std::span<const Tensor> in, std::span<Tensor> out) override {
    void* o = out[0].raw();
    size_t step = 0;
    size_t next_input = 0;
    if (copy_first_) {
      copy_(plans_[step++], in[0].raw(), o);
      next_input = 1;
    } else {
      fn_(op_, plans_[step++], in[0].raw(), in[1].raw(), o);
      next_input = 2;
    }
    for (; step < plans_.size(); ++step, ++next_input) fn_(op_, plans_[step], o, in[next_input].raw(), o);
    return Status::ok();
  }

 private:
  Status add_plan(const std::vector<Shape>& inputs, const Shape& out) {
    TANDEM_ASSIGN_OR_RETURN(BroadcastPlan p, BroadcastPlan::make(inputs, out));
    plans_.push_back(p);
    return Status::ok();
  }

  Op op_{};
  void (*fn_)(const Op&, const BroadcastPlan&, const void*, const void*, void*) = nullptr;
  void (*copy_)(const BroadcastPlan&, const void*, void*) = nullptr;
  bool copy_first_ = false;
  std::vector<BroadcastPlan> plans_;
};

template <unsigned Set, typename Op, int MinInputs = 2, int MaxInputs = 2>
OpSchema make_nary_schema(const char* op_type, const char* domain = "") {
  OpSchema s;
  s.domain = domain;
  s.op_type = op_type;
  s.infer = &infer_nary<Set, Op, MinInputs, MaxInputs>;
  s.create = []() -> std::unique_ptr<Kernel> { return std::make_unique<NaryKernel<Set, Op>>(); };
  return s;
}

template <unsigned Set, typename Op>
OpSchema make_binary_schema(const char* op_type, const char* domain = "") {
  return make_nary_schema<Set, Op, 2, 2>(op_type, domain);
}

}  // namespace tandem::elementwise
