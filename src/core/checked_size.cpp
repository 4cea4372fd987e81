// Overflow-checked element counts and byte sizes.
#include "core/checked_size.h"

#include "core/memory_limit.h"

namespace tandem {

Result<int64_t> checked_numel(const Shape& shape) {
  // The product of the non-zero dimensions must fit even when another dimension is 0: kernels compute strides
  // from trailing dimensions whatever the total.
  int64_t product = 1;
  bool empty = false;
  for (int64_t d : shape) {
    TANDEM_CHECK_OR_RETURN(d >= 0, kInvalidArgument, "shape %s has a negative dimension", shape_to_string(shape).c_str());
    if (d == 0) {
      empty = true;
      continue;
    }
    TANDEM_CHECK_OR_RETURN(checked_mul(product, d, &product), kInvalidArgument,
                           "shape %s has more elements than can be counted (over 2^63)",
                           shape_to_string(shape).c_str());
  }
  return empty ? int64_t{0} : product;
}

Result<size_t> checked_nbytes(DType dtype, const Shape& shape) {
  TANDEM_ASSIGN_OR_RETURN(int64_t n, checked_numel(shape));
  const size_t width = dtype_size(dtype);
  TANDEM_CHECK_OR_RETURN(width > 0, kUnsupported, "%s tensors have no fixed element size", dtype_name(dtype));
  int64_t bytes = 0;
  TANDEM_CHECK_OR_RETURN(checked_mul(n, static_cast<int64_t>(width), &bytes), kInvalidArgument,
                         "shape %s of %s is over 2^63 bytes", shape_to_string(shape).c_str(), dtype_name(dtype));
  TANDEM_RETURN_IF_ERROR(check_size_within_limit(static_cast<uint64_t>(bytes), "a tensor of shape " +
                                                                                  shape_to_string(shape) + " (" +
                                                                                  dtype_name(dtype) + ")"));
  return static_cast<size_t>(bytes);
}

}  // namespace tandem
