// The int8 forms of Tandem's fused ops (domain ai.tandem), which the int8 quantisation pass creates:
//   FusedConvInt8(X_q, X_scale, W_q, W_scale, B?, Z?)  = FusedConv(X_q * X_scale, W_q * W_scale[o], B, Z)
//   FusedMatMulInt8(A_q, A_scale, B_q, B_scale, bias?) = FusedMatMul(A_q * A_scale, B_q * B_scale[n], bias)
// X_q / A_q are int8 activations with one symmetric scale (TensorRT's per-tensor calibration), W_q / B_q int8
// weights with one scale per output channel; the result is float32 (dequantized), so bias, residual and
// activation apply in float exactly as in the float ops. FusedConvInt8's optional 7th input Y_scale requantises
// that float result to int8 (what a following QuantizeLinear did; fuse_requantize.cpp folds it in), so int8
// flows from one convolution to the next without a float tensor in between. The reference kernels dequantize and run the float
// reference, so the optimised int8 kernels (s32 accumulation) are checked against the same definition.
#include <algorithm>
#include <memory>

#include "ops/fused_int8.h"
#include "ops/nn_conv.h"
#include "ops/nn_matmul.h"
#include "ops/nn_register.h"
#include "ops/op_registry.h"

namespace tandem {

OpContext int8_as_float_context(const OpContext& ctx, const Tensor* w_float) {
  OpContext f = ctx;
  f.inputs.clear();
  OperandInfo x = ctx.in(0), w = ctx.in(2);
  x.dtype = DType::kFloat32;
  x.constant = nullptr;
  w.dtype = DType::kFloat32;
  w.constant = w_float;
  f.inputs.push_back(x);
  f.inputs.push_back(w);
  for (int i = kInt8Bias; i < std::min<int>(ctx.num_inputs(), kInt8YScale); ++i) f.inputs.push_back(ctx.in(i));
  while (!f.inputs.empty() && !f.inputs.back().present) f.inputs.pop_back();
  return f;
}

Tensor dequantize_weights(const Tensor& wq, const Tensor& scale, bool last_axis) {
  Tensor w = Tensor::make(DType::kFloat32, wq.shape());
  const int64_t n = scale.numel(), total = wq.numel();
  const int64_t inner = last_axis ? 1 : total / n;
  for (int64_t i = 0; i < total; ++i)
    w.data<float>()[i] = static_cast<float>(wq.data<int8_t>()[i]) * scale.data<float>()[(i / inner) % n];
  return w;
}

namespace {

Status check_int8_operands(const OpContext& ctx, int64_t channels_axis_size, const char* what) {
  TANDEM_CHECK_OR_RETURN(ctx.num_inputs() >= 4 && ctx.has_input(0) && ctx.has_input(1) && ctx.has_input(2) &&
                             ctx.has_input(3),
                         kInvalidArgument, "inputs X_q, X_scale, W_q and W_scale are required");
  TANDEM_CHECK_OR_RETURN(ctx.in(0).dtype == DType::kInt8 && ctx.in(2).dtype == DType::kInt8, kInvalidArgument,
                         "X_q and W_q must be int8, got %s and %s", dtype_name(ctx.in(0).dtype),
                         dtype_name(ctx.in(2).dtype));
  TANDEM_CHECK_OR_RETURN(ctx.in(1).dtype == DType::kFloat32 && shape_numel(ctx.in(1).shape) == 1, kInvalidArgument,
                         "X_scale must be one float32");
  TANDEM_CHECK_OR_RETURN(ctx.in(3).dtype == DType::kFloat32 && ctx.in(3).shape == Shape{channels_axis_size},
                         kInvalidArgument, "W_scale must be float32 [%lld] (one per %s)",
                         static_cast<long long>(channels_axis_size), what);
  return Status::ok();
}

Status infer_fused_conv_int8(OpContext& ctx) {
  TANDEM_CHECK_OR_RETURN(ctx.num_inputs() >= 3 && ctx.has_input(2) && !ctx.in(2).shape.empty(), kInvalidArgument,
                         "input W_q is required");
  TANDEM_RETURN_IF_ERROR(check_int8_operands(ctx, ctx.in(2).shape[0], "output channel"));
  const bool requantized = ctx.has_input(kInt8YScale);
  TANDEM_CHECK_OR_RETURN(!requantized || (ctx.in(kInt8YScale).dtype == DType::kFloat32 &&
                                          shape_numel(ctx.in(kInt8YScale).shape) == 1),
                         kInvalidArgument, "Y_scale must be one float32");
  OpContext f = int8_as_float_context(ctx, nullptr);
  const OpSchema* fused = OpRegistry::global().find(kTandemDomain, "FusedConv");
  TANDEM_RETURN_IF_ERROR(fused->infer(f));
  ctx.set_output(0, requantized ? DType::kInt8 : DType::kFloat32, f.out(0).shape);
  return Status::ok();
}

Status infer_fused_matmul_int8(OpContext& ctx) {
  TANDEM_CHECK_OR_RETURN(ctx.num_inputs() >= 3 && ctx.has_input(2) && !ctx.in(2).shape.empty(), kInvalidArgument,
                         "input B_q is required");
  TANDEM_RETURN_IF_ERROR(check_int8_operands(ctx, ctx.in(2).shape.back(), "column of B"));
  OpContext f = int8_as_float_context(ctx, nullptr);
  const OpSchema* fused = OpRegistry::global().find(kTandemDomain, "FusedMatMul");
  TANDEM_RETURN_IF_ERROR(fused->infer(f));
  ctx.set_output(0, DType::kFloat32, f.out(0).shape);
  return Status::ok();
}

// Dequantizes X (and W at build time) and runs the float op's reference kernel.
class Int8ReferenceKernel final : public Kernel {
 public:
  explicit Int8ReferenceKernel(bool conv) : conv_(conv) {}
  Status prepare(const OpContext& ctx) override {
    TANDEM_CHECK_OR_RETURN(ctx.in(2).constant && ctx.in(3).constant, kUnsupported,
                           "W_q and W_scale must be constants");
    w_ = dequantize_weights(*ctx.in(2).constant, *ctx.in(3).constant, !conv_);
    OpContext f = int8_as_float_context(ctx, &w_);
    if (conv_) inner_ = std::make_unique<ConvKernel>(true);
    else inner_ = std::make_unique<MatMulKernel>(true);
    TANDEM_RETURN_IF_ERROR(inner_->prepare(f));
    x_ = Tensor::make(DType::kFloat32, ctx.in(0).shape);
    requantized_ = conv_ && ctx.has_input(kInt8YScale);
    if (requantized_) y_ = Tensor::make(DType::kFloat32, ctx.out(0).shape);
    return Status::ok();
  }
  Status run(std::span<const Tensor> in, std::span<Tensor> out) override {
    const float s = in[1].data<float>()[0];
    for (int64_t i = 0; i < x_.numel(); ++i) x_.data<float>()[i] = static_cast<float>(in[0].data<int8_t>()[i]) * s;
    std::vector<Tensor> args{x_, w_};
    for (size_t i = kInt8Bias; i < std::min<size_t>(in.size(), kInt8YScale); ++i) args.push_back(in[i]);
    while (args.size() > 2 && !args.back().defined()) args.pop_back();
    if (!requantized_) return inner_->run(args, out);
    std::vector<Tensor> y{y_};
    TANDEM_RETURN_IF_ERROR(inner_->run(args, y));
    const float ys = in[kInt8YScale].data<float>()[0];
    for (int64_t i = 0; i < y_.numel(); ++i) out[0].data<int8_t>()[i] = quantize_s8(y_.data<float>()[i], ys);
    return Status::ok();
  }

 private:
  bool conv_;
  bool requantized_ = false;
  Tensor w_, x_, y_;
  std::unique_ptr<Kernel> inner_;
};

}  // namespace

void register_fused_int8_ops(OpRegistry& r) {
  add_op(r, kTandemDomain, "FusedConvInt8", infer_fused_conv_int8,
         [] { return std::unique_ptr<Kernel>(std::make_unique<Int8ReferenceKernel>(true)); });
  add_op(r, kTandemDomain, "FusedMatMulInt8", infer_fused_matmul_int8,
         [] { return std::unique_ptr<Kernel>(std::make_unique<Int8ReferenceKernel>(false)); });
}

}  // namespace tandem
