// Ops that only reinterpret data or report shapes: Shape, Size, Reshape, Flatten, Squeeze, Unsqueeze,
// Identity, Dropout (inference). The generators (Constant, Range, Expand...) live in shape_generators.cpp.
#include <algorithm>

#include "core/checked_size.h"
#include "ops/broadcast.h"
#include "ops/shape_ops.h"

namespace tandem {
namespace {

// Output 0 is input 0's bytes under another shape: the planner may give both one buffer, in which case
// there is nothing to do at all.
class AliasKernel : public Kernel {
 public:
  Status run(std::span<const Tensor> in, std::span<Tensor> out) override {
    copy_unless_aliased(in[0], out[0]);
    return Status::ok();
  }
  bool output_aliases_input() const override { return true; }
};

// ---- Shape, Size: the values come from the (build-time) input shape; prepare() computes them.

Status infer_shape(OpContext& ctx) {
  const Shape& s = ctx.in(0).shape;
  auto rank = static_cast<int64_t>(s.size());
  int64_t start = ctx.attrs().get_int("start", 0);
  int64_t end = ctx.attrs().get_int("end", rank);
  // Opset 15 slices the shape, clamping out-of-range ends as Python slicing does.
  if (start < 0) start += rank;
  if (end < 0) end += rank;
  start = std::clamp<int64_t>(start, 0, rank);
  end = std::clamp<int64_t>(end, 0, rank);
  ctx.set_output(0, DType::kInt64, {std::max<int64_t>(end - start, 0)});
  return Status::ok();
}

class ShapeKernel : public Kernel {
 public:
  Status prepare(const OpContext& ctx) override {
    const Shape& s = ctx.in(0).shape;
    auto rank = static_cast<int64_t>(s.size());
    start_ = ctx.attrs().get_int("start", 0);
    if (start_ < 0) start_ += rank;
    start_ = std::clamp<int64_t>(start_, 0, rank);
    dims_ = s;
    return Status::ok();
  }
  Status run(std::span<const Tensor> in, std::span<Tensor> out) override {
    (void)in;
    for (int64_t i = 0; i < out[0].numel(); ++i) out[0].data<int64_t>()[i] = dims_[static_cast<size_t>(start_ + i)];
    return Status::ok();
  }

 private:
  Shape dims_;
  int64_t start_ = 0;
};

Status infer_size(OpContext& ctx) {
  ctx.set_output(0, DType::kInt64, {});
  return Status::ok();
}

class SizeKernel : public Kernel {
 public:
  Status prepare(const OpContext& ctx) override {
    numel_ = shape_numel(ctx.in(0).shape);
    return Status::ok();
  }
  Status run(std::span<const Tensor> in, std::span<Tensor> out) override {
    (void)in;
    *out[0].data<int64_t>() = numel_;
    return Status::ok();
  }

