// Conv: shape inference and the reference kernel (im2col + gemm_reference per image and group).
#include "ops/nn_conv.h"

#include <omp.h>

#include <algorithm>
#include <cstring>
#include <type_traits>

#include "core/checked_size.h"
#include "ops/nn_gemm.h"
#include "ops/nn_register.h"

namespace tandem {
namespace {

constexpr int64_t kParallelWork = int64_t{1} << 15;
// Threads take whole (image, group) jobs only while their private im2col slices stay this small.
constexpr int64_t kMaxJobScratchBytes = int64_t{256} << 20;

// Lays the receptive fields of `channels` input planes out as a (channels * kernel taps) x (output positions)
// matrix; taps falling into the padding read 0.
template <typename T>
void im2col(const WindowGeometry& w, const T* x, int64_t channels, T* col, bool parallel) {
  const int64_t taps = w.kernel_size(), positions = w.out_size(), in_size = w.in_size();
  const int64_t inner_out = w.out.back(), s = w.strides.back();
  const int64_t rows = channels * taps;
#pragma omp parallel for if (parallel && rows * positions > kParallelWork) schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const T* xc = x + (r / taps) * in_size;
    T* dst = col + r * positions;
    for_each_tap_row(w, r % taps, [&](int64_t q, int64_t base, bool inside, int64_t lo, int64_t hi) {
      T* drow = dst + q * inner_out;
      if (!inside) {
        std::fill(drow, drow + inner_out, T{0});
        return;
      }
      std::fill(drow, drow + lo, T{0});
      if (s == 1) {
        if (hi > lo) std::memcpy(drow + lo, xc + (base + lo), static_cast<size_t>(hi - lo) * sizeof(T));
      } else {
        for (int64_t ow = lo; ow < hi; ++ow) drow[ow] = xc[base + ow * s];
      }
      std::fill(drow + hi, drow + inner_out, T{0});
    });
  }
}

// y[m, :] = act((y[m, :] + bias[m]) + z[m, :]) over `channels` rows of `positions` values.
template <typename T>
void conv_epilogue(T* y, int64_t channels, int64_t positions, const T* bias, const T* z, const Activation& act,
                   bool parallel) {
  const bool has_act = act.kind != ActivationKind::kNone;
  if (!bias && !z && !has_act) return;
#pragma omp parallel for if (parallel && channels * positions > kParallelWork) schedule(static)
  for (int64_t m = 0; m < channels; ++m) {
    T* row = y + m * positions;
    const T b = bias ? bias[m] : T{0};
    if (bias)
      for (int64_t p = 0; p < positions; ++p) row[p] += b;
    if (z)
      for (int64_t p = 0; p < positions; ++p) row[p] += z[m * positions + p];
    if constexpr (std::is_same_v<T, float>) {
      if (has_act)
        for (int64_t p = 0; p < positions; ++p) row[p] = act.apply(row[p]);
    }
  }
}

Status infer_conv(OpContext& ctx) {
  TANDEM_ASSIGN_OR_RETURN(ConvGeometry g, conv_geometry(ctx));
  ctx.set_output(0, g.dtype, g.output_shape());
  return Status::ok();
}

}  // namespace

Shape ConvGeometry::output_shape() const {
  Shape s{batch};
  if (!dst_channels_last) s.push_back(out_channels);
  s.insert(s.end(), window.out.begin(), window.out.end());
  if (dst_channels_last) s.push_back(out_channels);
  return s;
}

namespace {

// "NCHW" (the default) or "NHWC" on a 4-D FusedConv; plain Conv has no such attributes.
Result<bool> channels_last_attr(const OpContext& ctx, const char* name) {
  if (ctx.node->domain != kTandemDomain) return false;
  const std::string layout = ctx.attrs().get_string(name, "NCHW");
  TANDEM_CHECK_OR_RETURN(layout == "NCHW" || layout == "NHWC", kInvalidArgument,
                         "attribute '%s'='%s' must be NCHW or NHWC", name, layout.c_str());
  TANDEM_CHECK_OR_RETURN(layout == "NCHW" || ctx.in(0).shape.size() == 4, kInvalidArgument,
                         "attribute '%s'='NHWC' needs a 4-D X", name);
  return layout == "NHWC";
}

// Moves the channel axis of [N, C, S...] to the back ([N, S..., C]) or, with `to_last` false, back again.
template <typename T>
void move_channels(const T* src, T* dst, int64_t batch, int64_t channels, int64_t positions, bool to_last) {
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t p = 0; p < positions; ++p) {
        int64_t first = (n * channels + c) * positions + p, last = (n * positions + p) * channels + c;
        if (to_last) dst[last] = src[first];
        else dst[first] = src[last];
      }
}

}  // namespace

