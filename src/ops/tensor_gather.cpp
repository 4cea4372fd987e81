// Index-driven data movement: Gather, GatherElements, GatherND and ScatterND. Indices are values read per
// run; an out-of-range index is an error of that run, never a read outside the tensor.
#include <algorithm>

#include "ops/broadcast.h"
#include "ops/shape_ops.h"
#include "ops/tensor_copy.h"

namespace tandem {
namespace {

constexpr int64_t kParallelMin = 1 << 15;

Status check_indices(const OperandInfo& t) {
  TANDEM_CHECK_OR_RETURN(t.dtype == DType::kInt64 || t.dtype == DType::kInt32, kInvalidArgument,
                         "input 'indices' must be int32 or int64, got %s", dtype_name(t.dtype));
  return Status::ok();
}

inline int64_t index_at(const Tensor& t, int64_t i) {
  return t.dtype() == DType::kInt64 ? t.data<int64_t>()[i] : t.data<int32_t>()[i];
}

// Negative indices count from the end; false if the index is outside [-n, n).
inline bool wrap_index(int64_t& i, int64_t n) {
  if (i < 0) i += n;
  return i >= 0 && i < n;
}

Status bad_index(const Tensor& indices, int64_t n) {
  return Status(Code::kInvalidArgument, format("an index in 'indices' %s is outside [-%lld, %lld)",
                                               shape_to_string(indices.shape()).c_str(), static_cast<long long>(n),
                                               static_cast<long long>(n)));
}

Status bad_tuple(const Tensor& data, const Tensor& indices) {
  return Status(Code::kInvalidArgument, format("an index tuple in 'indices' %s is outside data %s",
                                               shape_to_string(indices.shape()).c_str(),
                                               shape_to_string(data.shape()).c_str()));
}

// ---- Gather: out[outer, j, inner] = data[outer, indices[j], inner]

Status infer_gather(OpContext& ctx) {
  TANDEM_RETURN_IF_ERROR(check_fixed_size(ctx.in(0).dtype, "input 'data'"));
  TANDEM_RETURN_IF_ERROR(check_indices(ctx.in(1)));
  const Shape& data = ctx.in(0).shape;
  TANDEM_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(ctx.attrs().get_int("axis", 0), static_cast<int64_t>(data.size())));
  Shape out(data.begin(), data.begin() + axis);
  out.insert(out.end(), ctx.in(1).shape.begin(), ctx.in(1).shape.end());
  out.insert(out.end(), data.begin() + axis + 1, data.end());
  ctx.set_output(0, ctx.in(0).dtype, out);
  return Status::ok();
}

class GatherKernel : public Kernel {
 public:
  Status prepare(const OpContext& ctx) override {
    const Shape& data = ctx.in(0).shape;
    TANDEM_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(ctx.attrs().get_int("axis", 0), static_cast<int64_t>(data.size())));
    outer_ = 1;
    inner_ = 1;
    for (int64_t i = 0; i < static_cast<int64_t>(data.size()); ++i) {
      if (i < axis) outer_ *= data[static_cast<size_t>(i)];
      if (i > axis) inner_ *= data[static_cast<size_t>(i)];
    }
    axis_dim_ = data[static_cast<size_t>(axis)];
    esize_ = dtype_size(ctx.in(0).dtype);
    return Status::ok();
  }
  Status run(std::span<const Tensor> in, std::span<Tensor> out) override {
    const Tensor& idx = in[1];
    const int64_t n = idx.numel();
    const auto* src = static_cast<const uint8_t*>(in[0].raw());
    auto* dst = static_cast<uint8_t*>(out[0].raw());
    const int64_t row = inner_ * static_cast<int64_t>(esize_);
    int bad = 0;
#pragma omp parallel for if (outer_ * n * inner_ > kParallelMin) schedule(static) reduction(| : bad)
    for (int64_t item = 0; item < outer_ * n; ++item) {
      int64_t o = item / n;
      int64_t i = index_at(idx, item % n);
      if (!wrap_index(i, axis_dim_)) {
        bad = 1;
        continue;
      }
      std::memcpy(dst + item * row, src + (o * axis_dim_ + i) * row, static_cast<size_t>(row));
    }
    if (bad) return bad_index(idx, axis_dim_);
    return Status::ok();
  }

 private:
  int64_t outer_ = 1, inner_ = 1, axis_dim_ = 0;
  size_t esize_ = 0;
};

