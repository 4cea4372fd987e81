// Resize (opsets 10, 11, 13) and Upsample (7, 9): nearest, N-D linear and cubic sampling, with float32 paths
// for NCHW planes and for channels-last (NHWC) images; and ai.tandem FusedResize, Resize + Add in one pass.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>

#include "ops/broadcast.h"
#include "ops/resize_kernels_f32.h"
#include "ops/resize_plan.h"

namespace tandem {
namespace {

// FusedResize (ai.tandem) takes Resize's inputs as opsets 11 and later define them (X, roi, scales, sizes),
// whatever the ai.tandem opset is; parse_resize reads the opset only to tell those from Resize-10's.
Result<ResizeConfig> parse_config(const OpContext& ctx) {
  if (ctx.node->domain != kTandemDomain) return parse_resize(ctx);
  OpContext resize_ctx = ctx;
  resize_ctx.opset = 13;
  return parse_resize(resize_ctx);
}

Result<ResizeConfig> check_resize(const OpContext& ctx) {
  TANDEM_ASSIGN_OR_RETURN(ResizeConfig cfg, parse_config(ctx));
  const DType t = ctx.in(0).dtype;
  if (dtype_size(t) == 0)
    return Status(Code::kUnsupported, format("X has dtype %s, which is not supported", dtype_name(t)));
  // Nearest is a gather and takes any dtype; blending (and extrapolation) needs a numeric one.
  const bool blends = cfg.mode != ResizeMode::kNearest || cfg.coord == ResizeCoord::kTfCropAndResize;
  if (blends && !dispatch_numeric(t, [](auto) {})) {
    const char* mode =
        cfg.mode == ResizeMode::kNearest ? "nearest" : (cfg.mode == ResizeMode::kLinear ? "linear" : "cubic");
    return Status(Code::kUnsupported,
                  format("attribute 'mode'='%s' on dtype %s is not supported", mode, dtype_name(t)));
  }
  return cfg;
}

Status infer_resize(OpContext& ctx) {
  TANDEM_ASSIGN_OR_RETURN(ResizeConfig cfg, check_resize(ctx));
  ctx.set_output(0, ctx.in(0).dtype, cfg.out_shape);
  return Status::ok();
}

// FusedResize(X, roi, scales, sizes, Z) = Resize(X, roi, scales, sizes) + Z, with Z exactly the output's shape
// and dtype (what fuse_resize_add makes of an Add reading a Resize).
Status infer_fused_resize(OpContext& ctx) {
  TANDEM_ASSIGN_OR_RETURN(ResizeConfig cfg, check_resize(ctx));
  const DType t = ctx.in(0).dtype;
  TANDEM_CHECK_OR_RETURN(t == DType::kFloat32 || t == DType::kFloat64, kUnsupported,
                         "X has dtype %s; FusedResize takes float32 or float64", dtype_name(t));
  TANDEM_CHECK_OR_RETURN(ctx.has_input(4), kInvalidArgument, "input 'Z' is missing");
  const OperandInfo& z = ctx.in(4);
  TANDEM_CHECK_OR_RETURN(z.dtype == t && z.shape == cfg.out_shape, kInvalidArgument,
                         "input 'Z' %s %s must be %s %s like the output", dtype_name(z.dtype),
                         shape_to_string(z.shape).c_str(), dtype_name(t), shape_to_string(cfg.out_shape).c_str());
  ctx.set_output(0, t, cfg.out_shape);
  return Status::ok();
}

// y += z elementwise: the reference paths of FusedResize resize first, then add, as Resize and Add would.
template <typename T>
void add_in_place(const T* z, T* y, int64_t n) {
#pragma omp parallel for if (n > (1 << 15)) schedule(static)
  for (int64_t i = 0; i < n; ++i) y[i] = y[i] + z[i];
}

// Resize, or with `add_z` FusedResize: the fast paths add Z as they store, the others resize and then add.
class ResizeKernel final : public Kernel {
 public:
  explicit ResizeKernel(bool add_z) : add_z_(add_z) {}

