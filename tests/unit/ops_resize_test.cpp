// Resize and Upsample against a port of ONNX's reference interpolation (onnx/backend/test/case/node/resize.py).
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <numeric>
#include <random>
#include <string>

#include "single_op.h"

namespace tandem {
namespace {

using testing::run_single_op;
using testing::SingleOp;

struct RefParams {
  std::string mode = "nearest";
  std::string coord = "half_pixel";
  std::string nearest = "round_prefer_floor";
  double cubic_a = -0.75;
  bool exclude_outside = false;
  double extrapolation = 0.0;
  std::vector<double> roi;  // starts then ends, for tf_crop_and_resize
};

std::vector<double> ref_coeffs(const RefParams& p, double ratio, bool integer) {
  if (p.mode == "linear") return {1 - ratio, ratio};
  if (p.mode == "cubic") {
    const double a = p.cubic_a, r = ratio;
    return {((a * (r + 1) - 5 * a) * (r + 1) + 8 * a) * (r + 1) - 4 * a, ((a + 2) * r - (a + 3)) * r * r + 1,
            ((a + 2) * (1 - r) - (a + 3)) * (1 - r) * (1 - r) + 1,
            ((a * ((1 - r) + 1) - 5 * a) * ((1 - r) + 1) + 8 * a) * ((1 - r) + 1) - 4 * a};
  }
  if (integer) return {0, 1};
  if (p.nearest == "round_prefer_floor") return {ratio <= 0.5 ? 1.0 : 0.0, ratio > 0.5 ? 1.0 : 0.0};
  if (p.nearest == "round_prefer_ceil") return {ratio < 0.5 ? 1.0 : 0.0, ratio >= 0.5 ? 1.0 : 0.0};
  if (p.nearest == "floor") return {1, 0};
  return {0, 1};
}

// interpolate_1d_with_x: the n samples nearest x in the edge-padded data, ties to the smaller index.
double ref_1d(const RefParams& p, const std::vector<double>& data, double scale, int64_t xi, double roi_start,
              double roi_end) {
  const auto in = static_cast<double>(data.size());
  const double out = scale * in, x = static_cast<double>(xi);
  double xo = 0;
  if (p.coord == "align_corners") {
    xo = out == 1 ? 0 : x * (in - 1) / (out - 1);
  } else if (p.coord == "asymmetric") {
    xo = x / scale;
  } else if (p.coord == "tf_half_pixel_for_nn") {
    xo = (x + 0.5) / scale;
  } else if (p.coord == "tf_crop_and_resize") {
    xo = out == 1 ? (roi_end - roi_start) * (in - 1) / 2 : x * (roi_end - roi_start) * (in - 1) / (out - 1);
    xo += roi_start * (in - 1);
    if (xo < 0 || xo > in - 1) return p.extrapolation;
  } else if (p.coord == "pytorch_half_pixel") {
    xo = out == 1 ? -0.5 : (x + 0.5) / scale - 0.5;
  } else {
    xo = (x + 0.5) / scale - 0.5;
  }
  const bool integer = xo == std::floor(xo);
  std::vector<double> c = ref_coeffs(p, integer ? 1.0 : xo - std::floor(xo), integer);
  const auto n = static_cast<int64_t>(c.size());
  const int64_t pad = (n + 1) / 2;
  const auto len = static_cast<int64_t>(data.size()) + 2 * pad;
  std::vector<int64_t> idx(static_cast<size_t>(len));
  std::iota(idx.begin(), idx.end(), 0);
  const double xp = xo + static_cast<double>(pad);
  std::stable_sort(idx.begin(), idx.end(), [&](int64_t a, int64_t b) {
    return std::fabs(xp - static_cast<double>(a)) < std::fabs(xp - static_cast<double>(b));
  });
  idx.resize(static_cast<size_t>(n));
  std::sort(idx.begin(), idx.end());
  double sum = 0, v = 0;
  for (size_t k = 0; k < c.size(); ++k) {
    const int64_t orig = idx[k] - pad;
    if (p.exclude_outside && (orig < 0 || orig >= static_cast<int64_t>(data.size()))) c[k] = 0;
    sum += c[k];
  }
  for (size_t k = 0; k < c.size(); ++k) {
    const int64_t orig = std::clamp<int64_t>(idx[k] - pad, 0, static_cast<int64_t>(data.size()) - 1);
    v += (p.exclude_outside ? c[k] / sum : c[k]) * data[static_cast<size_t>(orig)];
  }
  return v;
}

// interpolate_nd_with_x: interpolate the first axis over the recursively interpolated sub-tensors.
double ref_nd(const RefParams& p, const double* data, const Shape& shape, size_t axis,
              const std::vector<double>& scales, const std::vector<int64_t>& x) {
  const size_t rank = shape.size();
  int64_t stride = 1;
  for (size_t d = axis + 1; d < rank; ++d) stride *= shape[d];
  std::vector<double> line(static_cast<size_t>(shape[axis]));
  for (int64_t i = 0; i < shape[axis]; ++i)
    line[static_cast<size_t>(i)] =
        axis + 1 == rank ? data[i] : ref_nd(p, data + i * stride, shape, axis + 1, scales, x);
  const double rs = p.roi.empty() ? 0.0 : p.roi[axis], re = p.roi.empty() ? 1.0 : p.roi[axis + rank];
  return ref_1d(p, line, scales[axis], x[axis], rs, re);
}

// The whole reference output (every `step`-th element when step > 1; the rest are NaN).
std::vector<double> reference_resize(const RefParams& p, const Tensor& x, const std::vector<double>& scales,
                                     const Shape& out_shape, int64_t step = 1) {
  std::vector<double> data(static_cast<size_t>(x.numel()));
  for (int64_t i = 0; i < x.numel(); ++i) data[static_cast<size_t>(i)] = x.float_at(i);
  std::vector<double> y(static_cast<size_t>(shape_numel(out_shape)), std::nan(""));
  std::vector<int64_t> c(out_shape.size());
  for (int64_t q = 0; q < static_cast<int64_t>(y.size()); q += step) {
    int64_t rem = q;
    for (size_t d = out_shape.size(); d-- > 0;) {
      c[d] = rem % out_shape[d];
      rem /= out_shape[d];
    }
    y[static_cast<size_t>(q)] = ref_nd(p, data.data(), x.shape(), 0, scales, c);
  }
  return y;
}

Tensor random_tensor(Shape shape, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-4.0f, 4.0f);
  std::vector<float> v(static_cast<size_t>(shape_numel(shape)));
  for (float& f : v) f = dist(rng);
  return Tensor::from_vector<float>(std::move(shape), v);
}

SingleOp resize_op(const RefParams& p, const Tensor& x, const std::vector<float>& scales, const Shape& sizes) {
  SingleOp op{.op_type = "Resize", .opset = 13};
  op.attrs.set_string("mode", p.mode);
  op.attrs.set_string("coordinate_transformation_mode", p.coord);
  op.attrs.set_string("nearest_mode", p.nearest);
  op.attrs.set_float("cubic_coeff_a", static_cast<float>(p.cubic_a));
  op.attrs.set_int("exclude_outside", p.exclude_outside ? 1 : 0);
  op.attrs.set_float("extrapolation_value", static_cast<float>(p.extrapolation));
  std::vector<float> roi(p.roi.begin(), p.roi.end());
  Tensor roi_t = roi.empty() ? Tensor() : Tensor::from_vector<float>({static_cast<int64_t>(roi.size())}, roi);
  if (!scales.empty()) {
    op.inputs = {x, roi_t, Tensor::from_vector<float>({static_cast<int64_t>(scales.size())}, scales)};
  } else {
    op.inputs = {x, roi_t, Tensor(), Tensor::from_vector<int64_t>({static_cast<int64_t>(sizes.size())}, sizes)};
  }
  return op;
}

// Runs Resize and compares with the reference; `scales` empty means `sizes` is used.
void check_resize(const RefParams& p, const Tensor& x, const std::vector<float>& scales, const Shape& sizes,
                  int64_t step = 1) {
  SCOPED_TRACE("mode " + p.mode + " coord " + p.coord + " nearest " + p.nearest + " X " + shape_to_string(x.shape()));
  auto r = run_single_op(resize_op(p, x, scales, sizes));
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  const Tensor& y = r.value()[0];
  Shape out = sizes;
  std::vector<double> s;
  for (size_t d = 0; d < x.shape().size(); ++d) {
    if (!scales.empty()) {
      s.push_back(static_cast<double>(scales[d]));
      if (sizes.empty()) out.push_back(static_cast<int64_t>(std::floor(s[d] * static_cast<double>(x.shape()[d]))));
    } else {
      s.push_back(static_cast<double>(sizes[d]) / static_cast<double>(x.shape()[d]));
    }
  }
  ASSERT_EQ(y.shape(), out);
  RefParams ref = p;  // the op reads roi as float32
  for (double& v : ref.roi) v = static_cast<double>(static_cast<float>(v));
  const std::vector<double> expected = reference_resize(ref, x, s, out, step);
  for (size_t i = 0; i < expected.size(); i += static_cast<size_t>(step))
    ASSERT_NEAR(y.float_at(static_cast<int64_t>(i)), expected[i], 1e-4 * (1 + std::fabs(expected[i])))
        << "element " << i;
}

TEST(ResizeOps, ModesAndCoordinatesMatchReference) {
  const Tensor x4 = random_tensor({1, 2, 5, 7}, 1);
  const Tensor x3 = random_tensor({2, 4, 6}, 2);
  for (std::string mode : {"nearest", "linear", "cubic"}) {
    for (std::string coord :
         {"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_half_pixel_for_nn"}) {
      std::vector<std::string> nearest_modes = {"round_prefer_floor"};
      if (mode == "nearest") nearest_modes = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
      for (const std::string& nm : nearest_modes) {
        RefParams p{.mode = mode, .coord = coord, .nearest = nm};
        check_resize(p, x4, {1, 1, 2, 2}, {});
        check_resize(p, x4, {1, 1, 3.5f, 1.5f}, {});
        check_resize(p, x4, {1, 1, 0.6f, 0.8f}, {});
        check_resize(p, x4, {}, {1, 2, 9, 4});
        check_resize(p, x3, {1, 1.5f, 2}, {});
        check_resize(p, x3, {}, {3, 4, 6});  // resizes the outermost axis: the generic path
      }
    }
  }
}

TEST(ResizeOps, CubicExcludeOutsideAndCoefficient) {
  const Tensor x = random_tensor({1, 1, 4, 4}, 3);
  RefParams p{.mode = "cubic", .cubic_a = -0.5, .exclude_outside = true};
  check_resize(p, x, {1, 1, 2, 2}, {});
  check_resize(p, x, {1, 1, 0.8f, 0.8f}, {});
  p.coord = "asymmetric";
  check_resize(p, x, {}, {1, 1, 9, 10});
}

TEST(ResizeOps, TfCropAndResizeExtrapolates) {
  const Tensor x = random_tensor({1, 1, 4, 4}, 4);
  for (std::string mode : {"linear", "nearest", "cubic"}) {
    RefParams p{
        .mode = mode, .coord = "tf_crop_and_resize", .extrapolation = 10.0, .roi = {0, 0, 0.4, 0.6, 1, 1, 1.2, 1.7}};
    check_resize(p, x, {}, {1, 1, 3, 3});
    p.roi = {0, 0, 0.1, 0.2, 1, 1, 0.9, 0.7};
    check_resize(p, x, {}, {1, 1, 5, 6});
  }
}

TEST(ResizeOps, NodeTestValues) {
  // test_resize_downsample_scales_linear_align_corners: ONNX uses in * scale (2.4), not the output length.
  const Tensor x = Tensor::from_vector<float>({1, 1, 2, 4}, {1, 2, 3, 4, 5, 6, 7, 8});
  auto r = run_single_op(resize_op({.mode = "linear", .coord = "align_corners"}, x, {1, 1, 0.6f, 0.6f}, {}));
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r.value()[0].shape(), (Shape{1, 1, 1, 2}));
  EXPECT_NEAR(r.value()[0].float_at(0), 1.0, 1e-5);
  EXPECT_NEAR(r.value()[0].float_at(1), 3.142857, 1e-5);
  // test_resize_upsample_scales_linear
  const Tensor x2 = Tensor::from_vector<float>({1, 1, 2, 2}, {1, 2, 3, 4});
  r = run_single_op(resize_op({.mode = "linear"}, x2, {1, 1, 2, 2}, {}));
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  const std::vector<double> expected = {1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4};
  for (size_t i = 0; i < expected.size(); ++i)
    EXPECT_NEAR(r.value()[0].float_at(static_cast<int64_t>(i)), expected[i], 1e-6);
}

