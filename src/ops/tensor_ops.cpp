// Data movement ops: Concat and Split here; Transpose, Slice/Tile, Pad, the gathers and Trilu in tensor_*.cpp.
#include <algorithm>
#include <limits>

#include "core/checked_size.h"
#include "ops/broadcast.h"
#include "ops/shape_ops.h"

namespace tandem {
namespace {

constexpr int64_t kParallelMin = 1 << 15;

// Concat and Split see a tensor as [outer, axis, inner]; each part owns a run of `axis` along the middle.
struct AxisLayout {
  int64_t outer = 1;
  int64_t inner_bytes = 0;  // bytes of one step along the axis
};

AxisLayout axis_layout(const Shape& shape, int64_t axis, DType dtype) {
  AxisLayout l;
  int64_t inner = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (static_cast<int64_t>(i) < axis) l.outer *= shape[i];
    if (static_cast<int64_t>(i) > axis) inner *= shape[i];
  }
  l.inner_bytes = inner * static_cast<int64_t>(dtype_size(dtype));
  return l;
}

// Copies part k's [outer, part_len, inner] block to/from its place in the whole [outer, total_len, inner].
// One item is one (outer row, part) pair; they are independent, so threads split them freely.
void move_parts(int64_t outer, std::span<const int64_t> part_bytes, std::span<const int64_t> part_offset,
                int64_t whole_row_bytes, bool to_whole, std::span<const Tensor> parts_in, std::span<Tensor> parts_out,
                const uint8_t* whole_in, uint8_t* whole_out) {
  auto nparts = static_cast<int64_t>(part_bytes.size());
  int64_t items = outer * nparts;
  int64_t total_bytes = outer * whole_row_bytes;
#pragma omp parallel for if (total_bytes > kParallelMin * 4) schedule(static)
  for (int64_t item = 0; item < items; ++item) {
    int64_t o = item / nparts;
    auto k = static_cast<size_t>(item % nparts);
    int64_t n = part_bytes[k];
    if (n == 0) continue;
    int64_t whole_at = o * whole_row_bytes + part_offset[k];
    if (to_whole) {
      std::memcpy(whole_out + whole_at, static_cast<const uint8_t*>(parts_in[k].raw()) + o * n, static_cast<size_t>(n));
    } else if (parts_out[k].defined()) {
      std::memcpy(static_cast<uint8_t*>(parts_out[k].raw()) + o * n, whole_in + whole_at, static_cast<size_t>(n));
    }
  }
}

// ---- Concat

Status infer_concat(OpContext& ctx) {
  TANDEM_CHECK_OR_RETURN(ctx.num_inputs() >= 1 && ctx.has_input(0), kInvalidArgument, "Concat needs inputs");
  const OperandInfo& first = ctx.in(0);
  TANDEM_RETURN_IF_ERROR(check_fixed_size(first.dtype, "input 0"));
  // Opset 1 defaulted the axis to 1; from opset 4 it is required.
  int64_t axis_attr = ctx.attrs().get_int("axis", ctx.opset < 4 ? 1 : std::numeric_limits<int64_t>::min());
  TANDEM_CHECK_OR_RETURN(axis_attr != std::numeric_limits<int64_t>::min(), kInvalidArgument,
                         "Concat needs attribute 'axis'");
  auto rank = static_cast<int64_t>(first.shape.size());
  TANDEM_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(axis_attr, rank));
  Shape out = first.shape;
  out[static_cast<size_t>(axis)] = 0;
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    const OperandInfo& t = ctx.in(i);
    TANDEM_CHECK_OR_RETURN(t.present, kInvalidArgument, "Concat input %d is missing", i);
    TANDEM_CHECK_OR_RETURN(t.dtype == first.dtype, kInvalidArgument, "Concat input %d is %s, input 0 is %s", i,
                           dtype_name(t.dtype), dtype_name(first.dtype));
    bool same = t.shape.size() == first.shape.size();
    for (size_t d = 0; same && d < t.shape.size(); ++d)
      same = static_cast<int64_t>(d) == axis || t.shape[d] == first.shape[d];
    TANDEM_CHECK_OR_RETURN(same, kInvalidArgument, "Concat on axis %lld: input %d is %s, input 0 is %s",
                           static_cast<long long>(axis), i, shape_to_string(t.shape).c_str(),
                           shape_to_string(first.shape).c_str());
    int64_t& along = out[static_cast<size_t>(axis)];
    TANDEM_CHECK_OR_RETURN(checked_add(along, t.shape[static_cast<size_t>(axis)], &along), kInvalidArgument,
                           "Concat on axis %lld overflows", static_cast<long long>(axis));
  }
  ctx.set_output(0, first.dtype, out);
  return Status::ok();
}

// Shared by Concat and Split: the per-part sizes and offsets in bytes within one outer row.
class PartsKernel : public Kernel {
 protected:
  void plan(const Shape& whole, int64_t axis, DType dtype, const std::vector<int64_t>& part_lens) {
    AxisLayout l = axis_layout(whole, axis, dtype);
    outer_ = l.outer;
    row_bytes_ = whole[static_cast<size_t>(axis)] * l.inner_bytes;
    bytes_.clear();
    offsets_.clear();
    int64_t at = 0;
    for (int64_t len : part_lens) {
      bytes_.push_back(len * l.inner_bytes);
      offsets_.push_back(at);
      at += len * l.inner_bytes;
    }
  }
  int64_t outer_ = 1;
  int64_t row_bytes_ = 0;
  std::vector<int64_t> bytes_, offsets_;
};

