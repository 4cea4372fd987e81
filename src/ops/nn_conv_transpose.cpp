// ConvTranspose: shape inference and the reference kernel, as the adjoint of Conv: a gemm with W transposed
// gives every (output channel, tap) x (input position) product, and col2im scatters them into Y.
#include <algorithm>
#include <string>

#include "core/checked_size.h"
#include "ops/nn_conv.h"
#include "ops/nn_gemm.h"
#include "ops/nn_register.h"
#include "ops/nn_window.h"

namespace tandem {
namespace {

constexpr int64_t kParallelWork = int64_t{1} << 15;

// The transposed convolution Y = ConvTranspose(X) is described by the Conv that maps Y's shape back to X's:
// window.in is Y's spatial shape and window.out is X's.
struct ConvTransposeGeometry {
  DType dtype = DType::kUndefined;
  int64_t batch = 0, in_channels = 0, out_channels = 0, group = 1;
  WindowGeometry window;

  Shape output_shape() const {
    Shape s{batch, out_channels};
    s.insert(s.end(), window.in.begin(), window.in.end());
    return s;
  }
};

Result<ConvTransposeGeometry> conv_transpose_geometry(const OpContext& ctx) {
  TANDEM_RETURN_IF_ERROR(check_conv_operands(ctx));
  const OperandInfo& x = ctx.in(0);
  const OperandInfo& w = ctx.in(1);
  const size_t rank = x.shape.size() - 2;
  TANDEM_CHECK_OR_RETURN(rank <= kMaxSpatialRank, kUnsupported, "%zu spatial dims are not supported", rank);
  const Attributes& attrs = ctx.attrs();
  ConvTransposeGeometry g;
  g.dtype = x.dtype;
  g.batch = x.shape[0];
  g.in_channels = x.shape[1];
  g.group = attrs.get_int("group", 1);
  TANDEM_CHECK_OR_RETURN(g.group >= 1 && w.shape[0] == g.in_channels && g.in_channels % g.group == 0, kInvalidArgument,
                         "X %s and W %s do not match group=%lld", shape_to_string(x.shape).c_str(),
                         shape_to_string(w.shape).c_str(), static_cast<long long>(g.group));
  TANDEM_CHECK_OR_RETURN(checked_mul(w.shape[1], g.group, &g.out_channels), kInvalidArgument,
                         "W %s with group=%lld has too many output channels", shape_to_string(w.shape).c_str(),
                         static_cast<long long>(g.group));
  if (ctx.has_input(2))
    TANDEM_CHECK_OR_RETURN(ctx.in(2).dtype == x.dtype && ctx.in(2).shape == Shape{g.out_channels}, kInvalidArgument,
                           "bias %s must be [%lld]", shape_to_string(ctx.in(2).shape).c_str(),
                           static_cast<long long>(g.out_channels));

  WindowGeometry& win = g.window;
  win.out.assign(x.shape.begin() + 2, x.shape.end());
  win.kernel.assign(w.shape.begin() + 2, w.shape.end());
  if (attrs.has("kernel_shape"))
    TANDEM_CHECK_OR_RETURN(attrs.get_ints("kernel_shape") == win.kernel, kInvalidArgument,
                           "attribute 'kernel_shape'=%s does not match W %s",
                           shape_to_string(attrs.get_ints("kernel_shape")).c_str(), shape_to_string(w.shape).c_str());
  TANDEM_ASSIGN_OR_RETURN(win.strides, window_ints(attrs, "strides", rank, 1, 1));
  TANDEM_ASSIGN_OR_RETURN(win.dilations, window_ints(attrs, "dilations", rank, 1, 1));
  TANDEM_ASSIGN_OR_RETURN(std::vector<int64_t> out_pad, window_ints(attrs, "output_padding", rank, 0, 0));
  TANDEM_ASSIGN_OR_RETURN(std::vector<int64_t> pads, window_ints(attrs, "pads", 2 * rank, 0, 0));
  const std::string auto_pad = attrs.get_string("auto_pad", "NOTSET");
  TANDEM_CHECK_OR_RETURN(
      auto_pad == "NOTSET" || auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER" || auto_pad == "VALID", kUnsupported,
      "attribute 'auto_pad'='%s' is not supported", auto_pad.c_str());
  std::vector<int64_t> out_shape = attrs.get_ints("output_shape");
  if (out_shape.size() == rank + 2) out_shape.erase(out_shape.begin(), out_shape.begin() + 2);  // [N, C, ...] form
  TANDEM_CHECK_OR_RETURN(out_shape.empty() || out_shape.size() == rank, kInvalidArgument,
                         "attribute 'output_shape'=%s does not have %zu spatial dims",
                         shape_to_string(out_shape).c_str(), rank);

  win.in.assign(rank, 0);
  win.pad_begin.assign(rank, 0);
  win.pad_end.assign(rank, 0);
  for (size_t d = 0; d < rank; ++d) {
    // Extent of the full transposed result before any cropping, in 128 bits: strides and input sizes from a
    // hostile model could overflow 64.
    const __int128 full128 = static_cast<__int128>(win.strides[d]) * (win.out[d] - 1) + out_pad[d] +
                             static_cast<__int128>(win.kernel[d] - 1) * win.dilations[d] + 1;
    const __int128 same128 = static_cast<__int128>(win.out[d]) * win.strides[d];
    TANDEM_CHECK_OR_RETURN(full128 < (__int128{1} << 62) && same128 < (__int128{1} << 62), kInvalidArgument,
                           "strides %s and dilations %s make an output too large to count",
                           shape_to_string(win.strides).c_str(), shape_to_string(win.dilations).c_str());
    const int64_t full = static_cast<int64_t>(full128);
    const bool same = auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER";
    if (!out_shape.empty() || same) {
      win.in[d] = !out_shape.empty() ? out_shape[d] : static_cast<int64_t>(same128);
      // Crop `total` cells: SAME_UPPER crops the odd one at the end, otherwise at the beginning (ONNX spec).
      const int64_t total = std::max<int64_t>(0, full - win.in[d]);
      win.pad_begin[d] = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
    } else if (auto_pad == "VALID") {
      win.in[d] = full;
    } else {
      win.pad_begin[d] = pads[d];
      win.in[d] = full - pads[d] - pads[d + rank];
    }
    TANDEM_CHECK_OR_RETURN(win.in[d] >= 0, kInvalidArgument, "pads %s crop more than the output %s has",
                           shape_to_string(pads).c_str(), shape_to_string(win.in).c_str());
    win.pad_end[d] = full - win.in[d] - win.pad_begin[d] - out_pad[d];  // informational; col2im needs pad_begin
  }
  return g;
}

Status infer_conv_transpose(OpContext& ctx) {
  TANDEM_ASSIGN_OR_RETURN(ConvTransposeGeometry g, conv_transpose_geometry(ctx));
  ctx.set_output(0, g.dtype, g.output_shape());
  return Status::ok();
}

// Adjoint of im2col: y (channels planes of Y) = sum over taps of col rows scattered to their input positions.
template <typename T>
void col2im(const WindowGeometry& w, const T* col, int64_t channels, T* y, bool parallel) {
  const int64_t taps = w.kernel_size(), positions = w.out_size(), plane = w.in_size();
  const int64_t inner_out = w.out.back(), s = w.strides.back();
#pragma omp parallel for if (parallel && channels * taps * positions > kParallelWork) schedule(static)
  for (int64_t c = 0; c < channels; ++c) {
    T* yc = y + c * plane;
    std::fill(yc, yc + plane, T{0});
    for (int64_t t = 0; t < taps; ++t) {
      const T* src = col + (c * taps + t) * positions;
      for_each_tap_row(w, t, [&](int64_t q, int64_t base, bool inside, int64_t lo, int64_t hi) {
        if (!inside) return;
        const T* srow = src + q * inner_out;
        for (int64_t ow = lo; ow < hi; ++ow) yc[base + ow * s] += srow[ow];
      });
    }
  }
}

class ConvTransposeKernel : public Kernel {
 public:
  Status prepare(const OpContext& ctx) override {
    TANDEM_ASSIGN_OR_RETURN(geo_, conv_transpose_geometry(ctx));
    const int64_t rows = geo_.out_channels / geo_.group * geo_.window.kernel_size();
    TANDEM_ASSIGN_OR_RETURN(col_, Tensor::allocate(geo_.dtype, {rows, geo_.window.out_size()}, "its col2im matrix"));
    return Status::ok();
  }