TEST(ResizeOps, LargeBilinearUsesEveryThreadChunk) {
  const Tensor x = random_tensor({2, 3, 24, 36}, 5);
  check_resize({.mode = "linear"}, x, {1, 1, 4, 4}, {}, 13);
  check_resize({.mode = "linear", .coord = "align_corners"}, x, {}, {2, 3, 100, 90}, 17);
  check_resize({.mode = "nearest", .coord = "asymmetric", .nearest = "floor"}, x, {1, 1, 8, 8}, {}, 29);
}

// Linear x2 along rows takes a contiguous-load path (Upsample2x) for the coordinate modes whose weights are
// periodic; every mode must still match the reference, edges included.
TEST(ResizeOps, LinearUpsampleByTwoMatchesReference) {
  const Tensor x = random_tensor({1, 3, 6, 19}, 6);
  for (std::string coord : {"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric"}) {
    check_resize({.mode = "linear", .coord = coord}, x, {1, 1, 2, 2}, {});
    check_resize({.mode = "linear", .coord = coord}, x, {1, 1, 1, 2}, {});
  }
}

// ---- Channels-last (NHWC) float32: the path for images [..., H, W, C] resized over H and W only

// Runs the registry's Resize kernel as run_single_op does, keeping the kernel to ask which path prepare() chose.
struct ResizeRun {
  Tensor y;
  std::string impl;
};