 private:
  int64_t numel_ = 0;
};

// ---- Reshape

Status infer_reshape(OpContext& ctx) {
  TANDEM_RETURN_IF_ERROR(check_fixed_size(ctx.in(0).dtype, "input 'data'"));
  const Shape& in = ctx.in(0).shape;
  std::vector<int64_t> target;
  if (ctx.opset < 5) {
    target = ctx.attrs().get_ints("shape");  // opset 1 took the shape as an attribute
  } else {
    TANDEM_CHECK_OR_RETURN(ctx.has_input(1), kInvalidArgument, "Reshape needs input 'shape'");
    TANDEM_ASSIGN_OR_RETURN(target, constant_ints(ctx, 1, "shape"));
  }
  bool allowzero = ctx.attrs().get_int("allowzero", 0) != 0;
  Shape out(target.size());
  int64_t infer_at = -1;
  int64_t known = 1;
  for (size_t i = 0; i < target.size(); ++i) {
    int64_t d = target[i];
    if (d == 0 && !allowzero) {
      // 0 copies the input's dimension at the same index.
      TANDEM_CHECK_OR_RETURN(i < in.size(), kInvalidArgument, "shape %s: 0 at index %zu but the input %s has rank %zu",
                             shape_to_string(target).c_str(), i, shape_to_string(in).c_str(), in.size());
      d = in[i];
    } else if (d == -1) {
      TANDEM_CHECK_OR_RETURN(infer_at < 0, kInvalidArgument, "shape %s has more than one -1",
                             shape_to_string(target).c_str());
      infer_at = static_cast<int64_t>(i);
      continue;
    }
    TANDEM_CHECK_OR_RETURN(d >= 0, kInvalidArgument, "shape %s has invalid dimension %lld",
                           shape_to_string(target).c_str(), static_cast<long long>(target[i]));
    out[i] = d;
    // A product that overflows would wrap ([7, 5270498306774157632] is 192 elements modulo 2^64).
    TANDEM_CHECK_OR_RETURN(checked_mul(known, d, &known), kInvalidArgument, "shape %s has too many elements",
                           shape_to_string(target).c_str());
  }
  int64_t numel = shape_numel(in);
  if (infer_at >= 0) {
    TANDEM_CHECK_OR_RETURN(known != 0 && numel % known == 0, kInvalidArgument,
                           "cannot reshape %s to %s: the -1 dimension is not determined",
                           shape_to_string(in).c_str(), shape_to_string(target).c_str());
    out[static_cast<size_t>(infer_at)] = numel / known;
  }
  Result<int64_t> out_numel = checked_numel(out);
  TANDEM_CHECK_OR_RETURN(out_numel.is_ok() && *out_numel == numel, kInvalidArgument,
                         "cannot reshape %s (%lld elements) to %s",
                         shape_to_string(in).c_str(), static_cast<long long>(numel), shape_to_string(out).c_str());
  ctx.set_output(0, ctx.in(0).dtype, out);
  return Status::ok();
}

// ---- Flatten

Status infer_flatten(OpContext& ctx) {
  TANDEM_RETURN_IF_ERROR(check_fixed_size(ctx.in(0).dtype, "input 'input'"));
  const Shape& in = ctx.in(0).shape;
  auto rank = static_cast<int64_t>(in.size());
  int64_t axis = ctx.attrs().get_int("axis", 1);
  TANDEM_CHECK_OR_RETURN(axis >= -rank && axis <= rank, kInvalidArgument,
                         "attribute 'axis'=%lld is out of range for input %s", static_cast<long long>(axis),
                         shape_to_string(in).c_str());
  if (axis < 0) axis += rank;
  int64_t outer = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= in[static_cast<size_t>(i)];
  int64_t inner = 1;
  for (int64_t i = axis; i < rank; ++i) inner *= in[static_cast<size_t>(i)];
  ctx.set_output(0, ctx.in(0).dtype, {outer, inner});
  return Status::ok();
}

// ---- Squeeze, Unsqueeze: axes are an attribute before opset 13 and an input from 13.

Result<std::vector<int64_t>> squeeze_axes(const OpContext& ctx, bool* given) {
  *given = false;
  if (ctx.opset < 13) {
    *given = ctx.attrs().has("axes");
    return ctx.attrs().get_ints("axes");
  }
  if (!ctx.has_input(1)) return std::vector<int64_t>{};
  *given = true;
  return constant_ints(ctx, 1, "axes");
}

Status infer_squeeze(OpContext& ctx) {
  TANDEM_RETURN_IF_ERROR(check_fixed_size(ctx.in(0).dtype, "input 'data'"));
  const Shape& in = ctx.in(0).shape;
  bool given = false;
  TANDEM_ASSIGN_OR_RETURN(std::vector<int64_t> axes, squeeze_axes(ctx, &given));
  std::vector<bool> drop(in.size(), false);
  if (!given || axes.empty()) {  // empty axes squeeze every unit dimension, as onnxruntime does
    for (size_t i = 0; i < in.size(); ++i) drop[i] = in[i] == 1;
  }
  for (int64_t a : axes) {
    TANDEM_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(a, static_cast<int64_t>(in.size())));
    TANDEM_CHECK_OR_RETURN(in[static_cast<size_t>(axis)] == 1, kInvalidArgument,
                           "cannot squeeze axis %lld of %s: its size is not 1", static_cast<long long>(a),
                           shape_to_string(in).c_str());
    drop[static_cast<size_t>(axis)] = true;
  }
  Shape out;
  for (size_t i = 0; i < in.size(); ++i)
    if (!drop[i]) out.push_back(in[i]);
  ctx.set_output(0, ctx.in(0).dtype, out);
  return Status::ok();
}

Status infer_unsqueeze(OpContext& ctx) {
  TANDEM_RETURN_IF_ERROR(check_fixed_size(ctx.in(0).dtype, "input 'data'"));
  const Shape& in = ctx.in(0).shape;
  bool given = false;
  TANDEM_ASSIGN_OR_RETURN(std::vector<int64_t> axes, squeeze_axes(ctx, &given));
  TANDEM_CHECK_OR_RETURN(given, kInvalidArgument, "Unsqueeze needs 'axes'");
  auto out_rank = static_cast<int64_t>(in.size() + axes.size());
  std::vector<bool> inserted(static_cast<size_t>(out_rank), false);
  for (int64_t a : axes) {
    TANDEM_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(a, out_rank));
    TANDEM_CHECK_OR_RETURN(!inserted[static_cast<size_t>(axis)], kInvalidArgument, "axes %s repeat axis %lld",
                           shape_to_string(axes).c_str(), static_cast<long long>(a));
    inserted[static_cast<size_t>(axis)] = true;
  }
  Shape out;
  size_t next = 0;
  for (int64_t i = 0; i < out_rank; ++i) out.push_back(inserted[static_cast<size_t>(i)] ? 1 : in[next++]);
  ctx.set_output(0, ctx.in(0).dtype, out);
  return Status::ok();
}

