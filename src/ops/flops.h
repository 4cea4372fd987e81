// Floating-point operation counts per node (multiply-add = 2), for `inspect` and performance reports.
#pragma once

#include "ops/op_registry.h"

namespace tandem {

// Needs concrete shapes. Convolutions and matrix products count 2·MACs; other ops one op per output element,
// data movement (Reshape, Transpose, Concat, ...) zero.
double node_flops(const OpContext& ctx);

}  // namespace tandem
