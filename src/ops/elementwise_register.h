// Registration entry points of the elementwise/activation family's files; register_elementwise_ops and
// register_activation_ops (op_registry.h) call them.
#pragma once

#include "ops/op_registry.h"

namespace tandem {

void register_elementwise_compare_ops(OpRegistry& r);  // elementwise_compare.cpp: Equal.., And.., Not, Where
void register_elementwise_unary_ops(OpRegistry& r);    // elementwise_unary.cpp: Sqrt, Exp, Abs, ...
void register_elementwise_cast_ops(OpRegistry& r);     // elementwise_cast.cpp: Cast, CastLike
void register_elementwise_pow_ops(OpRegistry& r);      // elementwise_pow.cpp: Pow

}  // namespace tandem
