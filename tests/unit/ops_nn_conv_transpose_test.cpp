// ConvTranspose reference kernel against a plain scatter loop written here.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>

#include "single_op.h"

namespace tandem {
namespace {

using testing::run_single_op;
using testing::SingleOp;
using testing::random_tensor;

struct TransposeCase {
  Shape x, w;
  int64_t group = 1;
  std::vector<int64_t> strides, dilations, output_padding, pads_begin;  // empty = defaults
  Shape y_spatial;  // the output size the attributes below must produce
  Attributes attrs;
  bool bias = false;
};

// Every input element times every tap, scattered to i * stride + k * dilation - pad_begin when that lands in Y.
std::vector<double> naive_conv_transpose(const Tensor& x, const Tensor& w, const Tensor* b, const TransposeCase& c) {
  const size_t rank = c.x.size() - 2;
  auto at = [](const std::vector<int64_t>& v, size_t i, int64_t def) { return v.empty() ? def : v[i]; };
  const int64_t mg = c.w[1], cg = c.x[1] / c.group, out_c = mg * c.group;
  const int64_t x_size = shape_numel(Shape(c.x.begin() + 2, c.x.end())), y_size = shape_numel(c.y_spatial);
  const int64_t taps = shape_numel(Shape(c.w.begin() + 2, c.w.end()));
  std::vector<double> y(static_cast<size_t>(c.x[0] * out_c * y_size), 0.0);
  for (int64_t n = 0; n < c.x[0]; ++n)
    for (int64_t m = 0; m < out_c; ++m)
      for (int64_t i = 0; i < y_size; ++i)
        y[static_cast<size_t>((n * out_c + m) * y_size + i)] = b ? b->float_at(m) : 0;
  for (int64_t n = 0; n < c.x[0]; ++n) {
    for (int64_t ci = 0; ci < c.x[1]; ++ci) {
      const int64_t g = ci / cg;
      for (int64_t p = 0; p < x_size; ++p) {
        for (int64_t t = 0; t < taps; ++t) {
          int64_t prem = p, trem = t, off = 0, stride = 1;
          bool inside = true;
          for (size_t d = rank; d-- > 0;) {
            const int64_t i = prem % c.x[d + 2], k = trem % c.w[d + 2];
            prem /= c.x[d + 2];
            trem /= c.w[d + 2];
            const int64_t pos = i * at(c.strides, d, 1) + k * at(c.dilations, d, 1) - at(c.pads_begin, d, 0);
            inside = inside && pos >= 0 && pos < c.y_spatial[d];
            off += pos * stride;
            stride *= c.y_spatial[d];
          }
          if (!inside) continue;
          const double xv = x.float_at((n * c.x[1] + ci) * x_size + p);
          for (int64_t mm = 0; mm < mg; ++mm)
            y[static_cast<size_t>((n * out_c + g * mg + mm) * y_size + off)] +=
                xv * w.float_at((ci * mg + mm) * taps + t);
        }
      }
    }
  }
  return y;
}

void check(const TransposeCase& c) {
  const Tensor x = random_tensor(c.x, 1), w = random_tensor(c.w, 2), b = random_tensor({c.w[1] * c.group}, 3);
  SingleOp op{.op_type = "ConvTranspose", .opset = 11, .attrs = c.attrs, .inputs = {x, w}};
  if (c.bias) op.inputs.push_back(b);
  if (c.group != 1) op.attrs.set_int("group", c.group);
  if (!c.strides.empty()) op.attrs.set_ints("strides", c.strides);
  if (!c.dilations.empty()) op.attrs.set_ints("dilations", c.dilations);
  if (!c.output_padding.empty()) op.attrs.set_ints("output_padding", c.output_padding);
  auto r = run_single_op(op);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  Shape expected_shape{c.x[0], c.w[1] * c.group};
  expected_shape.insert(expected_shape.end(), c.y_spatial.begin(), c.y_spatial.end());
  ASSERT_EQ(r.value()[0].shape(), expected_shape);
  const std::vector<double> expected = naive_conv_transpose(x, w, c.bias ? &b : nullptr, c);
  for (size_t i = 0; i < expected.size(); ++i)
    ASSERT_NEAR(r.value()[0].float_at(static_cast<int64_t>(i)), expected[i], 1e-5) << "element " << i;
}

Attributes ints_attr(const char* name, std::vector<int64_t> v, const char* auto_pad = nullptr) {
  Attributes a;
  if (!v.empty()) a.set_ints(name, std::move(v));
  if (auto_pad) a.set_string("auto_pad", auto_pad);
  return a;
}

TEST(NnConvTranspose, MatchesScatterLoop) {
  const std::vector<TransposeCase> cases = {
      // (in - 1) * stride + (k - 1) * dilation + 1 + output_padding - pads
      {.x = {2, 4, 5}, .w = {4, 3, 3}, .group = 2, .strides = {2}, .dilations = {2}, .y_spatial = {13}, .bias = true},
      {.x = {1, 2, 4, 3},
       .w = {2, 3, 3, 2},
       .strides = {3, 2},
       .output_padding = {1, 1},
       .pads_begin = {1, 0},
       .y_spatial = {11, 6},
       .attrs = ints_attr("pads", {1, 0, 1, 1})},
      {.x = {1, 3, 3, 4, 2}, .w = {3, 2, 2, 3, 2}, .strides = {1, 2, 2}, .y_spatial = {4, 9, 4}, .bias = true},
      {.x = {1, 4, 6, 6},
       .w = {4, 1, 3, 3},
       .group = 4,
       .pads_begin = {1, 1},
       .y_spatial = {6, 6},
       .attrs = ints_attr("pads", {1, 1, 1, 1})},  // depthwise
      // output_shape: crop total = full - shape, the odd cell at the beginning; larger shapes pad the end.
      {.x = {1, 1, 4, 4},
       .w = {1, 2, 3, 3},
       .strides = {2, 2},
       .pads_begin = {1, 0},
       .y_spatial = {8, 10},
       .attrs = ints_attr("output_shape", {8, 10})},
      // SAME_UPPER / SAME_LOWER: output = in * stride, crop 1 cell (full 9, want 8).
      {.x = {1, 1, 4, 4},
       .w = {1, 1, 3, 3},
       .strides = {2, 2},
       .pads_begin = {0, 0},
       .y_spatial = {8, 8},
       .attrs = ints_attr("", {}, "SAME_UPPER")},
      {.x = {1, 1, 4, 4},
       .w = {1, 1, 3, 3},
       .strides = {2, 2},
       .pads_begin = {1, 1},
       .y_spatial = {8, 8},
       .attrs = ints_attr("", {}, "SAME_LOWER")},
      {.x = {1, 8, 20, 20},
       .w = {8, 16, 4, 4},
       .strides = {2, 2},
       .pads_begin = {1, 1},
       .y_spatial = {40, 40},
       .attrs = ints_attr("pads", {1, 1, 1, 1}),
       .bias = true},  // threaded paths
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE("case " + std::to_string(i));
    check(cases[i]);
  }
}

TEST(NnConvTranspose, RejectsBadInput) {
  SingleOp op{.op_type = "ConvTranspose", .inputs = {random_tensor({1, 2, 4, 4}, 1), random_tensor({3, 2, 3, 3}, 2)}};
  auto r = run_single_op(op);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  op.inputs[1] = random_tensor({2, 2, 3, 3}, 2);
  op.attrs.set_string("auto_pad", "SOMETIMES");
  r = run_single_op(op);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), Code::kUnsupported);
  EXPECT_NE(r.status().message().find("auto_pad"), std::string::npos);
  op.attrs = {};
  op.attrs.set_ints("pads", {4, 4, 4, 4});
  r = run_single_op(op);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("pads"), std::string::npos) << r.status().to_string();
}

}  // namespace
}  // namespace tandem
