// The geometry of a 2-D convolution node (strides, dilations, explicit pads, groups), read once from its
// attributes and inferred shapes, as every CPU convolution kernel needs it.
#pragma once

#include <cstdint>
#include <vector>

#include "ops/op_registry.h"

namespace tandem {

struct ConvGeometry {
  std::vector<int64_t> strides, dilations, pad_l, pad_r;
  int64_t group = 1;
};

// Pads as ONNX defines them, auto_pad included; the inferred output shape pins SAME's total and the right
// padding (whatever makes the output size exact, as oneDNN wants it). False on inconsistent attributes.
bool conv_geometry(const OpContext& ctx, ConvGeometry& g);

}  // namespace tandem