  Status run(std::span<const Tensor> in, std::span<Tensor> out) override {
    const Tensor* bias = in.size() > 2 && in[2].defined() ? &in[2] : nullptr;
    if (geo_.dtype == DType::kFloat32) {
      run_typed<float>(in[0], in[1], bias, out[0]);
    } else {
      run_typed<double>(in[0], in[1], bias, out[0]);
    }
    return Status::ok();
  }

 private:
  template <typename T>
  void run_typed(const Tensor& x, const Tensor& w, const Tensor* bias, Tensor& y) {
    const WindowGeometry& win = geo_.window;
    const int64_t cg = geo_.in_channels / geo_.group, mg = geo_.out_channels / geo_.group;
    const int64_t taps = win.kernel_size(), x_size = win.out_size(), y_size = win.in_size();
    T* col = col_.data<T>();
    for (int64_t n = 0; n < geo_.batch; ++n) {
      for (int64_t gi = 0; gi < geo_.group; ++gi) {
        // col[(m, tap), p] = sum_c W[c, m, tap] * X[c, p]: W's group slice read transposed.
        GemmArgs<T> g;
        g.m = mg * taps;
        g.n = x_size;
        g.k = cg;
        g.a = w.data<T>() + gi * cg * mg * taps;
        g.a_row = 1;
        g.a_col = mg * taps;
        g.b = x.data<T>() + (n * geo_.in_channels + gi * cg) * x_size;
        g.b_row = x_size;
        g.c = col;
        g.ldc = x_size;
        gemm_reference(g, true);
        T* yg = y.data<T>() + (n * geo_.out_channels + gi * mg) * y_size;
        col2im(win, col, mg, yg, true);
        if (!bias) continue;
        const T* b = bias->data<T>() + gi * mg;
        for (int64_t m = 0; m < mg; ++m)
          for (int64_t i = 0; i < y_size; ++i) yg[m * y_size + i] += b[m];
      }
    }
  }

  ConvTransposeGeometry geo_;
  Tensor col_;  // (out channels per group * taps) x (input positions)
};

}  // namespace

void register_conv_transpose_ops(OpRegistry& r) {
  add_op(r, "", "ConvTranspose", infer_conv_transpose,
         [] { return std::unique_ptr<Kernel>(std::make_unique<ConvTransposeKernel>()); });
}

}  // namespace tandem