Status check_conv_operands(const OpContext& ctx) {
  TANDEM_CHECK_OR_RETURN(ctx.has_input(0) && ctx.has_input(1), kInvalidArgument, "inputs X and W are required");
  const OperandInfo& x = ctx.in(0);
  const OperandInfo& w = ctx.in(1);
  TANDEM_CHECK_OR_RETURN(x.dtype == DType::kFloat32 || x.dtype == DType::kFloat64, kUnsupported,
                         "dtype %s is not supported (float32, float64)", dtype_name(x.dtype));
  TANDEM_CHECK_OR_RETURN(w.dtype == x.dtype, kInvalidArgument, "W dtype %s differs from X dtype %s",
                         dtype_name(w.dtype), dtype_name(x.dtype));
  TANDEM_CHECK_OR_RETURN(x.shape.size() >= 3 && w.shape.size() == x.shape.size(), kInvalidArgument,
                         "X %s and W %s must both be [N, C, spatial...] of equal rank",
                         shape_to_string(x.shape).c_str(), shape_to_string(w.shape).c_str());
  return Status::ok();
}

Result<ConvGeometry> conv_geometry(const OpContext& ctx) {
  TANDEM_RETURN_IF_ERROR(check_conv_operands(ctx));
  const OperandInfo& x = ctx.in(0);
  const OperandInfo& w = ctx.in(1);
  ConvGeometry g;
  TANDEM_ASSIGN_OR_RETURN(g.src_channels_last, channels_last_attr(ctx, "src_layout"));
  TANDEM_ASSIGN_OR_RETURN(g.dst_channels_last, channels_last_attr(ctx, "dst_layout"));
  // From here on X is described channels-first, as the attributes and W are.
  Shape xs = x.shape;
  if (g.src_channels_last) xs = {xs[0], xs[3], xs[1], xs[2]};
  g.dtype = x.dtype;
  g.batch = xs[0];
  g.in_channels = xs[1];
  g.out_channels = w.shape[0];
  g.group = ctx.attrs().get_int("group", 1);
  TANDEM_CHECK_OR_RETURN(g.group >= 1, kInvalidArgument, "attribute 'group'=%lld must be >= 1",
                         static_cast<long long>(g.group));
  int64_t grouped_in = 0;
  TANDEM_CHECK_OR_RETURN(checked_mul(w.shape[1], g.group, &grouped_in) && g.in_channels == grouped_in &&
                             g.out_channels % g.group == 0,
                         kInvalidArgument,
                         "X %s and W %s do not match group=%lld", shape_to_string(xs).c_str(),
                         shape_to_string(w.shape).c_str(), static_cast<long long>(g.group));
  if (ctx.has_input(2)) {
    const OperandInfo& b = ctx.in(2);
    TANDEM_CHECK_OR_RETURN(b.dtype == x.dtype && b.shape == Shape{g.out_channels}, kInvalidArgument,
                           "bias %s %s must be %s [%lld]", dtype_name(b.dtype), shape_to_string(b.shape).c_str(),
                           dtype_name(x.dtype), static_cast<long long>(g.out_channels));
  }
  const std::vector<int64_t> in_spatial(xs.begin() + 2, xs.end());
  const std::vector<int64_t> kernel(w.shape.begin() + 2, w.shape.end());
  if (ctx.attrs().has("kernel_shape")) {
    std::vector<int64_t> ks = ctx.attrs().get_ints("kernel_shape");
    TANDEM_CHECK_OR_RETURN(ks == kernel, kInvalidArgument, "attribute 'kernel_shape'=%s does not match W %s",
                           shape_to_string(ks).c_str(), shape_to_string(w.shape).c_str());
  }
  TANDEM_ASSIGN_OR_RETURN(g.window, window_geometry(ctx.attrs(), in_spatial, kernel, WindowOptions{}));
  return g;
}

