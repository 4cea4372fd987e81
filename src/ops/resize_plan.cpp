// Resize/Upsample attribute parsing and the per-axis sampling tables (coordinate transform + interpolation taps).
#include "ops/resize_plan.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace tandem {
namespace {

Status parse_strings(const Attributes& a, ResizeConfig& cfg) {
  const std::string mode = a.get_string("mode", "nearest");
  if (mode == "nearest") {
    cfg.mode = ResizeMode::kNearest;
  } else if (mode == "linear" || mode == "bilinear") {
    cfg.mode = ResizeMode::kLinear;
  } else if (mode == "cubic") {
    cfg.mode = ResizeMode::kCubic;
  } else {
    return Status(Code::kUnsupported, "attribute 'mode'='" + mode + "' is not supported");
  }
  const std::string coord = a.get_string("coordinate_transformation_mode", "half_pixel");
  if (coord == "half_pixel") {
    cfg.coord = ResizeCoord::kHalfPixel;
  } else if (coord == "pytorch_half_pixel") {
    cfg.coord = ResizeCoord::kPytorchHalfPixel;
  } else if (coord == "align_corners") {
    cfg.coord = ResizeCoord::kAlignCorners;
  } else if (coord == "asymmetric") {
    cfg.coord = ResizeCoord::kAsymmetric;
  } else if (coord == "tf_half_pixel_for_nn") {
    cfg.coord = ResizeCoord::kTfHalfPixelForNN;
  } else if (coord == "tf_crop_and_resize") {
    cfg.coord = ResizeCoord::kTfCropAndResize;
  } else {
    return Status(Code::kUnsupported, "attribute 'coordinate_transformation_mode'='" + coord + "' is not supported");
  }
  const std::string nearest = a.get_string("nearest_mode", "round_prefer_floor");
  if (nearest == "round_prefer_floor") {
    cfg.nearest = NearestMode::kRoundPreferFloor;
  } else if (nearest == "round_prefer_ceil") {
    cfg.nearest = NearestMode::kRoundPreferCeil;
  } else if (nearest == "floor") {
    cfg.nearest = NearestMode::kFloor;
  } else if (nearest == "ceil") {
    cfg.nearest = NearestMode::kCeil;
  } else {
    return Status(Code::kUnsupported, "attribute 'nearest_mode'='" + nearest + "' is not supported");
  }
  return Status::ok();
}

// Opset 18 additions we do not implement; refuse them rather than silently ignore them.
Status check_newer_attributes(const Attributes& a) {
  if (a.get_int("antialias", 0) != 0) return Status(Code::kUnsupported, "attribute 'antialias'=1 is not supported");
  if (a.has("axes")) return Status(Code::kUnsupported, "attribute 'axes' is not supported");
  const std::string policy = a.get_string("keep_aspect_ratio_policy", "stretch");
  if (policy != "stretch")
    return Status(Code::kUnsupported, "attribute 'keep_aspect_ratio_policy'='" + policy + "' is not supported");
  return Status::ok();
}

// The constant value of a present input, or null when absent or empty; non-constant is an error.
Result<const Tensor*> constant_input(const OpContext& ctx, int i, const char* name) {
  if (!ctx.has_input(i)) return static_cast<const Tensor*>(nullptr);
  const Tensor* t = ctx.in(i).constant;
  if (!t) return Status(Code::kUnsupported, format("input '%s' must be constant", name));
  return t->numel() == 0 ? nullptr : t;
}

Status read_scales_or_sizes(const OpContext& ctx, bool legacy, ResizeConfig& cfg) {
  const size_t rank = cfg.in_shape.size();
  const Tensor* scales = nullptr;
  const Tensor* sizes = nullptr;
  if (legacy && ctx.node->op_type == "Upsample" && ctx.opset < 9) {
    std::vector<float> s = ctx.attrs().get_floats("scales");
    cfg.scales.assign(s.begin(), s.end());
  } else {
    TANDEM_ASSIGN_OR_RETURN(scales, constant_input(ctx, legacy ? 1 : 2, "scales"));
    if (!legacy) {
      TANDEM_ASSIGN_OR_RETURN(sizes, constant_input(ctx, 3, "sizes"));
    }
    if (scales && sizes) return Status(Code::kInvalidArgument, "only one of inputs 'scales' and 'sizes' may be given");
    if (!scales && !sizes) return Status(Code::kInvalidArgument, "one of inputs 'scales' and 'sizes' must be given");
    if (scales) {
      if (!dtype_is_float(scales->dtype()))
        return Status(Code::kInvalidArgument,
                      format("input 'scales' must be float, got %s", dtype_name(scales->dtype())));
      for (int64_t i = 0; i < scales->numel(); ++i) cfg.scales.push_back(scales->float_at(i));
    }
  }
  if (sizes) {
    if (dtype_is_float(sizes->dtype()))
      return Status(Code::kInvalidArgument, format("input 'sizes' must be int64, got %s", dtype_name(sizes->dtype())));
    cfg.out_shape = sizes->to_int_vector();
    cfg.from_sizes = true;
    if (cfg.out_shape.size() != rank)
      return Status(Code::kInvalidArgument,
                    format("input 'sizes'=%s must have one value per dim of X %s",
                           shape_to_string(cfg.out_shape).c_str(), shape_to_string(cfg.in_shape).c_str()));
    for (size_t d = 0; d < rank; ++d) {
      if (cfg.out_shape[d] < 0)
        return Status(Code::kInvalidArgument, "input 'sizes'=" + shape_to_string(cfg.out_shape) + " is negative");
      cfg.scales.push_back(
          cfg.in_shape[d] == 0 ? 1.0 : static_cast<double>(cfg.out_shape[d]) / static_cast<double>(cfg.in_shape[d]));
    }
    return Status::ok();
  }
  if (cfg.scales.size() != rank)
    return Status(Code::kInvalidArgument, format("'scales' has %zu values but X %s has rank %zu", cfg.scales.size(),
                                                 shape_to_string(cfg.in_shape).c_str(), rank));
  for (size_t d = 0; d < rank; ++d) {
    if (!(cfg.scales[d] > 0))
      return Status(Code::kInvalidArgument, format("'scales'[%zu]=%g must be > 0", d, cfg.scales[d]));
    double extent = static_cast<double>(cfg.in_shape[d]) * cfg.scales[d];
    if (cfg.coord == ResizeCoord::kTfCropAndResize) extent *= cfg.roi[d + rank] - cfg.roi[d];
    // A float too large for int64 (scales of 1e30, or inf) would make the cast undefined, not an error.
    if (!(extent >= 0 && extent < 0x1p62))
      return Status(Code::kInvalidArgument, format("'scales'[%zu]=%g makes dimension %zu of X %s %g long", d,
                                                   cfg.scales[d], d, shape_to_string(cfg.in_shape).c_str(), extent));
    cfg.out_shape.push_back(static_cast<int64_t>(std::floor(extent)));
  }
  return Status::ok();
}

}  // namespace

