// Ops that Tandem's fusion passes create (domain ai.tandem): FusedConv and FusedMatMul. Their reference kernels
// are the Conv/MatMul kernels with an epilogue, so fusing never changes what is computed.
#include <string>
#include <vector>

#include "ops/activation.h"
#include "ops/nn_conv.h"
#include "ops/nn_matmul.h"
#include "ops/nn_register.h"
#include "ops/op_registry.h"

namespace tandem {
namespace {

// Reads `activation` / `activation_params`; activations are defined on float32 only.
Status check_activation(const OpContext& ctx, DType dtype) {
  const std::string name = ctx.attrs().get_string("activation", "None");
  TANDEM_ASSIGN_OR_RETURN(Activation act, Activation::parse(name, ctx.attrs().get_floats("activation_params")));
  TANDEM_CHECK_OR_RETURN(act.kind == ActivationKind::kNone || dtype == DType::kFloat32, kUnsupported,
                         "attribute 'activation'='%s' on dtype %s is not supported", name.c_str(), dtype_name(dtype));
  return Status::ok();
}

// FusedConv(X, W, B?, Z?) = activation(Conv(X, W, B) + Z) with every Conv attribute.
Status infer_fused_conv(OpContext& ctx) {
  TANDEM_ASSIGN_OR_RETURN(ConvGeometry g, conv_geometry(ctx));
  const Shape out = g.output_shape();
  if (ctx.has_input(3)) {
    const OperandInfo& z = ctx.in(3);
    TANDEM_CHECK_OR_RETURN(z.dtype == g.dtype && z.shape == out, kInvalidArgument,
                           "residual Z %s %s must be %s %s like the output", dtype_name(z.dtype),
                           shape_to_string(z.shape).c_str(), dtype_name(g.dtype), shape_to_string(out).c_str());
  }
  TANDEM_RETURN_IF_ERROR(check_activation(ctx, g.dtype));
  ctx.set_output(0, g.dtype, out);
  return Status::ok();
}

// FusedMatMul(A, B, bias?) = activation(alpha * MatMul(A, B) + bias), bias of N values broadcast over the last
// dim, alpha (default 1) from the attribute.
Status infer_fused_matmul(OpContext& ctx) {
  TANDEM_ASSIGN_OR_RETURN(MatMulPlan p, plan_matmul(ctx));
  if (ctx.has_input(2)) {
    const OperandInfo& b = ctx.in(2);
    TANDEM_CHECK_OR_RETURN(b.dtype == p.dtype && b.shape == Shape{p.n}, kInvalidArgument,
                           "bias %s %s must be %s [%lld]", dtype_name(b.dtype), shape_to_string(b.shape).c_str(),
                           dtype_name(p.dtype), static_cast<long long>(p.n));
  }
  TANDEM_RETURN_IF_ERROR(check_activation(ctx, p.dtype));
  ctx.set_output(0, p.dtype, p.out_shape);
  return Status::ok();
}

}  // namespace

void register_fused_ops(OpRegistry& r) {
  add_op(r, kTandemDomain, "FusedConv", infer_fused_conv,
         [] { return std::unique_ptr<Kernel>(std::make_unique<ConvKernel>(true)); });
  add_op(r, kTandemDomain, "FusedMatMul", infer_fused_matmul,
         [] { return std::unique_ptr<Kernel>(std::make_unique<MatMulKernel>(true)); });
}

}  // namespace tandem
