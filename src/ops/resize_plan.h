// Resize/Upsample at build time: the node's attributes and constant inputs turned into per-axis sampling tables.
#pragma once

#include <cstdint>
#include <vector>

#include "ops/op_registry.h"

namespace tandem {

enum class ResizeMode { kNearest, kLinear, kCubic };
enum class ResizeCoord {
  kHalfPixel,
  kPytorchHalfPixel,
  kAlignCorners,
  kAsymmetric,
  kTfHalfPixelForNN,
  kTfCropAndResize
};
// kSimple is what Upsample and Resize-10 did before nearest_mode existed: floor, or ceil when downsampling.
enum class NearestMode { kRoundPreferFloor, kRoundPreferCeil, kFloor, kCeil, kSimple };

struct ResizeConfig {
  ResizeMode mode = ResizeMode::kNearest;
  ResizeCoord coord = ResizeCoord::kHalfPixel;
  NearestMode nearest = NearestMode::kRoundPreferFloor;
  double cubic_a = -0.75;
  bool exclude_outside = false;
  double extrapolation = 0.0;
  Shape in_shape, out_shape;
  std::vector<double> scales;  // per axis: the given scale, or out/in when sizes were given
  std::vector<double> roi;     // 2 * rank: starts then ends (tf_crop_and_resize only)
  bool from_sizes = false;
};

// Parses Resize (opsets 10, 11, 13) and Upsample (7, 9); errors name the attribute or input at fault.
Result<ResizeConfig> parse_resize(const OpContext& ctx);

// How one output axis samples its input axis: `taps` (input index, weight) pairs per output position.
// Weights of one position sum to 1; indices are already clamped to the input (edge padding).
struct AxisTable {
  int64_t in = 0, out = 0;
  int taps = 1;
  std::vector<int64_t> index;    // out * taps
  std::vector<double> weight;    // out * taps
  std::vector<uint8_t> outside;  // out; 1 where tf_crop_and_resize samples outside the input
  bool any_outside = false;
  bool identity = false;  // out == in and position o reads exactly input o
};

// Builds axis `d`'s table; a table whose every position has a single tap of weight 1 is reduced to taps = 1.
AxisTable build_axis_table(const ResizeConfig& cfg, size_t d);

// The H and W tables (`th`, `tw`) of channels-last [..., H, W, C] images as element offsets and float weights:
// per output row its th.taps input row offsets (th.index * W_in * C) and weights, per output column its tw.taps
// column offsets (tw.index * C) and weights -- what the NHWC row kernels read.
struct NhwcSampling {
  std::vector<int64_t> yoff, xoff;
  std::vector<float> wy, wx;
};
NhwcSampling nhwc_sampling(const AxisTable& th, const AxisTable& tw, int64_t channels);

}  // namespace tandem