// ---- GatherElements: out[c] = data[c with c[axis] = indices[c]]

Status infer_gather_elements(OpContext& ctx) {
  TANDEM_RETURN_IF_ERROR(check_fixed_size(ctx.in(0).dtype, "input 'data'"));
  TANDEM_RETURN_IF_ERROR(check_indices(ctx.in(1)));
  const Shape& data = ctx.in(0).shape;
  const Shape& indices = ctx.in(1).shape;
  TANDEM_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(ctx.attrs().get_int("axis", 0), static_cast<int64_t>(data.size())));
  bool fits = indices.size() == data.size();
  for (size_t d = 0; fits && d < data.size(); ++d) fits = static_cast<int64_t>(d) == axis || indices[d] <= data[d];
  TANDEM_CHECK_OR_RETURN(fits, kInvalidArgument, "indices %s do not fit data %s on axis %lld",
                         shape_to_string(indices).c_str(), shape_to_string(data).c_str(), static_cast<long long>(axis));
  ctx.set_output(0, ctx.in(0).dtype, indices);
  return Status::ok();
}

class GatherElementsKernel : public Kernel {
 public:
  Status prepare(const OpContext& ctx) override {
    const Shape& data = ctx.in(0).shape;
    TANDEM_ASSIGN_OR_RETURN(axis_, normalize_axis(ctx.attrs().get_int("axis", 0), static_cast<int64_t>(data.size())));
    data_strides_ = contiguous_strides(data);
    axis_dim_ = data[static_cast<size_t>(axis_)];
    shape_ = ctx.in(1).shape;
    esize_ = dtype_size(ctx.in(0).dtype);
    return Status::ok();
  }
  Status run(std::span<const Tensor> in, std::span<Tensor> out) override {
    const Tensor& idx = in[1];
    if (idx.numel() == 0) return Status::ok();
    int bad = 0;
    dispatch_width(esize_, [&](auto tag) {
      using T = decltype(tag);
      bad = gather(in[0].data<T>(), idx, out[0].data<T>());
    });
    if (bad) return bad_index(idx, axis_dim_);
    return Status::ok();
  }

 private:
  template <typename T>
  int gather(const T* src, const Tensor& idx, T* dst) const {
    const size_t last = shape_.size() - 1;
    const int64_t cols = shape_[last];
    const int64_t rows = idx.numel() / cols;
    const int64_t axis_stride = data_strides_[static_cast<size_t>(axis_)];
    const bool axis_is_last = static_cast<size_t>(axis_) == last;
    int bad = 0;
#pragma omp parallel for if (idx.numel() > kParallelMin) schedule(static) reduction(| : bad)
    for (int64_t row = 0; row < rows; ++row) {
      // Offset of the row's first element in data, leaving out the axis (the index replaces it).
      int64_t base = 0;
      int64_t rem = row;
      for (size_t k = last; k-- > 0;) {
        int64_t c = rem % shape_[k];
        rem /= shape_[k];
        if (static_cast<int64_t>(k) != axis_) base += c * data_strides_[k];
      }
      for (int64_t j = 0; j < cols; ++j) {
        int64_t i = index_at(idx, row * cols + j);
        if (!wrap_index(i, axis_dim_)) {
          bad = 1;
          continue;
        }
        dst[row * cols + j] = src[base + (axis_is_last ? 0 : j) + i * axis_stride];
      }
    }
    return bad;
  }

  int64_t axis_ = 0, axis_dim_ = 0;
  std::vector<int64_t> data_strides_;
  Shape shape_;
  size_t esize_ = 0;
};

// ---- GatherND and ScatterND address slices of data by index tuples in the last axis of 'indices'.

struct TupleLayout {
  int64_t batches = 1;       // product of the batch dimensions
  int64_t tuples = 1;        // index tuples per batch
  int64_t k = 0;             // tuple length
  int64_t slice = 1;         // elements addressed by one tuple
  int64_t batch_block = 1;   // data elements per batch
  std::vector<int64_t> dims, strides;  // the k indexed data dimensions and their strides
};

