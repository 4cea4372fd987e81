// Slice and Tile: both are a strided view of the input (Tile's repeats are zero-stride dimensions), copied
// by StridedCopy.
#include <algorithm>
#include <limits>

#include "core/checked_size.h"
#include "ops/broadcast.h"
#include "ops/shape_ops.h"
#include "ops/tensor_copy.h"

namespace tandem {
namespace {

// ---- Slice

struct SliceView {
  Shape out;
  std::vector<int64_t> starts;  // per input dimension, already clamped
  std::vector<int64_t> steps;
};

// starts/ends/axes/steps: attributes in opset 1 (no steps), inputs 1..4 from opset 10.
Result<SliceView> slice_view(const OpContext& ctx) {
  const Shape& in = ctx.in(0).shape;
  auto rank = static_cast<int64_t>(in.size());
  std::vector<int64_t> starts, ends, axes, steps;
  if (ctx.opset < 10) {
    starts = ctx.attrs().get_ints("starts");
    ends = ctx.attrs().get_ints("ends");
    axes = ctx.attrs().get_ints("axes");
  } else {
    TANDEM_CHECK_OR_RETURN(ctx.has_input(1) && ctx.has_input(2), kInvalidArgument, "Slice needs 'starts' and 'ends'");
    TANDEM_ASSIGN_OR_RETURN(starts, constant_ints(ctx, 1, "starts"));
    TANDEM_ASSIGN_OR_RETURN(ends, constant_ints(ctx, 2, "ends"));
    if (ctx.has_input(3)) {
      TANDEM_ASSIGN_OR_RETURN(axes, constant_ints(ctx, 3, "axes"));
    }
    if (ctx.has_input(4)) {
      TANDEM_ASSIGN_OR_RETURN(steps, constant_ints(ctx, 4, "steps"));
    }
  }
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
  if (steps.empty()) steps.assign(starts.size(), 1);
  TANDEM_CHECK_OR_RETURN(ends.size() == starts.size() && axes.size() == starts.size() && steps.size() == starts.size(),
                         kInvalidArgument, "Slice: starts %s, ends %s, axes %s and steps %s differ in length",
                         shape_to_string(starts).c_str(), shape_to_string(ends).c_str(), shape_to_string(axes).c_str(),
                         shape_to_string(steps).c_str());
  SliceView v;
  v.out = in;
  v.starts.assign(in.size(), 0);
  v.steps.assign(in.size(), 1);
  std::vector<bool> seen(in.size(), false);
  for (size_t i = 0; i < starts.size(); ++i) {
    TANDEM_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(axes[i], rank));
    auto a = static_cast<size_t>(axis);
    TANDEM_CHECK_OR_RETURN(!seen[a], kInvalidArgument, "Slice axes %s repeat an axis", shape_to_string(axes).c_str());
    seen[a] = true;
    int64_t dim = in[a];
    // Steps beyond the dimension behave like the dimension; this also keeps -step from overflowing.
    int64_t step = std::clamp(steps[i], -std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::max());
    TANDEM_CHECK_OR_RETURN(step != 0, kInvalidArgument, "Slice step on axis %lld is 0", static_cast<long long>(axis));
    int64_t start = starts[i] < 0 ? starts[i] + dim : starts[i];
    int64_t end = ends[i] < 0 ? ends[i] + dim : ends[i];
    int64_t len = 0;
    if (dim > 0 && step > 0) {
      start = std::clamp<int64_t>(start, 0, dim);
      end = std::clamp<int64_t>(end, 0, dim);
      len = end > start ? (end - start - 1) / step + 1 : 0;
    } else if (dim > 0) {
      start = std::clamp<int64_t>(start, 0, dim - 1);
      end = std::clamp<int64_t>(end, -1, dim - 1);
      len = start > end ? (start - end - 1) / -step + 1 : 0;
    } else {
      start = 0;
    }
    v.out[a] = len;
    v.starts[a] = start;
    v.steps[a] = len > 1 ? step : 1;  // a step never taken need not be multiplied into a stride (overflow)
  }
  return v;
}

Status infer_slice(OpContext& ctx) {
  TANDEM_RETURN_IF_ERROR(check_fixed_size(ctx.in(0).dtype, "input 'data'"));
  TANDEM_ASSIGN_OR_RETURN(SliceView v, slice_view(ctx));
  ctx.set_output(0, ctx.in(0).dtype, v.out);
  return Status::ok();
}

class SliceKernel : public StridedCopyKernel {
 public:
  Status prepare(const OpContext& ctx) override {
    TANDEM_ASSIGN_OR_RETURN(SliceView v, slice_view(ctx));
    std::vector<int64_t> in_strides = contiguous_strides(ctx.in(0).shape);
    std::vector<int64_t> strides(in_strides.size());
    int64_t offset = 0;
    for (size_t i = 0; i < in_strides.size(); ++i) {
      strides[i] = in_strides[i] * v.steps[i];
      offset += in_strides[i] * v.starts[i];
    }
    return copy_.plan(v.out, strides, offset, dtype_size(ctx.in(0).dtype));
  }
};

// ---- Tile: output dimension i is the input's repeated repeats[i] times, i.e. the view [r_i, d_i] with
// stride 0 along r_i, flattened.

Result<std::vector<int64_t>> tile_repeats(const OpContext& ctx) {
  // Tile-1 took (tiles, axis) inputs; no exporter has written it since opset 6.
  TANDEM_CHECK_OR_RETURN(ctx.opset >= 6, kUnsupported, "Tile of opset %lld is not supported",
                         static_cast<long long>(ctx.opset));
  TANDEM_ASSIGN_OR_RETURN(std::vector<int64_t> repeats, constant_ints(ctx, 1, "repeats"));
  const Shape& in = ctx.in(0).shape;
  TANDEM_CHECK_OR_RETURN(repeats.size() == in.size(), kInvalidArgument, "repeats %s do not match input %s",
                         shape_to_string(repeats).c_str(), shape_to_string(in).c_str());
  for (int64_t r : repeats)
    TANDEM_CHECK_OR_RETURN(r >= 0, kInvalidArgument, "repeats %s has a negative value", shape_to_string(repeats).c_str());
  return repeats;
}

Status infer_tile(OpContext& ctx) {
  TANDEM_RETURN_IF_ERROR(check_fixed_size(ctx.in(0).dtype, "input 'input'"));
  TANDEM_ASSIGN_OR_RETURN(std::vector<int64_t> repeats, tile_repeats(ctx));
  Shape out = ctx.in(0).shape;
  for (size_t i = 0; i < out.size(); ++i)
    TANDEM_CHECK_OR_RETURN(checked_mul(out[i], repeats[i], &out[i]), kInvalidArgument,
                           "repeats %s of input %s overflow", shape_to_string(repeats).c_str(),
                           shape_to_string(ctx.in(0).shape).c_str());
  ctx.set_output(0, ctx.in(0).dtype, out);
  return Status::ok();
}

class TileKernel : public StridedCopyKernel {
 public:
  Status prepare(const OpContext& ctx) override {
    TANDEM_ASSIGN_OR_RETURN(std::vector<int64_t> repeats, tile_repeats(ctx));
    const Shape& in = ctx.in(0).shape;
    std::vector<int64_t> in_strides = contiguous_strides(in);
    Shape view;
    std::vector<int64_t> strides;
    for (size_t i = 0; i < in.size(); ++i) {
      view.insert(view.end(), {repeats[i], in[i]});
      strides.insert(strides.end(), {0, in_strides[i]});
    }
    return copy_.plan(view, strides, 0, dtype_size(ctx.in(0).dtype));
  }
};

}  // namespace

void register_slice_ops(OpRegistry& r) {
  r.add(onnx_schema("Slice", infer_slice, make_kernel<SliceKernel>, {1, 2, 3, 4}));
  r.add(onnx_schema("Tile", infer_tile, make_kernel<TileKernel>, {1}));
}

}  // namespace tandem
