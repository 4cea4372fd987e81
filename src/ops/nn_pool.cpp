// AveragePool, MaxPool (with optional Indices), GlobalAveragePool, GlobalMaxPool: inference and reference kernels
// for any spatial rank, sharing the window rules of Conv (nn_window.h), on channels-first or (4-D, Tandem's `layout`
// attribute) channels-last tensors.
#include <algorithm>
#include <limits>
#include <string>

#include "ops/nn_register.h"
#include "ops/nn_window.h"

namespace tandem {
namespace {

constexpr int64_t kParallelWork = int64_t{1} << 15;

enum class PoolKind { kAverage, kMax };

// X as the window attributes see it: [N, C, spatial...] whatever its layout.
struct PoolInput {
  Shape shape;                 // channels-first
  bool channels_last = false;  // the tensor itself is [N, H, W, C]
};

// Tandem's `layout` attribute ("NCHW", the default, or "NHWC"): a layout pass sets it so a pool between
// channels-last convolutions needs no transposes; only 4-D X, where "NHWC" is unambiguous, may be channels-last.
Result<PoolInput> check_pool_input(const OpContext& ctx, PoolKind kind) {
  TANDEM_CHECK_OR_RETURN(ctx.has_input(0), kInvalidArgument, "input X is required");
  const OperandInfo& x = ctx.in(0);
  const bool float_type = x.dtype == DType::kFloat32 || x.dtype == DType::kFloat64;
  const bool byte_type = x.dtype == DType::kInt8 || x.dtype == DType::kUInt8;
  TANDEM_CHECK_OR_RETURN(float_type || (kind == PoolKind::kMax && byte_type), kUnsupported, "dtype %s is not supported",
                         dtype_name(x.dtype));
  TANDEM_CHECK_OR_RETURN(x.shape.size() >= 3, kInvalidArgument, "X %s must be [N, C, spatial...]",
                         shape_to_string(x.shape).c_str());
  const std::string layout = ctx.attrs().get_string("layout", "NCHW");
  TANDEM_CHECK_OR_RETURN(layout == "NCHW" || layout == "NHWC", kInvalidArgument,
                         "attribute 'layout'='%s' must be NCHW or NHWC", layout.c_str());
  TANDEM_CHECK_OR_RETURN(layout == "NCHW" || x.shape.size() == 4, kInvalidArgument,
                         "attribute 'layout'='NHWC' needs a 4-D X, got %s", shape_to_string(x.shape).c_str());
  PoolInput in{x.shape, layout == "NHWC"};
  if (in.channels_last) in.shape = {x.shape[0], x.shape[3], x.shape[1], x.shape[2]};
  return in;
}

// [N, C, spatial...] -> the shape of a tensor in X's layout.
Shape in_layout(Shape channels_first, bool channels_last) {
  if (channels_last) std::rotate(channels_first.begin() + 1, channels_first.begin() + 2, channels_first.end());
  return channels_first;
}

Result<WindowGeometry> pool_geometry(const OpContext& ctx, PoolKind kind, const PoolInput& in) {
  const Shape& x = in.shape;
  const Attributes& attrs = ctx.attrs();
  TANDEM_CHECK_OR_RETURN(attrs.has("kernel_shape"), kInvalidArgument, "attribute 'kernel_shape' is required");
  if (kind == PoolKind::kMax) {
    const int64_t order = attrs.get_int("storage_order", 0);
    TANDEM_CHECK_OR_RETURN(order == 0 || order == 1, kInvalidArgument, "attribute 'storage_order'=%lld must be 0 or 1",
                           static_cast<long long>(order));
    // Indices are flat channels-first positions; no channels-last graph needs them.
    TANDEM_CHECK_OR_RETURN(!in.channels_last || !ctx.has_output(1), kUnsupported,
                           "output Indices with attribute 'layout'='NHWC' is not supported");
  }
  WindowOptions options;
  options.ceil_mode = attrs.get_int("ceil_mode", 0) != 0;
  return window_geometry(attrs, std::vector<int64_t>(x.begin() + 2, x.end()), attrs.get_ints("kernel_shape"), options);
}

template <PoolKind kKind>
Status infer_pool(OpContext& ctx) {
  TANDEM_ASSIGN_OR_RETURN(PoolInput in, check_pool_input(ctx, kKind));
  TANDEM_ASSIGN_OR_RETURN(WindowGeometry w, pool_geometry(ctx, kKind, in));
  Shape out{in.shape[0], in.shape[1]};
  out.insert(out.end(), w.out.begin(), w.out.end());
  out = in_layout(out, in.channels_last);
  ctx.set_output(0, ctx.in(0).dtype, out);
  if (kKind == PoolKind::kMax) ctx.set_output(1, DType::kInt64, out);
  return Status::ok();
}

// Addresses spatial position p of plane n * C + c in an [N, C, P] tensor stored channels-first (plane * P + p) or
// channels-last ((n * P + p) * C + c): base(plane) + p * step. The reference kernels walk planes either way and
// read channels-last strided, which is slow but keeps one code path (and the same summation order) for both.
struct PlaneLayout {
  int64_t channels = 1, positions = 1;
  bool channels_last = false;