Result<ResizeRun> run_resize_kernel(const SingleOp& spec) {
  Graph g;
  g.opsets[spec.domain] = spec.opset;
  std::vector<Value*> ins;
  for (size_t i = 0; i < spec.inputs.size(); ++i) {
    Value* v = nullptr;
    if (spec.inputs[i].defined()) {
      v = g.value("in" + std::to_string(i));
      v->dtype = spec.inputs[i].dtype();
      v->has_shape = true;
      v->shape = spec.inputs[i].shape();
      v->constant = spec.inputs[i];
    }
    ins.push_back(v);
  }
  Node* node = g.add_node(spec.op_type, "resize", ins, {g.value("out")}, spec.domain);
  node->attrs = spec.attrs;
  const OpSchema* schema = OpRegistry::global().find(spec.domain, spec.op_type);
  OpContext ctx = make_op_context(g, *node);
  TANDEM_RETURN_IF_ERROR(schema->infer(ctx));
  std::unique_ptr<Kernel> kernel = schema->create();
  TANDEM_RETURN_IF_ERROR(kernel->prepare(ctx));
  std::vector<Tensor> out{Tensor::make(ctx.out(0).dtype, ctx.out(0).shape)};
  TANDEM_RETURN_IF_ERROR(kernel->run(spec.inputs, out));
  return ResizeRun{out[0], kernel->impl_name()};
}