TupleLayout tuple_layout(const Shape& data, const Shape& indices, int64_t batch_dims) {
  TupleLayout l;
  l.k = indices.back();
  std::vector<int64_t> strides = contiguous_strides(data);
  for (int64_t i = 0; i < batch_dims; ++i) l.batches *= indices[static_cast<size_t>(i)];
  for (size_t i = static_cast<size_t>(batch_dims); i + 1 < indices.size(); ++i) l.tuples *= indices[i];
  for (size_t i = static_cast<size_t>(batch_dims + l.k); i < data.size(); ++i) l.slice *= data[i];
  for (size_t i = static_cast<size_t>(batch_dims); i < data.size(); ++i) l.batch_block *= data[i];
  for (int64_t j = 0; j < l.k; ++j) {
    l.dims.push_back(data[static_cast<size_t>(batch_dims + j)]);
    l.strides.push_back(strides[static_cast<size_t>(batch_dims + j)]);
  }
  return l;
}

// Element offset within its batch of the slice tuple t addresses, or -1 if an index is out of range.
int64_t tuple_offset(const TupleLayout& l, const Tensor& indices, int64_t t) {
  int64_t off = 0;
  for (int64_t j = 0; j < l.k; ++j) {
    int64_t i = index_at(indices, t * l.k + j);
    if (!wrap_index(i, l.dims[static_cast<size_t>(j)])) return -1;
    off += i * l.strides[static_cast<size_t>(j)];
  }
  return off;
}

Status check_tuples(const Shape& data, const Shape& indices, int64_t batch_dims) {
  bool ok = !indices.empty() && batch_dims >= 0 && batch_dims < static_cast<int64_t>(indices.size()) &&
            indices.back() >= 1 && batch_dims + indices.back() <= static_cast<int64_t>(data.size());
  for (int64_t i = 0; ok && i < batch_dims; ++i) ok = indices[static_cast<size_t>(i)] == data[static_cast<size_t>(i)];
  TANDEM_CHECK_OR_RETURN(ok, kInvalidArgument, "indices %s cannot address data %s with batch_dims %lld",
                         shape_to_string(indices).c_str(), shape_to_string(data).c_str(),
                         static_cast<long long>(batch_dims));
  return Status::ok();
}

Status infer_gather_nd(OpContext& ctx) {
  TANDEM_RETURN_IF_ERROR(check_fixed_size(ctx.in(0).dtype, "input 'data'"));
  TANDEM_CHECK_OR_RETURN(ctx.in(1).dtype == DType::kInt64, kInvalidArgument, "input 'indices' must be int64, got %s",
                         dtype_name(ctx.in(1).dtype));
  const Shape& data = ctx.in(0).shape;
  const Shape& indices = ctx.in(1).shape;
  int64_t b = ctx.attrs().get_int("batch_dims", 0);
  TANDEM_RETURN_IF_ERROR(check_tuples(data, indices, b));
  Shape out(indices.begin(), indices.end() - 1);
  out.insert(out.end(), data.begin() + b + indices.back(), data.end());
  ctx.set_output(0, ctx.in(0).dtype, out);
  return Status::ok();
}

class GatherNDKernel : public Kernel {
 public:
  Status prepare(const OpContext& ctx) override {
    layout_ = tuple_layout(ctx.in(0).shape, ctx.in(1).shape, ctx.attrs().get_int("batch_dims", 0));
    esize_ = static_cast<int64_t>(dtype_size(ctx.in(0).dtype));
    return Status::ok();
  }
  Status run(std::span<const Tensor> in, std::span<Tensor> out) override {
    const auto* src = static_cast<const uint8_t*>(in[0].raw());
    auto* dst = static_cast<uint8_t*>(out[0].raw());
    const TupleLayout& l = layout_;
    const int64_t bytes = l.slice * esize_;
    for (int64_t t = 0; t < l.batches * l.tuples; ++t) {
      int64_t off = tuple_offset(l, in[1], t);
      if (off < 0) return bad_tuple(in[0], in[1]);
      std::memcpy(dst + t * bytes, src + (t / l.tuples * l.batch_block + off) * esize_, static_cast<size_t>(bytes));
    }
    return Status::ok();
  }

 private:
  TupleLayout layout_;
  int64_t esize_ = 0;
};

enum class Reduction { kNone, kAdd, kMul, kMax, kMin };

Result<Reduction> scatter_reduction(const OpContext& ctx) {
  std::string r = ctx.attrs().get_string("reduction", "none");
  if (r == "none") return Reduction::kNone;
  if (r == "add") return Reduction::kAdd;
  if (r == "mul") return Reduction::kMul;
  if (r == "max") return Reduction::kMax;
  if (r == "min") return Reduction::kMin;
  return Status(Code::kUnsupported, format("attribute 'reduction'='%s' is not supported", r.c_str()));
}

