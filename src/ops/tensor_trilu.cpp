// Trilu: keeps the upper (or lower) triangle of the last two axes, offset by diagonal k, and zeroes the rest.
// Zero is all-zero bytes in every dtype, so the kernel never looks at element types beyond their width.
#include <algorithm>

#include "ops/shape_ops.h"

namespace tandem {
namespace {

constexpr int64_t kParallelMin = 1 << 15;

Status infer_trilu(OpContext& ctx) {
  TANDEM_RETURN_IF_ERROR(check_fixed_size(ctx.in(0).dtype, "input 'input'"));
  TANDEM_CHECK_OR_RETURN(ctx.in(0).shape.size() >= 2, kInvalidArgument, "Trilu needs rank >= 2, got %s",
                         shape_to_string(ctx.in(0).shape).c_str());
  if (ctx.has_input(1))
    TANDEM_CHECK_OR_RETURN(ctx.in(1).dtype == DType::kInt64 && shape_numel(ctx.in(1).shape) == 1, kInvalidArgument,
                           "input 'k' must be an int64 scalar");
  ctx.set_output(0, ctx.in(0).dtype, ctx.in(0).shape);
  return Status::ok();
}

class TriluKernel : public Kernel {
 public:
  Status prepare(const OpContext& ctx) override {
    upper_ = ctx.attrs().get_int("upper", 1) != 0;
    const Shape& s = ctx.in(0).shape;
    rows_ = s[s.size() - 2];
    cols_ = s[s.size() - 1];
    esize_ = static_cast<int64_t>(dtype_size(ctx.in(0).dtype));
    return Status::ok();
  }
  Status run(std::span<const Tensor> in, std::span<Tensor> out) override {
    int64_t k = in.size() > 1 && in[1].defined() ? in[1].data<int64_t>()[0] : 0;
    // Clamped so that j - i comparisons below cannot overflow.
    k = std::clamp<int64_t>(k, -rows_ - 1, cols_ + 1);
    const auto* src = static_cast<const uint8_t*>(in[0].raw());
    auto* dst = static_cast<uint8_t*>(out[0].raw());
    const int64_t total_rows = rows_ == 0 || cols_ == 0 ? 0 : in[0].numel() / cols_;
#pragma omp parallel for if (in[0].numel() > kParallelMin) schedule(static)
    for (int64_t r = 0; r < total_rows; ++r) {
      int64_t i = r % rows_;
      // Row i keeps columns j with j - i >= k (upper) or j - i <= k (lower): one kept run, one zeroed run.
      int64_t split = std::clamp<int64_t>(upper_ ? i + k : i + k + 1, 0, cols_);
      int64_t keep_from = upper_ ? split : 0, keep_to = upper_ ? cols_ : split;
      uint8_t* d = dst + r * cols_ * esize_;
      const uint8_t* s = src + r * cols_ * esize_;
      keep_to = std::max(keep_to, keep_from);
      std::memset(d, 0, static_cast<size_t>(keep_from * esize_));
      std::memcpy(d + keep_from * esize_, s + keep_from * esize_, static_cast<size_t>((keep_to - keep_from) * esize_));
      std::memset(d + keep_to * esize_, 0, static_cast<size_t>((cols_ - keep_to) * esize_));
    }
    return Status::ok();
  }

 private:
  bool upper_ = true;
  int64_t rows_ = 0, cols_ = 0, esize_ = 0;
};

}  // namespace

void register_trilu_ops(OpRegistry& r) {
  r.add(onnx_schema("Trilu", infer_trilu, make_kernel<TriluKernel>));
}

}  // namespace tandem