// A float32 rank-4 tensor with its axes permuted: out axis k is x's axis perm[k].
Tensor permute4(const Tensor& x, const std::array<int, 4>& perm) {
  const Shape& s = x.shape();
  Shape os(4);
  for (size_t k = 0; k < 4; ++k) os[k] = s[static_cast<size_t>(perm[k])];
  const std::vector<int64_t> st = {s[1] * s[2] * s[3], s[2] * s[3], s[3], 1};
  Tensor y = Tensor::make(DType::kFloat32, os);
  const float* src = x.data<float>();
  float* dst = y.data<float>();
  int64_t i = 0;
  for (int64_t a = 0; a < os[0]; ++a)
    for (int64_t b = 0; b < os[1]; ++b)
      for (int64_t c = 0; c < os[2]; ++c)
        for (int64_t d = 0; d < os[3]; ++d)
          dst[i++] = src[a * st[static_cast<size_t>(perm[0])] + b * st[static_cast<size_t>(perm[1])] +
                         c * st[static_cast<size_t>(perm[2])] + d * st[static_cast<size_t>(perm[3])]];
  return y;
}

Tensor to_f64(const Tensor& x) {
  Tensor y = Tensor::make(DType::kFloat64, x.shape());
  for (int64_t i = 0; i < x.numel(); ++i) y.data<double>()[i] = static_cast<double>(x.data<float>()[i]);
  return y;
}

// The channels-last path's tolerance against the double-precision generic path: 1e-6 relative, or absolute
// for results below 1 in magnitude (a blend of values of both signs may cancel to about 0).
constexpr double kNhwcTolerance = 1e-6;

// Resizes x [..., H, W, C] over H and W (the last two scales or sizes of `scales`/`sizes` stay 1 / C) and checks
// that the channels-last path ran and matches the path such a tensor took before it existed: the generic one,
// which computes in double (run here on a float64 copy, so unrounded), within kNhwcTolerance.
void check_nhwc_vs_old_path(const RefParams& p, const Tensor& x, const std::vector<float>& scales, const Shape& sizes) {
  auto fast = run_resize_kernel(resize_op(p, x, scales, sizes));
  ASSERT_TRUE(fast.is_ok()) << fast.status().to_string();
  EXPECT_EQ(fast.value().impl, "reference:nhwc_f32");
  auto old = run_resize_kernel(resize_op(p, to_f64(x), scales, sizes));
  ASSERT_TRUE(old.is_ok()) << old.status().to_string();
  EXPECT_EQ(old.value().impl, p.mode == "nearest" ? "reference:gather" : "reference:generic");
  const Tensor& y = fast.value().y;
  const Tensor& r = old.value().y;
  ASSERT_EQ(y.shape(), r.shape());
  for (int64_t i = 0; i < y.numel(); ++i) {
    const double e = r.data<double>()[i], v = y.data<float>()[i];
    ASSERT_LE(std::fabs(v - e), kNhwcTolerance * std::max(1.0, std::fabs(e))) << "element " << i << " of " << y.numel();
  }
}

// The same resize of x [N, H, W, C] as NCHW [N, C, H, W] takes the plane path; the channels-last path sums the
// same taps in the same order, so the two must agree exactly.
void check_nhwc_vs_planes(const RefParams& p, const Tensor& x, const std::vector<float>& scales, const Shape& sizes) {
  auto fast = run_resize_kernel(resize_op(p, x, scales, sizes));
  ASSERT_TRUE(fast.is_ok()) << fast.status().to_string();
  const std::vector<float> scales_nchw =
      scales.empty() ? scales : std::vector<float>{scales[0], scales[3], scales[1], scales[2]};
  const Shape sizes_nchw = sizes.empty() ? sizes : Shape{sizes[0], sizes[3], sizes[1], sizes[2]};
  auto planes = run_resize_kernel(resize_op(p, permute4(x, {0, 3, 1, 2}), scales_nchw, sizes_nchw));
  ASSERT_TRUE(planes.is_ok()) << planes.status().to_string();
  EXPECT_EQ(planes.value().impl, "reference:planes_f32");
  const Tensor y = permute4(planes.value().y, {0, 2, 3, 1});
  ASSERT_EQ(y.shape(), fast.value().y.shape());
  for (int64_t i = 0; i < y.numel(); ++i)
    ASSERT_EQ(fast.value().y.data<float>()[i], y.data<float>()[i]) << "element " << i << " of " << y.numel();
}

struct NhwcGeometry {
  const char* name;
  int64_t h, w;    // input
  float sh, sw;    // given as scales
  int64_t oh, ow;  // given as sizes
};

const NhwcGeometry kNhwcGeometries[] = {
    {"up2", 5, 6, 2, 2, 10, 12},         {"up4", 4, 5, 4, 4, 16, 20},
    {"up8", 3, 4, 8, 8, 24, 32},         {"up_non_integer", 7, 9, 2.5f, 2.25f, 16, 21},
    {"down", 16, 21, 0.5f, 0.45f, 7, 9}, {"up_and_down", 6, 10, 1.5f, 0.7f, 9, 4},
};

