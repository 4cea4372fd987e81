// Overflow-checked element counts and byte sizes: the one way to size a tensor whose shape came from outside
// (a model, an engine, a tensor file, a flag), so that a shape like [2^31, 2^31] is an error, not a wrap to 0.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/dtype.h"
#include "core/status.h"
#include "core/tensor.h"

namespace tandem {

// a * b and a + b of non-negative counts; false (and *out untouched) when the result overflows int64.
[[nodiscard]] inline bool checked_mul(int64_t a, int64_t b, int64_t* out) {
  int64_t r;
  if (a < 0 || b < 0 || __builtin_mul_overflow(a, b, &r)) return false;
  *out = r;
  return true;
}
[[nodiscard]] inline bool checked_add(int64_t a, int64_t b, int64_t* out) {
  int64_t r;
  if (a < 0 || b < 0 || __builtin_add_overflow(a, b, &r)) return false;
  *out = r;
  return true;
}

// Signed dimension arithmetic (pads and crops may be negative): false on overflow.
[[nodiscard]] inline bool add_dims(int64_t a, int64_t b, int64_t* out) { return !__builtin_add_overflow(a, b, out); }
[[nodiscard]] inline bool mul_dims(int64_t a, int64_t b, int64_t* out) { return !__builtin_mul_overflow(a, b, out); }

// The element count of a concrete shape; an error for a negative dimension or a product over int64's range.
Result<int64_t> checked_numel(const Shape& shape);
// The bytes a tensor of `dtype` and `shape` holds; an error when they overflow, when the type has no fixed
// width (strings) or when they exceed the memory limit (core/memory_limit.h), so that whatever this accepts
// can be allocated without further checks.
Result<size_t> checked_nbytes(DType dtype, const Shape& shape);

}  // namespace tandem
