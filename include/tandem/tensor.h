// A dense, row-major tensor: dtype + concrete shape + a view on (possibly shared) 64-byte aligned storage. Copies
// share storage (clone() copies the elements); view() wraps memory the caller keeps alive, without copying.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tandem/dtype.h"
#include "tandem/status.h"

namespace tandem {

using Shape = std::vector<int64_t>;

int64_t shape_numel(const Shape& shape);
std::string shape_to_string(const Shape& shape);  // "[1,3,256,512]"

// A model input or output: name, element type and shape. In a model's declaration a dimension may be -1 (open;
// dim_names holds its symbolic name when the model gives one, else ""); in a prepared engine every one is known.
struct TensorInfo {
  std::string name;
  DType dtype = DType::kUndefined;
  Shape shape;
  std::vector<std::string> dim_names;
};

class Tensor {
 public:
  Tensor() = default;

  // Owning, zero-initialised storage, or an error: a shape whose size overflows, passes the memory limit
  // (set_memory_limit) or cannot be allocated. `what` names the tensor in the message.
  static Result<Tensor> allocate(DType dtype, Shape shape, const std::string& what = "a tensor");
  // The same where the shape is already bounded (scalars, per-channel scales, outputs of shapes that inference
  // checked): a failure is exhaustion, not bad input, and throws (std::bad_alloc) rather than return storage that
  // is not there.
  static Tensor make(DType dtype, Shape shape);
  // Non-owning view over memory someone else keeps alive (arena slots, user buffers).
  static Tensor view(DType dtype, Shape shape, void* data);
  template <typename T>
  static Tensor from_vector(Shape shape, const std::vector<T>& values);
  template <typename T>
  static Tensor scalar(T value) { return from_vector<T>({}, {value}); }

  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int64_t rank() const { return static_cast<int64_t>(shape_.size()); }
  int64_t dim(int64_t i) const { return shape_[static_cast<size_t>(i < 0 ? i + rank() : i)]; }
  int64_t numel() const { return shape_numel(shape_); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype_); }
  bool defined() const { return dtype_ != DType::kUndefined; }

  void* raw() { return data_; }
  const void* raw() const { return data_; }
  template <typename T> T* data() { return static_cast<T*>(data_); }
  template <typename T> const T* data() const { return static_cast<const T*>(data_); }

  // Points a non-owning view at other memory of the same layout, without allocating: how an engine binds a
  // caller's buffer in place of its own. Not for owning tensors (their storage would be left behind).
  void rebind(void* data) { data_ = data; }
  // Same storage, new shape of equal element count (Reshape/Flatten/Squeeze are free).
  Tensor reshaped(Shape shape) const;
  // Same storage read as another element type of the same width (e.g. uint16 bit patterns as bfloat16).
  Tensor bitcast(DType dtype) const;
  // Deep copy into new owning storage.
  Tensor clone() const;
  // Reads element i of an integer tensor as int64 (shape tensors may be int32 or int64).
  int64_t int_at(int64_t i) const;
  // Reads element i of a float/int tensor as double (for attribute-like inputs: scales, clip bounds).
  double float_at(int64_t i) const;
  std::vector<int64_t> to_int_vector() const;

 private:
  DType dtype_ = DType::kUndefined;
  Shape shape_;
  std::shared_ptr<void> storage_;
  void* data_ = nullptr;
};

template <typename T>
Tensor Tensor::from_vector(Shape shape, const std::vector<T>& values) {
  Tensor t = make(DTypeOf<T>::value, std::move(shape));
  for (size_t i = 0; i < values.size() && static_cast<int64_t>(i) < t.numel(); ++i) t.data<T>()[i] = values[i];
  return t;
}

}  // namespace tandem