Status infer_scatter_nd(OpContext& ctx) {
  TANDEM_RETURN_IF_ERROR(check_fixed_size(ctx.in(0).dtype, "input 'data'"));
  TANDEM_CHECK_OR_RETURN(ctx.in(1).dtype == DType::kInt64, kInvalidArgument, "input 'indices' must be int64, got %s",
                         dtype_name(ctx.in(1).dtype));
  TANDEM_ASSIGN_OR_RETURN(Reduction red, scatter_reduction(ctx));
  DType t = ctx.in(0).dtype;
  bool numeric = dispatch_numeric(t, [](auto) {});
  TANDEM_CHECK_OR_RETURN(red == Reduction::kNone || numeric, kUnsupported,
                         "attribute 'reduction'='%s' on dtype %s is not supported",
                         ctx.attrs().get_string("reduction", "none").c_str(), dtype_name(t));
  const Shape& data = ctx.in(0).shape;
  const Shape& indices = ctx.in(1).shape;
  TANDEM_RETURN_IF_ERROR(check_tuples(data, indices, 0));
  Shape expect(indices.begin(), indices.end() - 1);
  expect.insert(expect.end(), data.begin() + indices.back(), data.end());
  TANDEM_CHECK_OR_RETURN(ctx.in(2).shape == expect && ctx.in(2).dtype == t, kInvalidArgument,
                         "updates %s %s do not match data %s %s and indices %s", dtype_name(ctx.in(2).dtype),
                         shape_to_string(ctx.in(2).shape).c_str(), dtype_name(t), shape_to_string(data).c_str(),
                         shape_to_string(indices).c_str());
  ctx.set_output(0, t, data);
  return Status::ok();
}

class ScatterNDKernel : public Kernel {
 public:
  Status prepare(const OpContext& ctx) override {
    layout_ = tuple_layout(ctx.in(0).shape, ctx.in(1).shape, 0);
    TANDEM_ASSIGN_OR_RETURN(reduction_, scatter_reduction(ctx));
    return Status::ok();
  }
  Status run(std::span<const Tensor> in, std::span<Tensor> out) override {
    copy_unless_aliased(in[0], out[0]);
    const TupleLayout& l = layout_;
    const auto es = static_cast<int64_t>(dtype_size(in[0].dtype()));
    auto* dst = static_cast<uint8_t*>(out[0].raw());
    const auto* upd = static_cast<const uint8_t*>(in[2].raw());
    // Sequential: with duplicate indices the order of updates decides the result.
    for (int64_t t = 0; t < l.tuples; ++t) {
      int64_t off = tuple_offset(l, in[1], t);
      if (off < 0) return bad_tuple(in[0], in[1]);
      if (reduction_ == Reduction::kNone) {
        std::memcpy(dst + off * es, upd + t * l.slice * es, static_cast<size_t>(l.slice * es));
        continue;
      }
      dispatch_numeric(in[0].dtype(), [&](auto tag) {
        using T = decltype(tag);
        T* d = reinterpret_cast<T*>(dst) + off;
        const T* u = reinterpret_cast<const T*>(upd) + t * l.slice;
        for (int64_t i = 0; i < l.slice; ++i) d[i] = reduce(d[i], u[i]);
      });
    }
    return Status::ok();
  }

 private:
  template <typename T>
  T reduce(T a, T b) const {
    switch (reduction_) {
      case Reduction::kAdd: return static_cast<T>(a + b);
      case Reduction::kMul: return static_cast<T>(a * b);
      case Reduction::kMax: return std::max(a, b);
      case Reduction::kMin: return std::min(a, b);
      default: return b;
    }
  }

  TupleLayout layout_;
  Reduction reduction_ = Reduction::kNone;
};

}  // namespace

void register_gather_ops(OpRegistry& r) {
  r.add(onnx_schema("Gather", infer_gather, make_kernel<GatherKernel>));
  r.add(onnx_schema("GatherElements", infer_gather_elements, make_kernel<GatherElementsKernel>));
  r.add(onnx_schema("GatherND", infer_gather_nd, make_kernel<GatherNDKernel>));
  r.add(onnx_schema("ScatterND", infer_scatter_nd, make_kernel<ScatterNDKernel>));
}

}  // namespace tandem
