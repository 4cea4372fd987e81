// Internal to the reduce_*.cpp and norm_*.cpp op files: their sub-registries and the small pieces they share.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ops/op_registry.h"

namespace tandem {

// Sub-registries: register_reduce_ops() calls these.
void register_softmax_ops(OpRegistry& r);     // Softmax, LogSoftmax
void register_layer_norm_ops(OpRegistry& r);  // LayerNormalization
void register_arg_ops(OpRegistry& r);         // ArgMax, ArgMin

template <typename K>
std::unique_ptr<Kernel> make_reduce_kernel() {
  return std::make_unique<K>();
}

// An ai.onnx schema; built field by field so -Wextra does not flag the defaulted members.
inline OpSchema onnx_schema(const char* op_type, InferFn infer, KernelFactory create,
                            std::vector<int> shape_inputs = {}) {
  OpSchema s;
  s.op_type = op_type;
  s.infer = infer;
  s.create = create;
  s.shape_inputs = std::move(shape_inputs);
  return s;
}

// Normalisation kernels compute in float or double; half types would need a conversion pass we do not have.
inline Status check_float_dtype(DType t, const char* op) {
  if (t != DType::kFloat32 && t != DType::kFloat64)
    return Status(Code::kUnsupported, format("%s on dtype %s is not supported (float32, float64)", op, dtype_name(t)));
  return Status::ok();
}

// Product of dims [begin, end) of `shape`.
inline int64_t dims_product(const Shape& shape, size_t begin, size_t end) {
  int64_t p = 1;
  for (size_t i = begin; i < end && i < shape.size(); ++i) p *= shape[i];
  return p;
}

}  // namespace tandem