Status ConvKernel::prepare(const OpContext& ctx) {
  TANDEM_ASSIGN_OR_RETURN(geo_, conv_geometry(ctx));
  if (fused_) {
    TANDEM_ASSIGN_OR_RETURN(activation_, Activation::parse(ctx.attrs().get_string("activation", "None"),
                                                           ctx.attrs().get_floats("activation_params")));
    TANDEM_CHECK_OR_RETURN(activation_.kind == ActivationKind::kNone || geo_.dtype == DType::kFloat32, kUnsupported,
                           "activation on dtype %s is not supported", dtype_name(geo_.dtype));
  }
  const WindowGeometry& w = geo_.window;
  pointwise_ = true;
  for (size_t d = 0; d < w.rank(); ++d)
    pointwise_ = pointwise_ && w.kernel[d] == 1 && w.strides[d] == 1 && w.pad_begin[d] == 0 && w.pad_end[d] == 0;
  threads_ = std::max(1, omp_get_max_threads());
  const int64_t jobs = geo_.batch * geo_.group;
  // The im2col matrix is the one size here not bounded by a tensor's: taps x output positions.
  int64_t col_elems = 0;
  TANDEM_CHECK_OR_RETURN(pointwise_ || (checked_mul(geo_.in_channels / geo_.group, w.kernel_size(), &col_elems) &&
                                        checked_mul(col_elems, w.out_size(), &col_elems)),
                         kResourceExhausted, "its im2col matrix (kernel %s over %s positions) is too large to count",
                         shape_to_string(w.kernel).c_str(), shape_to_string(w.out).c_str());
  const int64_t elem_bytes = static_cast<int64_t>(dtype_size(geo_.dtype));
  parallel_jobs_ = threads_ > 1 && jobs >= threads_ && col_elems <= kMaxJobScratchBytes / threads_ / elem_bytes;
  if (col_elems > 0) {
    TANDEM_ASSIGN_OR_RETURN(col_, Tensor::allocate(geo_.dtype, {col_elems, parallel_jobs_ ? threads_ : 1},
                                                   "its im2col matrix"));
  }
  const int64_t in_elems = geo_.batch * geo_.in_channels * w.in_size();
  const int64_t out_elems = geo_.batch * geo_.out_channels * w.out_size();
  if (geo_.src_channels_last) x_cf_ = Tensor::make(geo_.dtype, {in_elems});
  if (geo_.dst_channels_last) {
    y_cf_ = Tensor::make(geo_.dtype, {out_elems});
    if (ctx.has_input(3)) z_cf_ = Tensor::make(geo_.dtype, {out_elems});
  }
  return Status::ok();
}

template <typename T>
void ConvKernel::run_typed(const Tensor& x, const Tensor& w, const Tensor& bias, const Tensor& z, Tensor& y) {
  const WindowGeometry& win = geo_.window;
  const int64_t group = geo_.group;
  const int64_t cg = geo_.in_channels / group, mg = geo_.out_channels / group;
  const int64_t kg = cg * win.kernel_size(), positions = win.out_size(), in_size = win.in_size();
  const int64_t col_elems = pointwise_ ? 0 : kg * positions;
  const T* xd = x.data<T>();
  const T* wd = w.data<T>();
  const T* bd = bias.defined() ? bias.data<T>() : nullptr;
  const T* zd = z.defined() ? z.data<T>() : nullptr;
  T* yd = y.data<T>();
  T* col_base = col_elems > 0 ? col_.data<T>() : nullptr;

  auto job = [&](int64_t j, T* col, bool parallel) {
    const int64_t n = j / group, gi = j % group;
    const T* xg = xd + (n * geo_.in_channels + gi * cg) * in_size;
    const T* bmat = xg;
    if (!pointwise_) {
      im2col(win, xg, cg, col, parallel);
      bmat = col;
    }
    const int64_t y_off = (n * geo_.out_channels + gi * mg) * positions;
    GemmArgs<T> g;
    g.m = mg;
    g.n = positions;
    g.k = kg;
    g.a = wd + gi * mg * kg;
    g.a_row = kg;
    g.b = bmat;
    g.b_row = positions;
    g.c = yd + y_off;
    g.ldc = positions;
    gemm_reference(g, parallel);
    conv_epilogue(yd + y_off, mg, positions, bd ? bd + gi * mg : nullptr, zd ? zd + y_off : nullptr, activation_,
                  parallel);
  };

  const int64_t jobs = geo_.batch * group;
  if (parallel_jobs_) {
    const bool big = jobs * mg * kg * positions > kParallelWork;
#pragma omp parallel for num_threads(threads_) if (big) schedule(static)
    for (int64_t j = 0; j < jobs; ++j) job(j, col_base ? col_base + omp_get_thread_num() * col_elems : nullptr, false);
  } else {
    for (int64_t j = 0; j < jobs; ++j) job(j, col_base, true);
  }
}

