// Internal to the shape_*.cpp and tensor_*.cpp op files: their sub-registries and the readers they share.
#pragma once

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "ops/op_registry.h"

namespace tandem {

// Sub-registries: register_shape_ops() and register_tensor_ops() call these.
void register_shape_generator_ops(OpRegistry& r);  // Constant, ConstantOfShape, Range, Expand
void register_transpose_ops(OpRegistry& r);        // Transpose
void register_slice_ops(OpRegistry& r);            // Slice, Tile
void register_pad_ops(OpRegistry& r);              // Pad
void register_gather_ops(OpRegistry& r);           // Gather, GatherElements, GatherND, ScatterND
void register_trilu_ops(OpRegistry& r);            // Trilu

template <typename K>
std::unique_ptr<Kernel> make_kernel() {
  return std::make_unique<K>();
}

// An ai.onnx schema; a function rather than designated initializers so that omitted fields stay silent.
inline OpSchema onnx_schema(std::string op_type, InferFn infer, KernelFactory create,
                            std::vector<int> shape_inputs = {}) {
  OpSchema s;
  s.op_type = std::move(op_type);
  s.infer = infer;
  s.create = create;
  s.shape_inputs = std::move(shape_inputs);
  return s;
}

// These ops move bytes without looking at them, so any dtype with a fixed element size is fine; strings
// (size 0) are not: Tandem keeps no variable-length storage.
inline Status check_fixed_size(DType t, const char* what) {
  if (dtype_size(t) == 0)
    return Status(Code::kUnsupported, format("%s has dtype %s, which is not supported", what, dtype_name(t)));
  return Status::ok();
}

// The integer values of input `i` (a shape input, so its value is known at build time).
inline Result<std::vector<int64_t>> constant_ints(const OpContext& ctx, int i, const char* name) {
  const Tensor* t = ctx.in(i).constant;
  if (!t) return Status(Code::kUnsupported, format("input '%s' must be constant", name));
  if (dtype_is_float(t->dtype()) || dtype_size(t->dtype()) == 0)
    return Status(Code::kInvalidArgument,
                  format("input '%s' must be an integer tensor, got %s", name, dtype_name(t->dtype())));
  return t->to_int_vector();
}

// Ops whose output may share the input's buffer copy only when the planner did not make them share it.
inline void copy_unless_aliased(const Tensor& in, Tensor& out) {
  if (out.raw() != in.raw() && in.nbytes() != 0) std::memcpy(out.raw(), in.raw(), in.nbytes());
}

// Writes `v` converted to `t` into the one element at `dst`; false for dtypes without a numeric meaning.
bool store_scalar(DType t, double v, void* dst);

// Fills `count` elements of `elem_size` bytes at `dst` with copies of the element at `value`.
void fill_elements(void* dst, int64_t count, const void* value, size_t elem_size);

}  // namespace tandem