  Status prepare(const OpContext& ctx) override {
    TANDEM_ASSIGN_OR_RETURN(cfg_, parse_config(ctx));
    dtype_ = ctx.in(0).dtype;
    rank_ = cfg_.in_shape.size();
    tables_.clear();
    for (size_t d = 0; d < rank_; ++d) tables_.push_back(build_axis_table(cfg_, d));
    in_strides_ = contiguous_strides(cfg_.in_shape);
    any_outside_ = false;
    combos_ = 1;
    for (size_t d = 0; d < rank_; ++d) {
      any_outside_ = any_outside_ || tables_[d].any_outside;
      if (d + 1 < rank_) combos_ *= tables_[d].taps;
    }
    if (combos_ > kMaxCombos)
      return Status(Code::kUnsupported, format("resizing %zu axes at once with mode '%s' is not supported", rank_,
                                               cfg_.mode == ResizeMode::kCubic ? "cubic" : "linear"));
    out_rows_ = 1;
    for (size_t d = 0; d + 1 < rank_; ++d) out_rows_ *= cfg_.out_shape[d];
    out_numel_ = shape_numel(cfg_.out_shape);
    threads_ = std::max(1, omp_get_max_threads());
    // Channels-last first: when both apply (only the axis before the last is resized) it is the same blend
    // without the plane path's copy through scratch.
    // int8 too (channels-last only): a requantised map between two int8 convolutions.
    nhwc_path_ = (dtype_ == DType::kFloat32 || (dtype_ == DType::kInt8 && !add_z_)) && rank_ >= 3 &&
                 !any_outside_ && tables_[rank_ - 1].identity;
    for (size_t d = 0; d + 3 < rank_ && nhwc_path_; ++d) nhwc_path_ = tables_[d].identity;
    plane_path_ = !nhwc_path_ && dtype_ == DType::kFloat32 && rank_ >= 2 && !any_outside_;
    for (size_t d = 0; d + 2 < rank_ && plane_path_; ++d) plane_path_ = tables_[d].identity;
    if (nhwc_path_) prepare_nhwc_path();
    if (plane_path_) prepare_plane_path();
    return Status::ok();
  }

  Status run(std::span<const Tensor> in, std::span<Tensor> out) override {
    if (out_numel_ == 0) return Status::ok();
    if (nhwc_path_ && dtype_ == DType::kInt8) {
      run_nhwc<int8_t>(in[0].data<int8_t>(), nullptr, out[0].data<int8_t>());
      return Status::ok();
    }
    if (nhwc_path_ || plane_path_) {
      const float* x = in[0].data<float>();
      const float* z = add_z_ ? in[4].data<float>() : nullptr;
      float* y = out[0].data<float>();
      if (nhwc_path_) {
        run_nhwc(x, z, y);
      } else {
        run_planes(x, z, y);
      }
      return Status::ok();
    }
    if (cfg_.mode == ResizeMode::kNearest && !any_outside_) {
      run_gather(in[0], out[0]);
    } else {
      dispatch_numeric(dtype_, [&](auto tag) {
        using T = decltype(tag);
        run_generic<T>(in[0].data<T>(), out[0].data<T>());
      });
    }
    if (add_z_ && dtype_ == DType::kFloat64) add_in_place(in[4].data<double>(), out[0].data<double>(), out_numel_);
    if (add_z_ && dtype_ == DType::kFloat32) add_in_place(in[4].data<float>(), out[0].data<float>(), out_numel_);
    return Status::ok();
  }

  std::string impl_name() const override {
    if (nhwc_path_) return dtype_ == DType::kInt8 ? "reference:nhwc_s8" : "reference:nhwc_f32";
    if (plane_path_) return "reference:planes_f32";
    return cfg_.mode == ResizeMode::kNearest && !any_outside_ ? "reference:gather" : "reference:generic";
  }

