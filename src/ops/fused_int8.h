// Shared by the int8 fused ops' reference kernels and the backends' int8 kernels.
#pragma once

#include "ops/op_registry.h"

namespace tandem {

// Input positions of FusedConvInt8 / FusedMatMulInt8. Y_scale (FusedConvInt8 only, optional): the result is
// requantised to int8 at that scale (quantize_s8 of core/dtype.h) instead of staying float.
enum Int8Operand {
  kInt8X = 0,
  kInt8XScale = 1,
  kInt8W = 2,
  kInt8WScale = 3,
  kInt8Bias = 4,
  kInt8Residual = 5,
  kInt8YScale = 6
};

// The float op's view of an int8 node (FusedConv / FusedMatMul inputs: X, W, bias?, Z?), X and W typed
// float32, W's constant `w_float` (may be null): geometry and shape rules then come from the float ops.
OpContext int8_as_float_context(const OpContext& ctx, const Tensor* w_float);

// W_q * W_scale as float32, the scale running along W's first axis (conv weights) or its last (a matmul's B).
Tensor dequantize_weights(const Tensor& wq, const Tensor& scale, bool last_axis);

}  // namespace tandem