// Every geometry x {scales, sizes} x {linear, nearest in 4 rounding modes} x 4 coordinate modes x N x C.
TEST(ResizeOps, ChannelsLastMatchesOldPathAndPlanePath) {
  uint32_t seed = 100;
  for (const NhwcGeometry& g : kNhwcGeometries) {
    for (int64_t n : {1, 2}) {
      for (int64_t c : {1, 3, 16, 19, 256}) {
        const Tensor x = random_tensor({n, g.h, g.w, c}, seed++);
        for (bool by_sizes : {false, true}) {
          const std::vector<float> scales = by_sizes ? std::vector<float>{} : std::vector<float>{1, g.sh, g.sw, 1};
          const Shape sizes = by_sizes ? Shape{n, g.oh, g.ow, c} : Shape{};
          for (std::string coord : {"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric"}) {
            for (std::string nm : {"", "round_prefer_floor", "round_prefer_ceil", "floor", "ceil"}) {
              const RefParams p{.mode = nm.empty() ? "linear" : "nearest",
                                .coord = coord,
                                .nearest = nm.empty() ? "round_prefer_floor" : nm};
              SCOPED_TRACE(std::string(g.name) + (by_sizes ? " sizes" : " scales") + " mode " + p.mode + " coord " +
                           coord + " nearest " + p.nearest + " X " + shape_to_string(x.shape()));
              check_nhwc_vs_old_path(p, x, scales, sizes);
              if (::testing::Test::HasFatalFailure()) return;
              check_nhwc_vs_planes(p, x, scales, sizes);
              if (::testing::Test::HasFatalFailure()) return;
            }
          }
        }
      }
    }
  }
}

// What comes for free from the shared tables: cubic, tf_half_pixel_for_nn, tf_crop_and_resize inside the input,
// other ranks; and the ONNX reference agrees as it does for NCHW.
TEST(ResizeOps, ChannelsLastCubicOtherCoordinatesAndRanks) {
  const Tensor x = random_tensor({2, 6, 7, 19}, 7);
  check_nhwc_vs_old_path({.mode = "cubic"}, x, {1, 2, 2, 1}, {});
  check_nhwc_vs_planes({.mode = "cubic"}, x, {1, 2, 2, 1}, {});
  check_nhwc_vs_old_path({.mode = "cubic", .cubic_a = -0.5, .exclude_outside = true}, x, {}, {2, 16, 5, 19});
  check_nhwc_vs_old_path({.mode = "nearest", .coord = "tf_half_pixel_for_nn"}, x, {1, 3, 2, 1}, {});
  check_nhwc_vs_old_path({.mode = "linear", .coord = "tf_crop_and_resize", .roi = {0, 0.1, 0.2, 0, 1, 0.9, 0.7, 1}}, x,
                         {}, {2, 9, 11, 19});
  check_nhwc_vs_old_path({.mode = "linear"}, random_tensor({6, 7, 16}, 8), {2, 3, 1}, {});               // [H, W, C]
  check_nhwc_vs_old_path({.mode = "linear"}, random_tensor({2, 3, 4, 5, 16}, 9), {}, {2, 3, 8, 3, 16});  // rank 5
  check_nhwc_vs_old_path({.mode = "linear"}, x, {1, 1, 2, 1}, {});  // only W: taps 1 x 2
  check_nhwc_vs_old_path({.mode = "linear"}, x, {1, 2, 1, 1}, {});  // only H: taps 2 x 1
  check_nhwc_vs_old_path({.mode = "linear"}, x, {1, 1, 1, 1}, {});  // a copy
  for (std::string mode : {"nearest", "linear", "cubic"}) {
    check_resize({.mode = mode}, x, {1, 2, 2, 1}, {}, 7);
    check_resize({.mode = mode, .coord = "align_corners"}, x, {}, {2, 16, 21, 19}, 7);
  }
}

// Outside its case Resize keeps its other paths: N or C resized, samples outside a tf_crop_and_resize roi,
// another dtype, NCHW.
TEST(ResizeOps, ChannelsLastPathOnlyForImagesResizedOverHAndW) {
  auto impl = [](const SingleOp& op) {
    auto r = run_resize_kernel(op);
    return r.is_ok() ? r.value().impl : r.status().to_string();
  };
  const Tensor x = random_tensor({1, 4, 5, 8}, 10);
  EXPECT_EQ(impl(resize_op({.mode = "linear"}, x, {1, 2, 2, 1}, {})), "reference:nhwc_f32");
  EXPECT_EQ(impl(resize_op({.mode = "linear"}, x, {1, 2, 2, 0.5f}, {})), "reference:generic");
  EXPECT_EQ(impl(resize_op({.mode = "linear"}, x, {2, 2, 2, 1}, {})), "reference:generic");
  EXPECT_EQ(impl(resize_op({.mode = "nearest"}, x, {}, {2, 8, 10, 8})), "reference:gather");
  EXPECT_EQ(impl(resize_op({.mode = "linear", .coord = "tf_crop_and_resize", .roi = {0, 0.4, 0.6, 0, 1, 1.2, 1.7, 1}},
                           x, {}, {1, 3, 3, 8})),
            "reference:generic");
  EXPECT_EQ(impl(resize_op({.mode = "linear"}, to_f64(x), {1, 2, 2, 1}, {})), "reference:generic");
  EXPECT_EQ(impl(resize_op({.mode = "linear"}, x, {1, 1, 2, 2}, {})), "reference:planes_f32");
  EXPECT_EQ(impl(resize_op({.mode = "linear"}, random_tensor({5, 8}, 11), {2, 1}, {})), "reference:planes_f32");
}