 private:
  static constexpr int64_t kMaxCombos = 256;

  // Float32 with only the two axes before the last resampled and the last one (C) unchanged, as channels-last
  // feature maps are: [images, H, W, C], one task per output row. The tables become float offsets and weights.
  void prepare_nhwc_path() {
    const AxisTable& th = tables_[rank_ - 3];
    const AxisTable& tw = tables_[rank_ - 2];
    const int64_t c = cfg_.in_shape[rank_ - 1];
    images_ = 1;
    for (size_t d = 0; d + 3 < rank_; ++d) images_ *= cfg_.in_shape[d];
    nhwc_ = nhwc_sampling(th, tw, c);
  }

  template <typename T>
  void run_nhwc(const T* x, const T* z, T* y) const {
    const AxisTable& th = tables_[rank_ - 3];
    const AxisTable& tw = tables_[rank_ - 2];
    const int64_t c = cfg_.in_shape[rank_ - 1];
    const int64_t in_image = th.in * tw.in * c, out_row = tw.out * c, rows = images_ * th.out;
#pragma omp parallel for num_threads(threads_) if (out_numel_ > (1 << 15)) schedule(static)
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t n = r / th.out, oy = r % th.out;
      NhwcRow<T> a;
      a.src = x + n * in_image;
      a.dst = y + r * out_row;
      a.z = z ? z + r * out_row : nullptr;
      a.out_w = tw.out;
      a.c = c;
      a.kh = th.taps;
      a.kw = tw.taps;
      a.yoff = nhwc_.yoff.data() + oy * th.taps;
      a.wy = nhwc_.wy.data() + oy * th.taps;
      a.xoff = nhwc_.xoff.data();
      a.wx = nhwc_.wx.data();
      if constexpr (std::is_same_v<T, float>) {
        resize_row_nhwc_f32(a);
      } else {
        resize_row_nhwc_s8(a);
      }
    }
  }

  // Float32 with only the last two axes resampled (NCHW feature maps): [planes, H, W] in independent
  // chunks of output rows, each resampling the input rows it needs into per-thread scratch.
  void prepare_plane_path() {
    const AxisTable& th = tables_[rank_ - 2];
    const AxisTable& tw = tables_[rank_ - 1];
    planes_ = 1;
    for (size_t d = 0; d + 2 < rank_; ++d) planes_ *= cfg_.in_shape[d];
    // Enough chunks to keep every thread busy; short chunks keep the scratch rows in cache.
    const int64_t want = std::max<int64_t>(1, (4 * threads_ + planes_ - 1) / planes_);
    rows_per_chunk_ = std::clamp<int64_t>((th.out + want - 1) / want, 1, 64);
    chunks_ = th.out == 0 ? 0 : (th.out + rows_per_chunk_ - 1) / rows_per_chunk_;
    chunk_lo_.assign(static_cast<size_t>(chunks_), 0);
    chunk_hi_.assign(static_cast<size_t>(chunks_), 0);
    int64_t span = 1;
    for (int64_t c = 0; c < chunks_; ++c) {
      const int64_t oy0 = c * rows_per_chunk_, oy1 = std::min(th.out, oy0 + rows_per_chunk_);
      int64_t lo = th.in, hi = 0;
      for (int64_t i = oy0 * th.taps; i < oy1 * th.taps; ++i) {
        lo = std::min(lo, th.index[static_cast<size_t>(i)]);
        hi = std::max(hi, th.index[static_cast<size_t>(i)]);
      }
      chunk_lo_[static_cast<size_t>(c)] = lo;
      chunk_hi_[static_cast<size_t>(c)] = hi;
      span = std::max(span, hi - lo + 1);
    }
    scratch_stride_ = span * tw.out;
    scratch_.assign(static_cast<size_t>(scratch_stride_ * threads_), 0.0f);
    wy_.assign(th.weight.begin(), th.weight.end());
    wx_.assign(tw.weight.begin(), tw.weight.end());
    x2_ = Upsample2x::detect(tw);
  }