  int64_t base(int64_t plane) const {
    return channels_last ? plane / channels * channels * positions + plane % channels : plane * positions;
  }
  int64_t step() const { return channels_last ? channels : 1; }
};

// Calls f(T{}) for the pooled element types.
template <typename F>
void dispatch_pool_types(DType t, F&& f) {
  switch (t) {
    case DType::kFloat32:
      f(float{});
      break;
    case DType::kFloat64:
      f(double{});
      break;
    case DType::kInt8:
      f(int8_t{});
      break;
    case DType::kUInt8:
      f(uint8_t{});
      break;
    default:
      break;
  }
}

class PoolKernel : public Kernel {
 public:
  explicit PoolKernel(PoolKind kind) : kind_(kind) {}

  Status prepare(const OpContext& ctx) override {
    TANDEM_ASSIGN_OR_RETURN(PoolInput in, check_pool_input(ctx, kind_));
    TANDEM_ASSIGN_OR_RETURN(w_, pool_geometry(ctx, kind_, in));
    dtype_ = ctx.in(0).dtype;
    planes_ = in.shape[0] * in.shape[1];
    x_layout_ = {in.shape[1], w_.in_size(), in.channels_last};
    y_layout_ = {in.shape[1], w_.out_size(), in.channels_last};
    count_include_pad_ = ctx.attrs().get_int("count_include_pad", 0) != 0;
    column_major_ = ctx.attrs().get_int("storage_order", 0) == 1;
    return Status::ok();
  }

  Status run(std::span<const Tensor> in, std::span<Tensor> out) override {
    Tensor* indices = out.size() > 1 && out[1].defined() ? &out[1] : nullptr;
    dispatch_pool_types(dtype_, [&](auto tag) { run_typed<decltype(tag)>(in[0], out[0], indices); });
    return Status::ok();
  }

 private:
  template <typename T>
  void run_typed(const Tensor& x, Tensor& y, Tensor* indices) const {
    const WindowGeometry& w = w_;
    const int64_t rank = static_cast<int64_t>(w.rank());
    const int64_t out_size = w.out_size(), in_size = w.in_size(), total = planes_ * out_size;
    const T* xd = x.data<T>();
    T* yd = y.data<T>();
    int64_t* id = indices ? indices->data<int64_t>() : nullptr;
    int64_t in_stride[kMaxSpatialRank], x_stride[kMaxSpatialRank], index_stride[kMaxSpatialRank];
    for (int64_t d = rank - 1, s = 1; d >= 0; --d) {
      in_stride[d] = s;
      x_stride[d] = s * x_layout_.step();
      s *= w.in[static_cast<size_t>(d)];
    }
    // Indices count spatial positions row-major (storage_order=0) or column-major (storage_order=1).
    for (int64_t d = 0, s = 1; d < rank; ++d) {
      index_stride[d] = column_major_ ? s : in_stride[d];
      s *= w.in[static_cast<size_t>(d)];
    }
#pragma omp parallel for if (total * w.kernel_size() > kParallelWork) schedule(static)
    for (int64_t idx = 0; idx < total; ++idx) {
      const int64_t plane = idx / out_size;
      int64_t start[kMaxSpatialRank], lo[kMaxSpatialRank], hi[kMaxSpatialRank], k[kMaxSpatialRank];
      int64_t padded_count = 1, valid_count = 1;
      for (int64_t d = rank - 1, rem = idx % out_size; d >= 0; --d) {
        const size_t du = static_cast<size_t>(d);
        const int64_t o = rem % w.out[du];
        rem /= w.out[du];
        const int64_t dil = w.dilations[du], kd = w.kernel[du], in = w.in[du];
        start[d] = o * w.strides[du] - w.pad_begin[du];
        // Taps [lo, hi) land inside the input; taps below `padded_hi` land inside input or explicit padding.
        lo[d] = start[d] >= 0 ? 0 : std::min(kd, (-start[d] + dil - 1) / dil);
        hi[d] = std::max(lo[d], std::min(kd, in - start[d] > 0 ? (in - start[d] + dil - 1) / dil : 0));
        const int64_t end = in + w.pad_end[du] - start[d];
        padded_count *= std::min(kd, end > 0 ? (end + dil - 1) / dil : 0);
        valid_count *= hi[d] - lo[d];
        k[d] = lo[d];
      }
      const T* xp = xd + x_layout_.base(plane);
      double sum = 0.0;
      T best =
          std::numeric_limits<T>::has_infinity ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::lowest();
      int64_t best_index = -1;
      // Odometer over the valid taps of every dim (empty when any dim has none).
      while (valid_count > 0) {
        int64_t off = 0, index = 0;
        for (int64_t d = 0; d < rank; ++d) {
          const int64_t pos = start[d] + k[d] * w.dilations[static_cast<size_t>(d)];
          off += pos * x_stride[d];
          index += pos * index_stride[d];
        }
        const T v = xp[off];
        if (kind_ == PoolKind::kAverage) {
          sum += static_cast<double>(v);
        } else if (v > best || best_index < 0) {
          best = v;
          best_index = index;
        }
        int64_t d = rank - 1;
        while (d >= 0 && ++k[d] == hi[d]) {
          k[d] = lo[d];
          --d;
        }
        if (d < 0) break;
      }
      T& y_at = yd[y_layout_.base(plane) + idx % out_size * y_layout_.step()];
      if (kind_ == PoolKind::kAverage) {
        const int64_t count = count_include_pad_ ? padded_count : valid_count;
        y_at = count > 0 ? static_cast<T>(sum / static_cast<double>(count)) : T{0};
      } else {
        y_at = best;
        // Channels-first only (pool_geometry rejects Indices with NHWC), so idx is the output's flat index.
        if (id) id[idx] = best_index < 0 ? -1 : plane * in_size + best_index;
      }
    }
  }

