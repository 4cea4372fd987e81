// Cast and CastLike between every numeric dtype, bool, float16 and bfloat16.
// Float to integer saturates and maps NaN to 0 (ONNX leaves it undefined; C++ would make it UB).
#include <cstring>
#include <memory>
#include <type_traits>

#include "ops/elementwise_kernels.h"
#include "ops/elementwise_register.h"

namespace tandem {
namespace {

using namespace elementwise;

template <typename T>
constexpr bool is_half_v = std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16>;

template <typename To, typename From>
To convert(From v) {
  const auto x = Compute<From>::load(v);
  using CF = std::remove_const_t<decltype(x)>;
  if constexpr (std::is_same_v<To, bool>) return x != CF{0};
  else if constexpr (is_half_v<To>) return Compute<To>::store(static_cast<float>(x));
  else if constexpr (std::is_same_v<CF, bool>) return static_cast<To>(x ? 1 : 0);
  else return saturate_cast<To>(x);
}

template <typename From, typename To>
void cast_loop(const void* in_raw, void* out_raw, int64_t n) {
  const From* in = static_cast<const From*>(in_raw);
  To* out = static_cast<To*>(out_raw);
  const int64_t nchunks = (n + kChunk - 1) / kChunk;
#pragma omp parallel for if (n > kParallelThreshold) schedule(static)
  for (int64_t c = 0; c < nchunks; ++c) {
    const int64_t end = std::min(n, (c + 1) * kChunk);
    for (int64_t i = c * kChunk; i < end; ++i) out[i] = convert<To>(in[i]);
  }
}

// Names what a `to` code is when we cannot cast to it.
Status unsupported_target(int64_t to) {
  std::string what;
  if (to == static_cast<int64_t>(DType::kString)) what = "string";
  else if (to == 14 || to == 15) what = "complex";
  else if (to >= 17 && to <= 20) what = "float8";
  else what = "unknown";
  return Status(Code::kUnsupported, format("attribute 'to'=%lld (%s) is not supported", static_cast<long long>(to),
                                           what.c_str()));
}

// CastLike takes the target dtype from input 1; Cast from attribute 'to'.
Result<DType> target_dtype(const OpContext& ctx, bool like) {
  if (like) {
    TANDEM_CHECK_OR_RETURN(ctx.has_input(1), kInvalidArgument, "CastLike needs 2 inputs (input, target_type)");
    const DType t = ctx.in(1).dtype;
    if (!type_in(t, kAllTypes)) return unsupported_dtype(ctx, 1, t);
    return t;
  }
  const Attribute* a = ctx.attrs().find("to");
  TANDEM_CHECK_OR_RETURN(a && a->kind == Attribute::Kind::kInt, kInvalidArgument,
                         "Cast needs the int attribute 'to'");
  if (a->i < 0 || a->i > 64 || !dtype_is_valid(static_cast<int32_t>(a->i)) ||
      !type_in(static_cast<DType>(a->i), kAllTypes))
    return unsupported_target(a->i);
  return static_cast<DType>(a->i);
}

template <bool Like>
Status infer_cast(OpContext& ctx) {
  TANDEM_CHECK_OR_RETURN(ctx.has_input(0), kInvalidArgument, "%s needs an input", op_name(ctx).c_str());
  if (!type_in(ctx.in(0).dtype, kAllTypes)) return unsupported_dtype(ctx, 0, ctx.in(0).dtype);
  TANDEM_ASSIGN_OR_RETURN(DType to, target_dtype(ctx, Like));
  ctx.set_output(0, to, ctx.in(0).shape);
  return Status::ok();
}

template <bool Like>
class CastKernel final : public Kernel {
 public:
  Status prepare(const OpContext& ctx) override {
    const DType from = ctx.in(0).dtype;
    TANDEM_ASSIGN_OR_RETURN(DType to, target_dtype(ctx, Like));
    if (from == to) return Status::ok();  // fn_ stays null: a copy
    const bool from_ok = dispatch<kAllTypes>(from, [&](auto f) {
      (void)dispatch<kAllTypes>(to, [&](auto t) { fn_ = &cast_loop<decltype(f), decltype(t)>; });
    });
    if (!from_ok) return unsupported_dtype(ctx, 0, from);
    if (!fn_) return unsupported_target(static_cast<int64_t>(to));
    return Status::ok();
  }
  Status run(std::span<const Tensor> in, std::span<Tensor> out) override {
    if (fn_) fn_(in[0].raw(), out[0].raw(), out[0].numel());
    else if (out[0].raw() != in[0].raw() && out[0].nbytes() > 0) std::memcpy(out[0].raw(), in[0].raw(), out[0].nbytes());
    return Status::ok();
  }

 private:
  void (*fn_)(const void*, void*, int64_t) = nullptr;
};

template <bool Like>
OpSchema cast_schema(const char* name) {
  OpSchema s;
  s.op_type = name;
  s.infer = &infer_cast<Like>;
  s.create = []() -> std::unique_ptr<Kernel> { return std::make_unique<CastKernel<Like>>(); };
  return s;
}

}  // namespace

void register_elementwise_cast_ops(OpRegistry& r) {
  r.add(cast_schema<false>("Cast"));
  r.add(cast_schema<true>("CastLike"));
}

}  // namespace tandem