  void run_planes(const float* x, const float* z, float* y) {
    const AxisTable& th = tables_[rank_ - 2];
    const AxisTable& tw = tables_[rank_ - 1];
    const int64_t in_plane = th.in * tw.in, out_plane = th.out * tw.out;
    const int64_t tasks = planes_ * chunks_;
#pragma omp parallel for num_threads(threads_) if (out_numel_ > (1 << 15)) schedule(static)
    for (int64_t t = 0; t < tasks; ++t) {
      const int64_t p = t / chunks_, c = t % chunks_;
      PlaneRowsF32 a;
      a.src = x + p * in_plane;
      a.dst = y + p * out_plane;
      a.z = z ? z + p * out_plane : nullptr;
      a.tmp = scratch_.data() + omp_get_thread_num() * scratch_stride_;
      a.in_w = tw.in;
      a.out_w = tw.out;
      a.oy0 = c * rows_per_chunk_;
      a.oy1 = std::min(th.out, a.oy0 + rows_per_chunk_);
      a.row_lo = chunk_lo_[static_cast<size_t>(c)];
      a.row_hi = chunk_hi_[static_cast<size_t>(c)];
      a.kh = th.taps;
      a.kw = tw.taps;
      a.hy = th.index.data();
      a.wy = wy_.data();
      a.hx = tw.index.data();
      a.wx = wx_.data();
      a.x2 = x2_;
      resize_plane_rows_f32(a);
    }
  }

  // Input offset of the row feeding output row r, for one-tap (nearest) tables on every outer axis.
  int64_t gather_row_offset(int64_t r) const {
    int64_t off = 0;
    for (size_t d = rank_ - 1; d-- > 0;) {
      const int64_t o = r % cfg_.out_shape[d];
      r /= cfg_.out_shape[d];
      off += tables_[d].index[static_cast<size_t>(o)] * in_strides_[d];
    }
    return off;
  }

  // Nearest: a pure gather, so any dtype works by element size.
  template <typename E>
  void gather_typed(const E* x, E* y) const {
    const AxisTable& tw = tables_[rank_ - 1];
    const int64_t out_w = tw.out;
    const int64_t* ix = tw.index.data();
#pragma omp parallel for if (out_numel_ > (1 << 15)) schedule(static)
    for (int64_t r = 0; r < out_rows_; ++r) {
      const E* s = x + gather_row_offset(r);
      E* d = y + r * out_w;
      for (int64_t ox = 0; ox < out_w; ++ox) d[ox] = s[ix[ox]];
    }
  }

  void run_gather(const Tensor& x, Tensor& y) const {
    switch (dtype_size(dtype_)) {
      case 1:
        gather_typed(static_cast<const uint8_t*>(x.raw()), static_cast<uint8_t*>(y.raw()));
        break;
      case 2:
        gather_typed(static_cast<const uint16_t*>(x.raw()), static_cast<uint16_t*>(y.raw()));
        break;
      case 4:
        gather_typed(static_cast<const uint32_t*>(x.raw()), static_cast<uint32_t*>(y.raw()));
        break;
      default:
        gather_typed(static_cast<const uint64_t*>(x.raw()), static_cast<uint64_t*>(y.raw()));
        break;
    }
  }

  template <typename T>
  static T cast_result(double v) {
    if constexpr (std::is_integral_v<T>) {
      v = std::nearbyint(v);
      v = std::clamp(v, static_cast<double>(std::numeric_limits<T>::lowest()),
                     static_cast<double>(std::numeric_limits<T>::max()));
    }
    return static_cast<T>(v);
  }

