// Tensor storage and element access.
#include "core/tensor.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "core/checked_size.h"
#include "core/memory_limit.h"

namespace tandem {

int64_t shape_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string shape_to_string(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ",";
    s += shape[i] < 0 ? "?" : std::to_string(shape[i]);
  }
  return s + "]";
}

Result<Tensor> Tensor::allocate(DType dtype, Shape shape, const std::string& what) {
  Result<size_t> nbytes = checked_nbytes(dtype, shape);
  TANDEM_RETURN_IF_ERROR_CTX(nbytes.status(), what);
  Tensor t;
  TANDEM_ASSIGN_OR_RETURN(t.storage_, allocate_counted(*nbytes, what + " " + shape_to_string(shape)));
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  t.data_ = t.storage_.get();
  return t;
}

Tensor Tensor::make(DType dtype, Shape shape) {
  Result<Tensor> t = allocate(dtype, std::move(shape));
  if (!t.is_ok()) throw OutOfMemory(t.status().message());
  return std::move(t).value();
}

Tensor Tensor::view(DType dtype, Shape shape, void* data) {
  Tensor t;
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  t.data_ = data;
  return t;
}

Tensor Tensor::reshaped(Shape shape) const {
  Tensor t = *this;
  t.shape_ = std::move(shape);
  return t;
}

Tensor Tensor::bitcast(DType dtype) const {
  Tensor t = *this;
  if (dtype_size(dtype) == dtype_size(dtype_)) t.dtype_ = dtype;
  return t;
}

Tensor Tensor::clone() const {
  Tensor t = make(dtype_, shape_);
  if (nbytes()) std::memcpy(t.data_, data_, nbytes());
  return t;
}

int64_t Tensor::int_at(int64_t i) const {
  switch (dtype_) {
    case DType::kInt64: return data<int64_t>()[i];
    case DType::kInt32: return data<int32_t>()[i];
    case DType::kInt16: return data<int16_t>()[i];
    case DType::kInt8: return data<int8_t>()[i];
    case DType::kUInt8: case DType::kBool: return data<uint8_t>()[i];
    case DType::kUInt16: return data<uint16_t>()[i];
    case DType::kUInt32: return data<uint32_t>()[i];
    case DType::kUInt64: return static_cast<int64_t>(data<uint64_t>()[i]);
    default: return static_cast<int64_t>(float_at(i));
  }
}

double Tensor::float_at(int64_t i) const {
  switch (dtype_) {
    case DType::kFloat32: return data<float>()[i];
    case DType::kFloat64: return data<double>()[i];
    case DType::kFloat16: return half_to_float(data<uint16_t>()[i]);
    case DType::kBFloat16: return bfloat16_to_float(data<uint16_t>()[i]);
    default: return static_cast<double>(int_at(i));
  }
}

std::vector<int64_t> Tensor::to_int_vector() const {
  std::vector<int64_t> v(static_cast<size_t>(numel()));
  for (int64_t i = 0; i < numel(); ++i) v[static_cast<size_t>(i)] = int_at(i);
  return v;
}

}  // namespace tandem