// ---- Identity

Status infer_identity(OpContext& ctx) {
  TANDEM_RETURN_IF_ERROR(check_fixed_size(ctx.in(0).dtype, "input 'input'"));
  ctx.set_output(0, ctx.in(0).dtype, ctx.in(0).shape);
  return Status::ok();
}

// ---- Dropout: inference only. Training mode with a non-zero ratio draws random masks, which no test
// could compare and no deployed model needs.

// Training mode is fine while nothing is dropped: ratio 0, or training_mode false. `ratio` may be null
// (omitted: 0.5) and either tensor may be undefined.
Status check_not_training(const Tensor* training, const Tensor* ratio) {
  if (!training || !training->defined() || training->numel() != 1 || training->int_at(0) == 0) return Status::ok();
  double r = ratio && ratio->defined() && ratio->numel() == 1 ? ratio->float_at(0) : 0.5;
  TANDEM_CHECK_OR_RETURN(r == 0.0, kUnsupported,
                         "input 'training_mode'=true with ratio %g is not supported (random masks)", r);
  return Status::ok();
}

Status infer_dropout(OpContext& ctx) {
  TANDEM_RETURN_IF_ERROR(check_fixed_size(ctx.in(0).dtype, "input 'data'"));
  // Checked now when the inputs are constants (they nearly always are), else by run().
  if (ctx.opset >= 12 && ctx.has_input(2) && ctx.in(2).constant && (!ctx.has_input(1) || ctx.in(1).constant))
    TANDEM_RETURN_IF_ERROR(check_not_training(ctx.in(2).constant, ctx.has_input(1) ? ctx.in(1).constant : nullptr));
  ctx.set_output(0, ctx.in(0).dtype, ctx.in(0).shape);
  // The mask is bool from opset 10; before, it had the data's type.
  ctx.set_output(1, ctx.opset >= 10 ? DType::kBool : ctx.in(0).dtype, ctx.in(0).shape);
  return Status::ok();
}

class DropoutKernel : public AliasKernel {
 public:
  Status prepare(const OpContext& ctx) override {
    if (ctx.has_output(1)) {
      TANDEM_CHECK_OR_RETURN(store_scalar(ctx.out(1).dtype, 1.0, one_), kUnsupported,
                             "Dropout mask of dtype %s is not supported", dtype_name(ctx.out(1).dtype));
    }
    return Status::ok();
  }
  Status run(std::span<const Tensor> in, std::span<Tensor> out) override {
    if (in.size() > 2) TANDEM_RETURN_IF_ERROR(check_not_training(&in[2], &in[1]));
    copy_unless_aliased(in[0], out[0]);
    // Nothing is dropped at inference, so the mask keeps everything.
    if (out.size() > 1 && out[1].defined())
      fill_elements(out[1].raw(), out[1].numel(), one_, dtype_size(out[1].dtype()));
    return Status::ok();
  }

 private:
  alignas(8) uint8_t one_[8] = {};
};

}  // namespace

void register_shape_ops(OpRegistry& r) {
  r.add(onnx_schema("Shape", infer_shape, make_kernel<ShapeKernel>));
  r.add(onnx_schema("Size", infer_size, make_kernel<SizeKernel>));
  r.add(onnx_schema("Reshape", infer_reshape, make_kernel<AliasKernel>, {1}));
  r.add(onnx_schema("Flatten", infer_flatten, make_kernel<AliasKernel>));
  r.add(onnx_schema("Squeeze", infer_squeeze, make_kernel<AliasKernel>, {1}));
  r.add(onnx_schema("Unsqueeze", infer_unsqueeze, make_kernel<AliasKernel>, {1}));
  r.add(onnx_schema("Identity", infer_identity, make_kernel<AliasKernel>));
  r.add(onnx_schema("Dropout", infer_dropout, make_kernel<DropoutKernel>));
  register_shape_generator_ops(r);
}

}  // namespace tandem