// ---- Channels-last int8 (a requantised map between two int8 convolutions)

Tensor random_s8_tensor(const Shape& shape, uint32_t seed) {
  Tensor t = Tensor::make(DType::kInt8, shape);
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> dist(-128, 127);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<int8_t>()[i] = static_cast<int8_t>(dist(rng));
  return t;
}

Tensor s8_to_f64(const Tensor& x) {
  Tensor y = Tensor::make(DType::kFloat64, x.shape());
  for (int64_t i = 0; i < x.numel(); ++i) y.data<double>()[i] = x.data<int8_t>()[i];
  return y;
}

// The int8 NHWC path blends in float and rounds to nearest even; the exact blend (float64 generic path) rounded
// the same way must agree everywhere (x2 and x4 bilinear weights are dyadic, so float is exact), and within one
// step for arbitrary sizes. Saturation cannot happen: weights are >= 0 and sum to 1.
TEST(ResizeOps, ChannelsLastInt8MatchesExactBlendRounded) {
  struct Case {
    std::string mode;
    std::vector<float> scales;
    Shape sizes;
    int max_steps;
  };
  const Tensor x = random_s8_tensor({2, 6, 7, 16}, 21);
  for (const Case& c : {Case{"linear", {1, 2, 2, 1}, {}, 0}, Case{"linear", {1, 4, 4, 1}, {}, 0},
                        Case{"nearest", {1, 2, 2, 1}, {}, 0}, Case{"linear", {}, {2, 11, 17, 16}, 1},
                        Case{"linear", {1, 1, 2, 1}, {}, 0}}) {
    auto fast = run_resize_kernel(resize_op({.mode = c.mode}, x, c.scales, c.sizes));
    ASSERT_TRUE(fast.is_ok()) << fast.status().to_string();
    EXPECT_EQ(fast.value().impl, "reference:nhwc_s8");
    auto exact = run_resize_kernel(resize_op({.mode = c.mode}, s8_to_f64(x), c.scales, c.sizes));
    ASSERT_TRUE(exact.is_ok());
    const Tensor& y = fast.value().y;
    ASSERT_EQ(y.dtype(), DType::kInt8);
    ASSERT_EQ(y.shape(), exact.value().y.shape());
    int steps = 0;
    for (int64_t i = 0; i < y.numel(); ++i)
      steps = std::max(steps, static_cast<int>(std::fabs(y.data<int8_t>()[i] -
                                                         std::nearbyint(exact.value().y.data<double>()[i]))));
    EXPECT_LE(steps, c.max_steps) << c.mode << " " << shape_to_string(y.shape());
  }
}

// ---- FusedResize (ai.tandem): Resize + Add in one pass

// `resize` (a resize_op) as a FusedResize adding `z`: the same attributes and inputs, padded to four, then Z.
SingleOp fused_resize_op(SingleOp resize, const Tensor& z) {
  resize.op_type = "FusedResize";
  resize.domain = kTandemDomain;
  resize.opset = 1;
  resize.inputs.resize(4);
  resize.inputs.push_back(z);
  return resize;
}

// Resize then Add, each by its own kernel, against FusedResize, which must take the path `impl` and give the same
// floats: the resized value is computed as Resize computes it, then Z is added once.
void check_fused_resize(const SingleOp& resize, const std::string& impl) {
  auto plain = run_resize_kernel(resize);
  ASSERT_TRUE(plain.is_ok()) << plain.status().to_string();
  EXPECT_EQ(plain.value().impl, impl);
  const Tensor& r = plain.value().y;
  const Tensor z32 = random_tensor(r.shape(), 1000 + static_cast<uint32_t>(r.numel()));
  const Tensor z = r.dtype() == DType::kFloat64 ? to_f64(z32) : z32;
  auto want = run_single_op(testing::op_spec("Add", {r, z}));
  ASSERT_TRUE(want.is_ok()) << want.status().to_string();
  auto got = run_resize_kernel(fused_resize_op(resize, z));
  ASSERT_TRUE(got.is_ok()) << got.status().to_string();
  EXPECT_EQ(got.value().impl, impl);
  const Tensor& y = got.value().y;
  const Tensor& e = want.value()[0];
  ASSERT_EQ(y.shape(), e.shape());
  ASSERT_EQ(y.dtype(), e.dtype());
  for (int64_t i = 0; i < y.numel(); ++i)
    ASSERT_EQ(y.float_at(i), e.float_at(i)) << "element " << i << " of " << y.numel();
}

