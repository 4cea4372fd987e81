// The nn family's internal registration: one function per file, all called by register_nn_ops.
#pragma once

#include <utility>

#include "ops/op_registry.h"

namespace tandem {

void register_conv_ops(OpRegistry& r);            // nn_conv.cpp: Conv
void register_conv_transpose_ops(OpRegistry& r);  // nn_conv_transpose.cpp: ConvTranspose
void register_matmul_ops(OpRegistry& r);          // nn_matmul.cpp: MatMul, Gemm
void register_pool_ops(OpRegistry& r);            // nn_pool.cpp: AveragePool, MaxPool, GlobalAveragePool, GlobalMaxPool

// Adds a plain schema (no shape inputs, foldable) for `op_type` in `domain`.
inline void add_op(OpRegistry& r, const char* domain, const char* op_type, InferFn infer, KernelFactory create) {
  OpSchema s;
  s.domain = domain;
  s.op_type = op_type;
  s.infer = infer;
  s.create = create;
  r.add(std::move(s));
}

}  // namespace tandem