  PoolKind kind_;
  WindowGeometry w_;
  DType dtype_ = DType::kUndefined;
  int64_t planes_ = 0;
  PlaneLayout x_layout_, y_layout_;
  bool count_include_pad_ = false;
  bool column_major_ = false;
};

template <PoolKind kKind>
Status infer_global_pool(OpContext& ctx) {
  TANDEM_ASSIGN_OR_RETURN(PoolInput in, check_pool_input(ctx, kKind));
  TANDEM_CHECK_OR_RETURN(ctx.in(0).dtype == DType::kFloat32 || ctx.in(0).dtype == DType::kFloat64, kUnsupported,
                         "dtype %s is not supported", dtype_name(ctx.in(0).dtype));
  Shape out = in.shape;
  std::fill(out.begin() + 2, out.end(), 1);
  ctx.set_output(0, ctx.in(0).dtype, in_layout(out, in.channels_last));
  return Status::ok();
}

class GlobalPoolKernel : public Kernel {
 public:
  explicit GlobalPoolKernel(PoolKind kind) : kind_(kind) {}

  Status prepare(const OpContext& ctx) override {
    TANDEM_ASSIGN_OR_RETURN(PoolInput in, check_pool_input(ctx, kind_));
    const Shape& x = in.shape;
    dtype_ = ctx.in(0).dtype;
    planes_ = x[0] * x[1];
    x_layout_ = {x[1], shape_numel(Shape(x.begin() + 2, x.end())), in.channels_last};
    return Status::ok();
  }

  Status run(std::span<const Tensor> in, std::span<Tensor> out) override {
    if (dtype_ == DType::kFloat32) {
      run_typed<float>(in[0], out[0]);
    } else {
      run_typed<double>(in[0], out[0]);
    }
    return Status::ok();
  }

 private:
  template <typename T>
  void run_typed(const Tensor& x, Tensor& y) const {
    const T* xd = x.data<T>();
    T* yd = y.data<T>();
    const int64_t inner = x_layout_.positions, step = x_layout_.step();
    // Y is [N, C, 1...] or [N, 1, 1, C]: plane p is element p either way.
#pragma omp parallel for if (planes_ * inner > kParallelWork) schedule(static)
    for (int64_t p = 0; p < planes_; ++p) {
      const T* xp = xd + x_layout_.base(p);
      if (kind_ == PoolKind::kAverage) {
        double sum = 0.0;
        for (int64_t i = 0; i < inner; ++i) sum += static_cast<double>(xp[i * step]);
        yd[p] = static_cast<T>(sum / static_cast<double>(inner));
      } else {
        T best = -std::numeric_limits<T>::infinity();
        for (int64_t i = 0; i < inner; ++i) best = xp[i * step] > best ? xp[i * step] : best;
        yd[p] = best;
      }
    }
  }

  PoolKind kind_;
  DType dtype_ = DType::kUndefined;
  int64_t planes_ = 0;
  PlaneLayout x_layout_;
};

}  // namespace

void register_pool_ops(OpRegistry& r) {
  add_op(r, "", "AveragePool", infer_pool<PoolKind::kAverage>,
         [] { return std::unique_ptr<Kernel>(std::make_unique<PoolKernel>(PoolKind::kAverage)); });
  add_op(r, "", "MaxPool", infer_pool<PoolKind::kMax>,
         [] { return std::unique_ptr<Kernel>(std::make_unique<PoolKernel>(PoolKind::kMax)); });
  add_op(r, "", "GlobalAveragePool", infer_global_pool<PoolKind::kAverage>,
         [] { return std::unique_ptr<Kernel>(std::make_unique<GlobalPoolKernel>(PoolKind::kAverage)); });
  add_op(r, "", "GlobalMaxPool", infer_global_pool<PoolKind::kMax>,
         [] { return std::unique_ptr<Kernel>(std::make_unique<GlobalPoolKernel>(PoolKind::kMax)); });
}

}  // namespace tandem