// Channels-last [N, H, W, C] resized over H and W: Z is added as each output vector is stored.
TEST(ResizeOps, FusedResizeChannelsLastEqualsResizeThenAdd) {
  uint32_t seed = 300;
  for (const NhwcGeometry& g : kNhwcGeometries) {
    for (int64_t n : {1, 2}) {
      for (int64_t c : {1, 3, 16, 19, 256}) {
        const Tensor x = random_tensor({n, g.h, g.w, c}, seed++);
        for (std::string mode : {"linear", "nearest", "cubic"}) {
          SCOPED_TRACE(std::string(g.name) + " mode " + mode + " X " + shape_to_string(x.shape()));
          check_fused_resize(resize_op({.mode = mode}, x, {1, g.sh, g.sw, 1}, {}), "reference:nhwc_f32");
          check_fused_resize(resize_op({.mode = mode, .coord = "align_corners"}, x, {}, {n, g.oh, g.ow, c}),
                             "reference:nhwc_f32");
          if (::testing::Test::HasFatalFailure()) return;
        }
      }
    }
  }
  const Tensor x = random_tensor({2, 6, 7, 19}, 7);
  check_fused_resize(resize_op({.mode = "linear"}, x, {1, 1, 2, 1}, {}), "reference:nhwc_f32");  // taps 1 x 2
  check_fused_resize(resize_op({.mode = "linear"}, x, {1, 2, 1, 1}, {}), "reference:nhwc_f32");  // taps 2 x 1
  check_fused_resize(resize_op({.mode = "linear"}, x, {1, 1, 1, 1}, {}), "reference:nhwc_f32");  // a copy
}

// NCHW planes: Z is added in the vertical pass, as each output row is stored; x2 along W takes Upsample2x.
TEST(ResizeOps, FusedResizePlanesEqualsResizeThenAdd) {
  uint32_t seed = 400;
  for (const NhwcGeometry& g : kNhwcGeometries) {
    for (int64_t c : {1, 3, 16}) {
      const Tensor x = random_tensor({2, c, g.h, g.w}, seed++);
      for (std::string mode : {"linear", "nearest", "cubic"}) {
        SCOPED_TRACE(std::string(g.name) + " mode " + mode + " X " + shape_to_string(x.shape()));
        check_fused_resize(resize_op({.mode = mode}, x, {1, 1, g.sh, g.sw}, {}), "reference:planes_f32");
        check_fused_resize(resize_op({.mode = mode, .coord = "asymmetric"}, x, {}, {2, c, g.oh, g.ow}),
                           "reference:planes_f32");
        if (::testing::Test::HasFatalFailure()) return;
      }
    }
  }
  const Tensor x = random_tensor({1, 3, 6, 19}, 8);
  for (std::string coord : {"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric"}) {
    check_fused_resize(resize_op({.mode = "linear", .coord = coord}, x, {1, 1, 2, 2}, {}), "reference:planes_f32");
    check_fused_resize(resize_op({.mode = "linear", .coord = coord}, x, {1, 1, 1, 2}, {}), "reference:planes_f32");
  }
  check_fused_resize(resize_op({.mode = "linear"}, random_tensor({5, 8}, 9), {2, 1}, {}), "reference:planes_f32");
  // Large enough to run on every thread, in chunks of rows.
  check_fused_resize(resize_op({.mode = "linear"}, random_tensor({2, 3, 24, 36}, 10), {1, 1, 4, 4}, {}),
                     "reference:planes_f32");
}

// Outside the fast paths FusedResize resizes, then adds: N or C resized, samples outside a tf_crop_and_resize
// roi, float64.
TEST(ResizeOps, FusedResizeReferencePathsEqualResizeThenAdd) {
  const Tensor x = random_tensor({2, 4, 5, 8}, 11);
  check_fused_resize(resize_op({.mode = "linear"}, x, {2, 1, 2, 1}, {}), "reference:generic");
  check_fused_resize(resize_op({.mode = "nearest"}, x, {}, {3, 8, 10, 8}), "reference:gather");
  check_fused_resize(resize_op({.mode = "cubic"}, random_tensor({2, 4, 6}, 12), {}, {3, 4, 9}), "reference:generic");
  check_fused_resize(resize_op({.mode = "linear",
                                .coord = "tf_crop_and_resize",
                                .extrapolation = 10.0,
                                .roi = {0, 0, 0.4, 0.6, 1, 1, 1.2, 1.7}},
                               x, {}, {2, 4, 3, 3}),
                     "reference:generic");
  check_fused_resize(resize_op({.mode = "linear"}, to_f64(x), {1, 1, 2, 2}, {}), "reference:generic");
  check_fused_resize(resize_op({.mode = "nearest"}, to_f64(x), {1, 2, 2, 1}, {}), "reference:gather");
}