Result<ResizeConfig> parse_resize(const OpContext& ctx) {
  ResizeConfig cfg;
  const Attributes& a = ctx.attrs();
  const bool upsample = ctx.node->op_type == "Upsample";
  const bool legacy = upsample || ctx.opset < 11;  // X, scales; no roi/sizes and no coordinate modes
  cfg.in_shape = ctx.in(0).shape;
  const size_t rank = cfg.in_shape.size();
  if (rank == 0) return Status(Code::kInvalidArgument, "input 'X' must have rank >= 1, got a scalar");
  TANDEM_RETURN_IF_ERROR(parse_strings(a, cfg));
  if (legacy) {
    if (cfg.mode == ResizeMode::kCubic) return Status(Code::kUnsupported, "attribute 'mode'='cubic' is not supported");
    cfg.coord = ResizeCoord::kAsymmetric;
    cfg.nearest = NearestMode::kSimple;
  } else {
    TANDEM_RETURN_IF_ERROR(check_newer_attributes(a));
    cfg.cubic_a = a.get_float("cubic_coeff_a", -0.75f);
    cfg.exclude_outside = a.get_int("exclude_outside", 0) != 0;
    cfg.extrapolation = a.get_float("extrapolation_value", 0.0f);
  }
  cfg.roi.assign(2 * rank, 0.0);
  std::fill(cfg.roi.begin() + static_cast<std::ptrdiff_t>(rank), cfg.roi.end(), 1.0);
  if (cfg.coord == ResizeCoord::kTfCropAndResize) {
    TANDEM_ASSIGN_OR_RETURN(const Tensor* roi, constant_input(ctx, 1, "roi"));
    if (roi) {
      if (roi->numel() != static_cast<int64_t>(2 * rank))
        return Status(Code::kInvalidArgument, format("input 'roi' has %lld values, expected 2 * rank = %zu",
                                                     static_cast<long long>(roi->numel()), 2 * rank));
      for (size_t i = 0; i < 2 * rank; ++i) cfg.roi[i] = roi->float_at(static_cast<int64_t>(i));
    }
  }
  TANDEM_RETURN_IF_ERROR(read_scales_or_sizes(ctx, legacy, cfg));
  for (size_t d = 0; d < rank; ++d)
    if (cfg.in_shape[d] == 0 && cfg.out_shape[d] > 0)
      return Status(Code::kInvalidArgument, "cannot resize an empty X " + shape_to_string(cfg.in_shape) + " to " +
                                                shape_to_string(cfg.out_shape));
  return cfg;
}

