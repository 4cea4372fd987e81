// QuantizeLinear and DequantizeLinear (opsets 10 and 13): per-tensor or per-axis scale and zero point, int8 or
// uint8 (and int32 for DequantizeLinear). Quantization rounds half to even and saturates, as ONNX specifies
// and TensorRT does; NaN maps to the zero point (ONNX leaves it undefined).
#include <cmath>
#include <limits>

#include "ops/op_registry.h"

namespace tandem {
namespace {

// Where per-axis parameters vary: scale of shape [] / [1] is per tensor; a 1-D scale of length n runs along
// `axis` (opset 13, default 1).
struct QuantAxis {
  int64_t axis = -1;   // -1: per tensor
  int64_t outer = 1, count = 1, inner = 1;
};

Result<QuantAxis> quant_axis(const OpContext& ctx, const Shape& x) {
  const Shape& s = ctx.in(1).shape;
  QuantAxis q;
  const int64_t n = shape_numel(s);
  if (s.empty() || n == 1) {
    q.inner = shape_numel(x);
    return q;
  }
  TANDEM_CHECK_OR_RETURN(s.size() == 1 && ctx.opset >= 13, kInvalidArgument,
                         "scale %s must be a scalar (or 1-D per axis from opset 13)", shape_to_string(s).c_str());
  int64_t axis = ctx.attrs().get_int("axis", 1);
  const int64_t rank = static_cast<int64_t>(x.size());
  if (axis < 0) axis += rank;
  TANDEM_CHECK_OR_RETURN(axis >= 0 && axis < rank, kInvalidArgument, "attribute 'axis'=%lld is out of range for rank %lld",
                         static_cast<long long>(ctx.attrs().get_int("axis", 1)), static_cast<long long>(rank));
  TANDEM_CHECK_OR_RETURN(x[static_cast<size_t>(axis)] == n, kInvalidArgument,
                         "scale has %lld values but axis %lld of X has %lld", static_cast<long long>(n),
                         static_cast<long long>(axis), static_cast<long long>(x[static_cast<size_t>(axis)]));
  q.axis = axis;
  q.count = n;
  for (int64_t d = 0; d < axis; ++d) q.outer *= x[static_cast<size_t>(d)];
  for (int64_t d = axis + 1; d < rank; ++d) q.inner *= x[static_cast<size_t>(d)];
  return q;
}

Status check_zero_point(const OpContext& ctx, DType quantized) {
  if (!ctx.has_input(2)) return Status::ok();
  TANDEM_CHECK_OR_RETURN(ctx.in(2).dtype == quantized, kInvalidArgument, "zero point dtype %s differs from %s",
                         dtype_name(ctx.in(2).dtype), dtype_name(quantized));
  TANDEM_CHECK_OR_RETURN(shape_numel(ctx.in(2).shape) == shape_numel(ctx.in(1).shape), kInvalidArgument,
                         "zero point %s and scale %s must have as many values", shape_to_string(ctx.in(2).shape).c_str(),
                         shape_to_string(ctx.in(1).shape).c_str());
  return Status::ok();
}

Status infer_quantize(OpContext& ctx) {
  TANDEM_CHECK_OR_RETURN(ctx.num_inputs() >= 2 && ctx.has_input(0) && ctx.has_input(1), kInvalidArgument,
                         "inputs X and y_scale are required");
  TANDEM_CHECK_OR_RETURN(ctx.in(0).dtype == DType::kFloat32, kUnsupported, "X dtype %s is not supported (float32)",
                         dtype_name(ctx.in(0).dtype));
  const DType out = ctx.has_input(2) ? ctx.in(2).dtype : DType::kUInt8;
  TANDEM_CHECK_OR_RETURN(out == DType::kUInt8 || out == DType::kInt8, kUnsupported,
                         "output dtype %s is not supported (uint8, int8)", dtype_name(out));
  TANDEM_RETURN_IF_ERROR(check_zero_point(ctx, out));
  TANDEM_RETURN_IF_ERROR(quant_axis(ctx, ctx.in(0).shape).status());
  ctx.set_output(0, out, ctx.in(0).shape);
  return Status::ok();
}

Status infer_dequantize(OpContext& ctx) {
  TANDEM_CHECK_OR_RETURN(ctx.num_inputs() >= 2 && ctx.has_input(0) && ctx.has_input(1), kInvalidArgument,
                         "inputs X and x_scale are required");
  const DType in = ctx.in(0).dtype;
  TANDEM_CHECK_OR_RETURN(in == DType::kUInt8 || in == DType::kInt8 || in == DType::kInt32, kUnsupported,
                         "X dtype %s is not supported (uint8, int8, int32)", dtype_name(in));
  TANDEM_RETURN_IF_ERROR(check_zero_point(ctx, in));
  TANDEM_RETURN_IF_ERROR(quant_axis(ctx, ctx.in(0).shape).status());
  ctx.set_output(0, DType::kFloat32, ctx.in(0).shape);
  return Status::ok();
}

int64_t zero_point_at(const Tensor* zp, int64_t i) { return zp && zp->defined() ? zp->int_at(i) : 0; }

template <typename Q>
void quantize_typed(const float* x, Q* y, const Tensor& scale, const Tensor* zp, const QuantAxis& a) {
  constexpr float lo = std::numeric_limits<Q>::lowest(), hi = std::numeric_limits<Q>::max();
  for (int64_t o = 0; o < a.outer; ++o)
    for (int64_t c = 0; c < a.count; ++c) {
      const float s = scale.data<float>()[c];
      const float z = static_cast<float>(zero_point_at(zp, c));
      const int64_t base = (o * a.count + c) * a.inner;
      for (int64_t i = 0; i < a.inner; ++i) {
        float v = x[base + i] / s;
        v = std::isnan(v) ? 0.0f : std::nearbyint(v) + z;  // nearbyint: the default mode rounds half to even
        y[base + i] = static_cast<Q>(v < lo ? lo : (v > hi ? hi : v));
      }
    }
}

template <typename Q>
void dequantize_typed(const Q* x, float* y, const Tensor& scale, const Tensor* zp, const QuantAxis& a) {
  for (int64_t o = 0; o < a.outer; ++o)
    for (int64_t c = 0; c < a.count; ++c) {
      const float s = scale.data<float>()[c];
      const int64_t z = zero_point_at(zp, c);
      const int64_t base = (o * a.count + c) * a.inner;
      for (int64_t i = 0; i < a.inner; ++i) y[base + i] = static_cast<float>(static_cast<int64_t>(x[base + i]) - z) * s;
    }
}

class QuantizeKernel final : public Kernel {
 public:
  explicit QuantizeKernel(bool dequantize) : dequantize_(dequantize) {}
  Status prepare(const OpContext& ctx) override {
    TANDEM_ASSIGN_OR_RETURN(axis_, quant_axis(ctx, ctx.in(0).shape));
    TANDEM_CHECK_OR_RETURN(ctx.in(1).dtype == DType::kFloat32, kUnsupported, "scale dtype %s is not supported (float32)",
                           dtype_name(ctx.in(1).dtype));
    return Status::ok();
  }
  Status run(std::span<const Tensor> in, std::span<Tensor> out) override {
    const Tensor* zp = in.size() > 2 && in[2].defined() ? &in[2] : nullptr;
    if (!dequantize_) {
      if (out[0].dtype() == DType::kInt8) quantize_typed(in[0].data<float>(), out[0].data<int8_t>(), in[1], zp, axis_);
      else quantize_typed(in[0].data<float>(), out[0].data<uint8_t>(), in[1], zp, axis_);
      return Status::ok();
    }
    switch (in[0].dtype()) {
      case DType::kInt8: dequantize_typed(in[0].data<int8_t>(), out[0].data<float>(), in[1], zp, axis_); break;
      case DType::kUInt8: dequantize_typed(in[0].data<uint8_t>(), out[0].data<float>(), in[1], zp, axis_); break;
      default: dequantize_typed(in[0].data<int32_t>(), out[0].data<float>(), in[1], zp, axis_); break;
    }
    return Status::ok();
  }

 private:
  bool dequantize_;
  QuantAxis axis_;
};

}  // namespace

void register_quantize_ops(OpRegistry& r) {
  OpSchema q;
  q.op_type = "QuantizeLinear";
  q.infer = infer_quantize;
  q.create = [] { return std::unique_ptr<Kernel>(std::make_unique<QuantizeKernel>(false)); };
  r.add(q);
  OpSchema d;
  d.op_type = "DequantizeLinear";
  d.infer = infer_dequantize;
  d.create = [] { return std::unique_ptr<Kernel>(std::make_unique<QuantizeKernel>(true)); };
  r.add(d);
}

}  // namespace tandem