TEST(ResizeOps, FusedResizeErrors) {
  const Tensor x = random_tensor({1, 2, 3, 4}, 13);
  const SingleOp resize = resize_op({.mode = "linear"}, x, {1, 1, 2, 2}, {});
  auto r = run_single_op(fused_resize_op(resize, random_tensor({1, 2, 6, 8}, 14)));
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r.value()[0].shape(), (Shape{1, 2, 6, 8}));
  testing::expect_error(fused_resize_op(resize, random_tensor({1, 1, 6, 8}, 14)), Code::kInvalidArgument,
                        "input 'Z' float32 [1,1,6,8] must be float32 [1,2,6,8]");
  testing::expect_error(fused_resize_op(resize, to_f64(random_tensor({1, 2, 6, 8}, 14))), Code::kInvalidArgument,
                        "must be float32");
  SingleOp no_z = fused_resize_op(resize, Tensor());
  no_z.inputs.pop_back();
  testing::expect_error(no_z, Code::kInvalidArgument, "input 'Z' is missing");
  const Tensor xi = Tensor::from_vector<int32_t>({1, 1, 2, 2}, {1, 2, 3, 4});
  testing::expect_error(
      fused_resize_op(resize_op({.mode = "nearest"}, xi, {1, 1, 2, 2}, {}), Tensor::make(DType::kInt32, {1, 1, 4, 4})),
      Code::kUnsupported, "FusedResize takes float32 or float64");
}

TEST(ResizeOps, OtherDtypes) {
  Tensor x = Tensor::from_vector<uint8_t>({1, 1, 2, 2}, {10, 20, 30, 40});
  auto r =
      run_single_op(resize_op({.mode = "nearest", .coord = "asymmetric", .nearest = "floor"}, x, {1, 1, 2, 2}, {}));
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r.value()[0].dtype(), DType::kUInt8);
  EXPECT_EQ(r.value()[0].to_int_vector(),
            (std::vector<int64_t>{10, 10, 20, 20, 10, 10, 20, 20, 30, 30, 40, 40, 30, 30, 40, 40}));
  r = run_single_op(resize_op({.mode = "linear", .coord = "align_corners"}, x, {}, {1, 1, 3, 3}));
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r.value()[0].to_int_vector(), (std::vector<int64_t>{10, 15, 20, 20, 25, 30, 30, 35, 40}));
  Tensor xd = Tensor::from_vector<double>({1, 1, 2, 2}, {1, 2, 3, 4});
  r = run_single_op(resize_op({.mode = "linear"}, xd, {1, 1, 2, 2}, {}));
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r.value()[0].dtype(), DType::kFloat64);
  EXPECT_NEAR(r.value()[0].float_at(1), 1.25, 1e-12);
}

TEST(ResizeOps, LegacyResizeAndUpsampleAreAsymmetric) {
  const Tensor x = Tensor::from_vector<float>({1, 1, 2, 2}, {1, 2, 3, 4});
  const Tensor scales = Tensor::from_vector<float>({4}, {1, 1, 2, 3});
  const std::vector<double> nearest = {1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4};
  for (const char* op_type : {"Upsample", "Resize"}) {
    SingleOp op{.op_type = op_type, .opset = std::string(op_type) == "Upsample" ? 9 : 10, .inputs = {x, scales}};
    op.attrs.set_string("mode", "nearest");
    auto r = run_single_op(op);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    ASSERT_EQ(r.value()[0].shape(), (Shape{1, 1, 4, 6}));
    for (size_t i = 0; i < nearest.size(); ++i) EXPECT_EQ(r.value()[0].float_at(static_cast<int64_t>(i)), nearest[i]);
    op.attrs.set_string("mode", "linear");
    r = run_single_op(op);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    const std::vector<double> ref =
        reference_resize({.mode = "linear", .coord = "asymmetric"}, x, {1, 1, 2, 3}, {1, 1, 4, 6});
    for (size_t i = 0; i < ref.size(); ++i) EXPECT_NEAR(r.value()[0].float_at(static_cast<int64_t>(i)), ref[i], 1e-6);
  }
  SingleOp up7{.op_type = "Upsample", .opset = 7, .inputs = {x}};
  up7.attrs.set_floats("scales", {1, 1, 2, 3});
  auto r = run_single_op(up7);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r.value()[0].shape(), (Shape{1, 1, 4, 6}));
}

TEST(ResizeOps, Errors) {
  const Tensor x = random_tensor({1, 1, 2, 2}, 6);
  SingleOp op = resize_op({.mode = "linear"}, x, {1, 1, 2, 2}, {});
  op.attrs.set_string("mode", "area");
  auto r = run_single_op(op);
  EXPECT_EQ(r.status().code(), Code::kUnsupported);
  EXPECT_NE(r.status().message().find("'mode'='area'"), std::string::npos) << r.status().message();
  op = resize_op({.mode = "linear"}, x, {1, 1, 2, 2}, {});
  op.attrs.set_string("coordinate_transformation_mode", "half_pixel_symmetric");
  r = run_single_op(op);
  EXPECT_EQ(r.status().code(), Code::kUnsupported);
  EXPECT_NE(r.status().message().find("coordinate_transformation_mode"), std::string::npos);
  op = resize_op({.mode = "linear"}, x, {1, 2, 2}, {});
  EXPECT_EQ(run_single_op(op).status().code(), Code::kInvalidArgument);
  op = resize_op({.mode = "linear"}, x, {1, 1, 2, 2}, {});
  op.inputs.push_back(Tensor::from_vector<int64_t>({4}, {1, 1, 4, 4}));
  EXPECT_EQ(run_single_op(op).status().code(), Code::kInvalidArgument);
  op = resize_op({.mode = "linear"}, x, {1, 1, -2, 2}, {});
  EXPECT_EQ(run_single_op(op).status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace tandem