namespace {

// Input coordinate of output position o along one axis (ONNX's coordinate_transformation_mode formulas).
// `resized` is in * scale, as ONNX's reference uses it (it differs from the output length for scales
// that do not divide evenly, which matters for align_corners).
double source_coord(const ResizeConfig& cfg, size_t d, int64_t o, int64_t out_len) {
  const double in = static_cast<double>(cfg.in_shape[d]), scale = cfg.scales[d];
  const double x = static_cast<double>(o);
  const double resized = cfg.from_sizes ? static_cast<double>(out_len) : in * scale;
  switch (cfg.coord) {
    case ResizeCoord::kHalfPixel:
      return (x + 0.5) / scale - 0.5;
    case ResizeCoord::kPytorchHalfPixel:
      return resized > 1.0 ? (x + 0.5) / scale - 0.5 : 0.0;
    case ResizeCoord::kAlignCorners:
      return resized == 1.0 ? 0.0 : x * (in - 1.0) / (resized - 1.0);
    case ResizeCoord::kAsymmetric:
      return x / scale;
    case ResizeCoord::kTfHalfPixelForNN:
      return (x + 0.5) / scale;
    case ResizeCoord::kTfCropAndResize: {
      const size_t rank = cfg.in_shape.size();
      const double start = cfg.roi[d], end = cfg.roi[d + rank];
      const auto len = static_cast<double>(out_len);
      return len > 1.0 ? start * (in - 1.0) + x * (end - start) * (in - 1.0) / (len - 1.0)
                       : 0.5 * (start + end) * (in - 1.0);
    }
  }
  return x;
}

int64_t nearest_index(NearestMode mode, double x, double scale) {
  const double f = std::floor(x);
  if (x == f) return static_cast<int64_t>(f);
  const double frac = x - f;
  switch (mode) {
    case NearestMode::kRoundPreferFloor:
      return static_cast<int64_t>(frac <= 0.5 ? f : f + 1);
    case NearestMode::kRoundPreferCeil:
      return static_cast<int64_t>(frac < 0.5 ? f : f + 1);
    case NearestMode::kFloor:
      return static_cast<int64_t>(f);
    case NearestMode::kCeil:
      return static_cast<int64_t>(f + 1);
    case NearestMode::kSimple:
      return static_cast<int64_t>(scale < 1.0 ? f + 1 : f);
  }
  return static_cast<int64_t>(f);
}

// Keys' cubic convolution weights for taps at floor(x) - 1 .. floor(x) + 2, frac = x - floor(x).
void cubic_weights(double a, double t, double* w) {
  const double d0 = t + 1, d1 = t, d2 = 1 - t, d3 = 2 - t;
  w[0] = ((a * d0 - 5 * a) * d0 + 8 * a) * d0 - 4 * a;
  w[1] = ((a + 2) * d1 - (a + 3)) * d1 * d1 + 1;
  w[2] = ((a + 2) * d2 - (a + 3)) * d2 * d2 + 1;
  w[3] = ((a * d3 - 5 * a) * d3 + 8 * a) * d3 - 4 * a;
}

}  // namespace

