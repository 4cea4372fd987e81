// Transpose: a strided copy whose source strides are the input's, permuted. StridedCopy collapses the
// permutation, so NCHW<->NHWC and 2-D transposes become tiled swaps of the last two dimensions and
// [B,N,H,D]->[B,H,N,D] becomes one memcpy of D elements per row.
#include "ops/broadcast.h"
#include "ops/shape_ops.h"
#include "ops/tensor_copy.h"

namespace tandem {
namespace {

// The permutation: attribute 'perm', or reversed axes when absent.
Result<std::vector<int64_t>> transpose_perm(const OpContext& ctx) {
  auto rank = static_cast<int64_t>(ctx.in(0).shape.size());
  std::vector<int64_t> perm = ctx.attrs().get_ints("perm");
  if (!ctx.attrs().has("perm")) {
    for (int64_t i = rank - 1; i >= 0; --i) perm.push_back(i);
    return perm;
  }
  TANDEM_CHECK_OR_RETURN(static_cast<int64_t>(perm.size()) == rank, kInvalidArgument,
                         "attribute 'perm' %s does not match input rank %lld", shape_to_string(perm).c_str(),
                         static_cast<long long>(rank));
  std::vector<bool> seen(static_cast<size_t>(rank), false);
  for (int64_t& p : perm) {
    TANDEM_ASSIGN_OR_RETURN(p, normalize_axis(p, rank));
    TANDEM_CHECK_OR_RETURN(!seen[static_cast<size_t>(p)], kInvalidArgument, "attribute 'perm' %s is not a permutation",
                           shape_to_string(ctx.attrs().get_ints("perm")).c_str());
    seen[static_cast<size_t>(p)] = true;
  }
  return perm;
}

Status infer_transpose(OpContext& ctx) {
  TANDEM_RETURN_IF_ERROR(check_fixed_size(ctx.in(0).dtype, "input 'data'"));
  TANDEM_ASSIGN_OR_RETURN(std::vector<int64_t> perm, transpose_perm(ctx));
  const Shape& in = ctx.in(0).shape;
  Shape out;
  for (int64_t p : perm) out.push_back(in[static_cast<size_t>(p)]);
  ctx.set_output(0, ctx.in(0).dtype, out);
  return Status::ok();
}

class TransposeKernel : public StridedCopyKernel {
 public:
  Status prepare(const OpContext& ctx) override {
    TANDEM_ASSIGN_OR_RETURN(std::vector<int64_t> perm, transpose_perm(ctx));
    std::vector<int64_t> in_strides = contiguous_strides(ctx.in(0).shape);
    std::vector<int64_t> strides;
    for (int64_t p : perm) strides.push_back(in_strides[static_cast<size_t>(p)]);
    return copy_.plan(ctx.out(0).shape, strides, 0, dtype_size(ctx.in(0).dtype));
  }
};

}  // namespace

void register_transpose_ops(OpRegistry& r) {
  r.add(onnx_schema("Transpose", infer_transpose, make_kernel<TransposeKernel>));
}

}  // namespace tandem
