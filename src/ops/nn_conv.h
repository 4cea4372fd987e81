// Conv's shape rules and reference kernel, shared with FusedConv (which adds a residual input and an activation).
#pragma once

#include <memory>
#include <span>

#include "core/status.h"
#include "core/tensor.h"
#include "ops/activation.h"
#include "ops/nn_window.h"
#include "ops/op_registry.h"

namespace tandem {

struct ConvGeometry {
  DType dtype = DType::kUndefined;
  int64_t batch = 0, in_channels = 0, out_channels = 0, group = 1;
  WindowGeometry window;
  // FusedConv only (attributes src_layout / dst_layout = "NHWC"): X, or Y and Z, are channels-last
  // [N, spatial..., C], so a conv can read and write transformer tokens [N, H*W, C] in place.
  bool src_channels_last = false, dst_channels_last = false;

  Shape output_shape() const;
};

// Tandem's direct NCHW float kernel (backends/cpu/conv2d_f32_nchw_direct.cpp) takes 2-D convs with at most this
// many output channels, group 1 and unit column stride.
inline constexpr int64_t kDirectConvMaxOutChannels = 8;
// Whether `conv` (Conv or FusedConv, shapes known) is such a conv over rows wide enough for its register blocking
// (64 columns). There it beats oneDNN in every layout and precision (MTNet-B0's depth output, 16 -> 1 channels at
// 256x512: 1.6 ms direct fp32 against 3.7 ms oneDNN int8 at 1 thread), so the layout and int8 passes leave it an
// NCHW float conv -- unless it can read NHWC (reads_nhwc_directly).
bool prefers_direct_nchw_conv(const Node& conv);
// Tandem's direct NHWC kernel (backends/cpu/conv2d_nhwc_direct.cpp): 2-D, group 1, at most
// kDirectConvMaxOutChannels outputs, a channels-last input whose C is a multiple of 16 (float or int8).
bool nhwc_direct_conv_applies(const ConvGeometry& g);
// A prefers_direct_nchw_conv conv whose input that kernel can read channels-last: a channels-last region may
// then end at it (it reads the region's NHWC map and writes NCHW) instead of the region's last conv reordering
// its whole output for it, and in an int8 stage it reads the int8 map.
bool reads_nhwc_directly(const Node& conv);

// Validates X, W and the optional bias (inputs 0..2) and the Conv attributes of `ctx`'s node.
// Checks the X and W operands Conv and ConvTranspose share: both present, float, equal dtype and rank >= 3.
Status check_conv_operands(const OpContext& ctx);
Result<ConvGeometry> conv_geometry(const OpContext& ctx);

// Y = conv(X, W) + B (+ Z) then `activation`, by im2col and gemm_reference per (image, group).
// Plain Conv is ConvKernel(false); FusedConv is ConvKernel(true): input 3 is the residual Z and the
// `activation` / `activation_params` attributes are read.
class ConvKernel : public Kernel {
 public:
  explicit ConvKernel(bool fused) : fused_(fused) {}
  Status prepare(const OpContext& ctx) override;
  Status run(std::span<const Tensor> in, std::span<Tensor> out) override;

 private:
  template <typename T>
  void run_typed(const Tensor& x, const Tensor& w, const Tensor& bias, const Tensor& z, Tensor& y);
  // Channels-last operands go through channels-first copies (the reference favours plainness over speed).
  template <typename T>
  void run_channels_last(const Tensor& x, const Tensor& w, const Tensor& bias, const Tensor& z, Tensor& y);

  bool fused_ = false;
  ConvGeometry geo_;
  Activation activation_;
  bool pointwise_ = false;      // 1x1 kernel, unit strides, no pads: X is already the im2col matrix
  bool parallel_jobs_ = false;  // threads split (image, group) jobs instead of each product
  int threads_ = 1;
  Tensor col_;  // im2col scratch, one slice per thread when parallel_jobs_
  Tensor x_cf_, z_cf_, y_cf_;  // channels-first copies for channels-last operands
};

}  // namespace tandem