AxisTable build_axis_table(const ResizeConfig& cfg, size_t d) {
  AxisTable t;
  t.in = cfg.in_shape[d];
  t.out = cfg.out_shape[d];
  t.taps = cfg.mode == ResizeMode::kNearest ? 1 : (cfg.mode == ResizeMode::kLinear ? 2 : 4);
  const auto n = static_cast<size_t>(t.out);
  const auto k = static_cast<size_t>(t.taps);
  t.index.assign(n * k, 0);
  t.weight.assign(n * k, 0.0);
  t.outside.assign(n, 0);
  const int64_t last = std::max<int64_t>(t.in - 1, 0);
  for (int64_t o = 0; o < t.out; ++o) {
    const double x = source_coord(cfg, d, o, t.out);
    const auto p = static_cast<size_t>(o) * k;
    if (cfg.coord == ResizeCoord::kTfCropAndResize && (x < 0.0 || x > static_cast<double>(last))) {
      t.outside[static_cast<size_t>(o)] = 1;
      t.any_outside = true;
    }
    if (cfg.mode == ResizeMode::kNearest) {
      t.index[p] = std::clamp<int64_t>(nearest_index(cfg.nearest, x, cfg.scales[d]), 0, last);
      t.weight[p] = 1.0;
      continue;
    }
    const double f = std::floor(x);
    const double frac = x - f;
    const auto first = static_cast<int64_t>(f) - (t.taps == 4 ? 1 : 0);
    double w[4] = {1.0 - frac, frac, 0.0, 0.0};
    if (t.taps == 4) cubic_weights(cfg.cubic_a, frac, w);
    double sum = 0.0;
    for (size_t j = 0; j < k; ++j) {
      const int64_t i = first + static_cast<int64_t>(j);
      if (cfg.exclude_outside && (i < 0 || i > last)) w[j] = 0.0;
      sum += w[j];
      t.index[p + j] = std::clamp<int64_t>(i, 0, last);
    }
    for (size_t j = 0; j < k; ++j) t.weight[p + j] = cfg.exclude_outside && sum != 0.0 ? w[j] / sum : w[j];
  }
  // A position with one tap of weight 1 and the rest 0 needs no blending; if all do, drop to one tap.
  bool single = true;
  std::vector<int64_t> one(n, 0);
  for (size_t o = 0; o < n && single; ++o) {
    int hits = 0;
    for (size_t j = 0; j < k; ++j) {
      const double w = t.weight[o * k + j];
      if (w == 1.0) {
        ++hits;
        one[o] = t.index[o * k + j];
      } else if (w != 0.0) {
        single = false;
      }
    }
    single = single && hits == 1;
  }
  if (single && k > 1) {
    t.taps = 1;
    t.index = one;
    t.weight.assign(n, 1.0);
  }
  t.identity = t.taps == 1 && t.in == t.out && !t.any_outside;
  for (size_t o = 0; o < n && t.identity; ++o) t.identity = t.index[o] == static_cast<int64_t>(o);
  return t;
}

NhwcSampling nhwc_sampling(const AxisTable& th, const AxisTable& tw, int64_t channels) {
  NhwcSampling s;
  for (int64_t i : th.index) s.yoff.push_back(i * tw.in * channels);
  for (int64_t i : tw.index) s.xoff.push_back(i * channels);
  s.wy.assign(th.weight.begin(), th.weight.end());
  s.wx.assign(tw.weight.begin(), tw.weight.end());
  return s;
}

}  // namespace tandem