template <typename T>
void ConvKernel::run_channels_last(const Tensor& x, const Tensor& w, const Tensor& bias, const Tensor& z, Tensor& y) {
  const int64_t in_pos = geo_.window.in_size(), out_pos = geo_.window.out_size();
  const Tensor* xp = &x;
  if (geo_.src_channels_last) {
    move_channels(x.data<T>(), x_cf_.data<T>(), geo_.batch, geo_.in_channels, in_pos, false);
    xp = &x_cf_;
  }
  const Tensor* zp = &z;
  if (z.defined() && geo_.dst_channels_last) {
    move_channels(z.data<T>(), z_cf_.data<T>(), geo_.batch, geo_.out_channels, out_pos, false);
    zp = &z_cf_;
  }
  run_typed<T>(*xp, w, bias, *zp, geo_.dst_channels_last ? y_cf_ : y);
  if (geo_.dst_channels_last) move_channels(y_cf_.data<T>(), y.data<T>(), geo_.batch, geo_.out_channels, out_pos, true);
}

Status ConvKernel::run(std::span<const Tensor> in, std::span<Tensor> out) {
  static const Tensor kNone;
  const Tensor& bias = in.size() > 2 ? in[2] : kNone;
  const Tensor& z = fused_ && in.size() > 3 ? in[3] : kNone;
  if (geo_.src_channels_last || geo_.dst_channels_last) {
    if (geo_.dtype == DType::kFloat32) run_channels_last<float>(in[0], in[1], bias, z, out[0]);
    else run_channels_last<double>(in[0], in[1], bias, z, out[0]);
    return Status::ok();
  }
  if (geo_.dtype == DType::kFloat32) {
    run_typed<float>(in[0], in[1], bias, z, out[0]);
  } else {
    run_typed<double>(in[0], in[1], bias, z, out[0]);
  }
  return Status::ok();
}

void register_conv_ops(OpRegistry& r) {
  add_op(r, "", "Conv", infer_conv, [] { return std::unique_ptr<Kernel>(std::make_unique<ConvKernel>(false)); });
}

bool prefers_direct_nchw_conv(const Node& conv) {
  const Value* w = conv.input(1);
  const Value* y = conv.output(0);
  if (!w || !w->has_shape || w->shape.size() != 4 || !y || !y->has_shape || y->shape.size() != 4) return false;
  const std::vector<int64_t> strides = conv.attrs.get_ints("strides", {1, 1});
  return w->shape[0] <= kDirectConvMaxOutChannels && conv.attrs.get_int("group", 1) == 1 &&
         (strides.size() < 2 || strides[1] == 1) && conv.attrs.get_string("dst_layout", "NCHW") == "NCHW" &&
         y->shape[3] >= 64;
}

bool nhwc_direct_conv_applies(const ConvGeometry& g) {
  return g.window.rank() == 2 && g.group == 1 && g.out_channels <= kDirectConvMaxOutChannels &&
         g.src_channels_last && g.in_channels % 16 == 0;
}

bool reads_nhwc_directly(const Node& conv) {
  const Value* w = conv.input(1);
  return prefers_direct_nchw_conv(conv) && w->shape[1] % 16 == 0;
}

}  // namespace tandem
