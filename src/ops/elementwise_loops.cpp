// Non-template parts of the elementwise core: dtype sets, the broadcast plan and shared inference helpers.
#include "ops/elementwise_loops.h"

#include "ops/broadcast.h"

namespace tandem::elementwise {

unsigned type_bit(DType t) {
  switch (t) {
    case DType::kFloat32: return kF32;
    case DType::kFloat64: return kF64;
    case DType::kFloat16: return kF16;
    case DType::kBFloat16: return kBF16;
    case DType::kInt8: case DType::kInt16: case DType::kInt32: case DType::kInt64: return kSInt;
    case DType::kUInt8: case DType::kUInt16: case DType::kUInt32: case DType::kUInt64: return kUInt;
    case DType::kBool: return kBoolT;
    default: return 0;
  }
}

Result<BroadcastPlan> BroadcastPlan::make(std::span<const Shape> inputs, const Shape& out) {
  BroadcastPlan p;
  if (inputs.empty() || inputs.size() > static_cast<size_t>(kMaxOperands))
    return Status(Code::kInternal, format("broadcast plan over %zu inputs", inputs.size()));
  p.num_inputs = static_cast<int>(inputs.size());
  p.numel = shape_numel(out);
  // Full-rank strides, then drop size-1 output dims (nothing moves along them).
  std::vector<std::vector<int64_t>> full;
  for (const Shape& s : inputs) full.push_back(broadcast_strides(s, out));
  std::vector<int64_t> dims;
  std::vector<std::vector<int64_t>> strides(inputs.size());
  for (size_t d = 0; d < out.size(); ++d) {
    if (out[d] == 1) continue;
    // Merge into the previous kept dim when every input steps through both as one flat dim.
    bool merge = !dims.empty();
    for (size_t k = 0; merge && k < inputs.size(); ++k) merge = strides[k].back() == full[k][d] * out[d];
    if (merge) {
      dims.back() *= out[d];
      for (size_t k = 0; k < inputs.size(); ++k) strides[k].back() = full[k][d];
    } else {
      dims.push_back(out[d]);
      for (size_t k = 0; k < inputs.size(); ++k) strides[k].push_back(full[k][d]);
    }
  }
  if (dims.empty()) {  // scalar output (or all dims 1)
    dims.push_back(1);
    for (auto& s : strides) s.push_back(0);
  }
  if (dims.size() > static_cast<size_t>(kMaxDims))
    return Status(Code::kUnsupported, "broadcast of " + shape_to_string(out) + " needs more than " +
                                          std::to_string(kMaxDims) + " dims after collapsing");
  p.rank = static_cast<int>(dims.size());
  for (size_t d = 0; d < dims.size(); ++d) {
    p.dims[d] = dims[d];
    for (size_t k = 0; k < inputs.size(); ++k) p.strides[k][d] = strides[k][d];
  }
  return p;
}

const std::string& op_name(const OpContext& ctx) {
  static const std::string kUnknown = "?";
  return ctx.node ? ctx.node->op_type : kUnknown;
}

Status unsupported_dtype(const OpContext& ctx, int input, DType t) {
  return Status(Code::kUnsupported, format("input %d of %s has dtype %s, which it does not support", input,
                                           op_name(ctx).c_str(), dtype_name(t)));
}

Result<DType> common_dtype(const OpContext& ctx, int first, int last) {
  DType t = DType::kUndefined;
  int first_present = -1;
  for (int i = first; i <= last && i < ctx.num_inputs(); ++i) {
    if (!ctx.has_input(i)) continue;
    if (first_present < 0) {
      first_present = i;
      t = ctx.in(i).dtype;
    } else if (ctx.in(i).dtype != t) {
      return Status(Code::kInvalidArgument,
                    format("%s: input %d has dtype %s but input %d has dtype %s", op_name(ctx).c_str(), i,
                           dtype_name(ctx.in(i).dtype), first_present, dtype_name(t)));
    }
  }
  if (first_present < 0) return Status(Code::kInvalidArgument, op_name(ctx) + ": missing input");
  return t;
}

Result<Shape> broadcast_inputs(const OpContext& ctx, int first, int last) {
  Shape out;
  bool any = false;
  for (int i = first; i <= last && i < ctx.num_inputs(); ++i) {
    if (!ctx.has_input(i)) continue;
    if (!any) {
      out = ctx.in(i).shape;
      any = true;
      continue;
    }
    Result<Shape> b = broadcast_shapes(out, ctx.in(i).shape);
    if (!b.is_ok()) return b.status().with_context(op_name(ctx));
    out = std::move(b).value();
  }
  if (!any) return Status(Code::kInvalidArgument, op_name(ctx) + ": missing input");
  return out;
}

std::vector<Shape> input_shapes(const OpContext& ctx, int first, int last) {
  std::vector<Shape> shapes;
  for (int i = first; i <= last && i < ctx.num_inputs(); ++i)
    if (ctx.has_input(i)) shapes.push_back(ctx.in(i).shape);
  return shapes;
}

}  // namespace tandem::elementwise