  // Any dtype, taps and tf_crop_and_resize extrapolation: per output row, the outer axes' tap combinations
  // (offset, weight) are expanded once, then each element blends them with the last axis' taps.
  template <typename T>
  void run_generic(const T* x, T* y) const {
    const AxisTable& tw = tables_[rank_ - 1];
    const int64_t out_w = tw.out;
    const int kw = tw.taps;
    const T extrapolation = cast_result<T>(cfg_.extrapolation);
#pragma omp parallel for if (out_numel_ > (1 << 12)) schedule(static)
    for (int64_t r = 0; r < out_rows_; ++r) {
      int64_t off[kMaxCombos];
      double wt[kMaxCombos];
      bool outside = false;
      int64_t n = 1;
      off[0] = 0;
      wt[0] = 1.0;
      int64_t rem = r;
      for (size_t d = rank_ - 1; d-- > 0;) {
        const AxisTable& t = tables_[d];
        const auto o = static_cast<size_t>(rem % t.out);
        rem /= t.out;
        outside = outside || t.outside[o] != 0;
        for (int64_t c = n - 1; c >= 0; --c) {  // expand in place, highest first
          for (int j = t.taps - 1; j >= 0; --j) {
            const size_t p = o * static_cast<size_t>(t.taps) + static_cast<size_t>(j);
            off[c * t.taps + j] = off[c] + t.index[p] * in_strides_[d];
            wt[c * t.taps + j] = wt[c] * t.weight[p];
          }
        }
        n *= t.taps;
      }
      T* dst = y + r * out_w;
      for (int64_t ox = 0; ox < out_w; ++ox) {
        if (outside || tw.outside[static_cast<size_t>(ox)]) {
          dst[ox] = extrapolation;
          continue;
        }
        double acc = 0.0;
        for (int64_t c = 0; c < n; ++c) {
          double v = 0.0;
          for (int j = 0; j < kw; ++j) {
            const size_t p = static_cast<size_t>(ox * kw + j);
            v += tw.weight[p] * static_cast<double>(x[off[c] + tw.index[p]]);
          }
          acc += wt[c] * v;
        }
        dst[ox] = cast_result<T>(acc);
      }
    }
  }

  bool add_z_ = false;
  ResizeConfig cfg_;
  DType dtype_ = DType::kFloat32;
  size_t rank_ = 0;
  std::vector<AxisTable> tables_;
  std::vector<int64_t> in_strides_;
  bool any_outside_ = false, plane_path_ = false, nhwc_path_ = false;
  int64_t combos_ = 1, out_rows_ = 1, out_numel_ = 0;
  // Plane path state, sized in prepare().
  int64_t planes_ = 1, rows_per_chunk_ = 1, chunks_ = 0, scratch_stride_ = 0;
  int threads_ = 1;
  std::vector<int64_t> chunk_lo_, chunk_hi_;
  std::vector<float> scratch_, wy_, wx_;
  Upsample2x x2_;
  // Channels-last path state.
  int64_t images_ = 1;
  NhwcSampling nhwc_;
};

std::unique_ptr<Kernel> make_resize_kernel() { return std::make_unique<ResizeKernel>(false); }
std::unique_ptr<Kernel> make_fused_resize_kernel() { return std::make_unique<ResizeKernel>(true); }

OpSchema resize_schema(const char* op_type, std::vector<int> shape_inputs) {
  OpSchema s;
  s.op_type = op_type;
  s.infer = infer_resize;
  s.create = make_resize_kernel;
  s.shape_inputs = std::move(shape_inputs);
  return s;
}

}  // namespace

void register_resize_ops(OpRegistry& r) {
  // roi, scales and sizes decide the output shape (opset 10 has only X, scales).
  r.add(resize_schema("Resize", {1, 2, 3}));
  r.add(resize_schema("Upsample", {1}));
  OpSchema fused = resize_schema("FusedResize", {1, 2, 3});
  fused.domain = kTandemDomain;
  fused.infer = infer_fused_resize;
  fused.create = make_fused_resize_kernel;
  r.add(std::move(fused));
}

}  // namespace tandem