class ConcatKernel : public PartsKernel {
 public:
  Status prepare(const OpContext& ctx) override {
    auto rank = static_cast<int64_t>(ctx.out(0).shape.size());
    TANDEM_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(ctx.attrs().get_int("axis", 1), rank));
    std::vector<int64_t> lens;
    for (const OperandInfo& t : ctx.inputs) lens.push_back(t.shape[static_cast<size_t>(axis)]);
    plan(ctx.out(0).shape, axis, ctx.out(0).dtype, lens);
    return Status::ok();
  }
  Status run(std::span<const Tensor> in, std::span<Tensor> out) override {
    move_parts(outer_, bytes_, offsets_, row_bytes_, true, in, {}, nullptr, static_cast<uint8_t*>(out[0].raw()));
    return Status::ok();
  }
};

// ---- Split: sizes come from the 'split' attribute (before opset 13) or input (13+), else equal parts.

Result<std::vector<int64_t>> split_lengths(const OpContext& ctx, int64_t dim) {
  std::vector<int64_t> lens;
  if (ctx.has_input(1)) {  // an input in opset 1 and from 13
    TANDEM_ASSIGN_OR_RETURN(lens, constant_ints(ctx, 1, "split"));
  } else if (ctx.attrs().has("split")) {
    lens = ctx.attrs().get_ints("split");
  }
  auto n = static_cast<int64_t>(ctx.num_outputs());
  if (!lens.empty()) {
    int64_t sum = 0;
    for (int64_t v : lens) {
      TANDEM_CHECK_OR_RETURN(v >= 0, kInvalidArgument, "'split' %s has a negative length", shape_to_string(lens).c_str());
      TANDEM_CHECK_OR_RETURN(checked_add(sum, v, &sum), kInvalidArgument, "'split' %s overflows",
                             shape_to_string(lens).c_str());
    }
    TANDEM_CHECK_OR_RETURN(sum == dim && static_cast<int64_t>(lens.size()) == n, kInvalidArgument,
                           "'split' %s does not cut an axis of %lld into %lld outputs", shape_to_string(lens).c_str(),
                           static_cast<long long>(dim), static_cast<long long>(n));
    return lens;
  }
  if (ctx.attrs().has("num_outputs")) {  // opset 18: ceil-sized parts, the last one smaller
    int64_t parts = ctx.attrs().get_int("num_outputs", n);
    TANDEM_CHECK_OR_RETURN(parts == n && parts > 0, kInvalidArgument, "attribute 'num_outputs'=%lld but the node has %lld outputs",
                           static_cast<long long>(parts), static_cast<long long>(n));
    int64_t each = (dim + parts - 1) / parts;
    for (int64_t i = 0; i < parts; ++i) lens.push_back(std::max<int64_t>(0, std::min(each, dim - i * each)));
    return lens;
  }
  TANDEM_CHECK_OR_RETURN(n > 0 && dim % n == 0, kInvalidArgument, "cannot split an axis of %lld into %lld equal parts",
                         static_cast<long long>(dim), static_cast<long long>(n));
  return std::vector<int64_t>(static_cast<size_t>(n), dim / n);
}

Status infer_split(OpContext& ctx) {
  TANDEM_RETURN_IF_ERROR(check_fixed_size(ctx.in(0).dtype, "input 'input'"));
  const Shape& in = ctx.in(0).shape;
  TANDEM_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(ctx.attrs().get_int("axis", 0), static_cast<int64_t>(in.size())));
  TANDEM_ASSIGN_OR_RETURN(std::vector<int64_t> lens, split_lengths(ctx, in[static_cast<size_t>(axis)]));
  for (int i = 0; i < ctx.num_outputs(); ++i) {
    Shape s = in;
    s[static_cast<size_t>(axis)] = lens[static_cast<size_t>(i)];
    ctx.set_output(i, ctx.in(0).dtype, s);
  }
  return Status::ok();
}

class SplitKernel : public PartsKernel {
 public:
  Status prepare(const OpContext& ctx) override {
    const Shape& in = ctx.in(0).shape;
    TANDEM_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(ctx.attrs().get_int("axis", 0), static_cast<int64_t>(in.size())));
    TANDEM_ASSIGN_OR_RETURN(std::vector<int64_t> lens, split_lengths(ctx, in[static_cast<size_t>(axis)]));
    plan(in, axis, ctx.in(0).dtype, lens);
    return Status::ok();
  }
  Status run(std::span<const Tensor> in, std::span<Tensor> out) override {
    move_parts(outer_, bytes_, offsets_, row_bytes_, false, {}, out, static_cast<const uint8_t*>(in[0].raw()), nullptr);
    return Status::ok();
  }
};

}  // namespace

void register_tensor_ops(OpRegistry& r) {
  r.add(onnx_schema("Concat", infer_concat, make_kernel<ConcatKernel>));
  r.add(onnx_schema("Split", infer_split, make_kernel<SplitKernel>, {1}));
  register_transpose_ops(r);
  register_slice_ops(r);
  register_pad_ops(r);
  register_gather_ops(r);
  register_trilu_ops(r);
}

}  // namespace tandem
