// FusedConv / FusedMatMul (domain ai.tandem) against the unfused ops plus bias, residual and activation done here.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>
#include <string>

#include "single_op.h"

namespace tandem {
namespace {

using testing::run_single_op;
using testing::SingleOp;
using testing::random_tensor;
using testing::run_ok;
using testing::expect_error;

struct ActCase {
  std::string name;
  std::vector<float> params;
  std::function<double(double)> f;  // written out here, independent of activation.h
};

const std::vector<ActCase>& activations() {
  static const std::vector<ActCase> cases = {
      {"None", {}, [](double x) { return x; }},
      {"Relu", {}, [](double x) { return x > 0 ? x : 0.0; }},
      {"LeakyRelu", {0.1f}, [](double x) { return x >= 0 ? x : 0.1 * x; }},
      {"Clip", {-0.2f, 0.3f}, [](double x) { return std::min(0.3, std::max(-0.2, x)); }},
      {"Sigmoid", {}, [](double x) { return 1.0 / (1.0 + std::exp(-x)); }},
      {"HardSwish", {}, [](double x) { return x * std::min(1.0, std::max(0.0, x / 6.0 + 0.5)); }},
      {"Gelu", {}, [](double x) { return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))); }},
  };
  return cases;
}

void set_activation(SingleOp& op, const ActCase& act) {
  op.attrs.set_string("activation", act.name);
  if (!act.params.empty()) op.attrs.set_floats("activation_params", act.params);
}

// ---- FusedConv ----

TEST(FusedConv, EqualsConvPlusBiasResidualActivation) {
  const Tensor x = random_tensor({2, 6, 9, 8}, 1), w = random_tensor({4, 3, 3, 3}, 2), b = random_tensor({4}, 3);
  Attributes conv_attrs;
  conv_attrs.set_int("group", 2);
  conv_attrs.set_ints("strides", {2, 1});
  conv_attrs.set_ints("pads", {1, 0, 1, 2});
  conv_attrs.set_ints("dilations", {1, 2});
  for (bool with_bias : {false, true}) {
    for (bool with_z : {false, true}) {
      // Conv without bias, so the test adds bias, residual and activation itself in that order.
      const Tensor conv = run_ok({.op_type = "Conv", .attrs = conv_attrs, .inputs = {x, w}});
      const Tensor z = random_tensor(conv.shape(), 4);
      const int64_t per_channel = conv.numel() / (conv.dim(0) * conv.dim(1));
      for (const ActCase& act : activations()) {
        SCOPED_TRACE(act.name + (with_bias ? " bias" : "") + (with_z ? " residual" : ""));
        SingleOp op{.op_type = "FusedConv",
                    .domain = kTandemDomain,
                    .opset = 1,
                    .attrs = conv_attrs,
                    .inputs = {x, w, with_bias ? b : Tensor()}};
        if (with_z) op.inputs.push_back(z);
        set_activation(op, act);
        const Tensor y = run_ok(op);
        ASSERT_EQ(y.shape(), conv.shape());
        for (int64_t i = 0; i < y.numel(); ++i) {
          double v = conv.float_at(i);
          if (with_bias) v += b.float_at((i / per_channel) % conv.dim(1));
          if (with_z) v += z.float_at(i);
          ASSERT_NEAR(y.float_at(i), act.f(v), 1e-5) << "element " << i;
        }
      }
    }
  }
}

TEST(FusedConv, Float64WithoutActivation) {
  const Tensor x = random_tensor<double>({1, 3, 5, 5}, 1), w = random_tensor<double>({2, 3, 1, 1}, 2);
  const Tensor b = random_tensor<double>({2}, 3);
  const Tensor conv = run_ok({.op_type = "Conv", .inputs = {x, w, b}});
  const Tensor z = random_tensor<double>(conv.shape(), 4);
  const Tensor y = run_ok({.op_type = "FusedConv", .domain = kTandemDomain, .opset = 1, .inputs = {x, w, b, z}});
  for (int64_t i = 0; i < y.numel(); ++i) ASSERT_NEAR(y.float_at(i), conv.float_at(i) + z.float_at(i), 1e-12);
}

// [N, C, H, W] <-> [N, H, W, C].
Tensor to_nhwc(const Tensor& t) {
  Tensor r = Tensor::make(t.dtype(), {t.dim(0), t.dim(2), t.dim(3), t.dim(1)});
  for (int64_t n = 0; n < t.dim(0); ++n)
    for (int64_t c = 0; c < t.dim(1); ++c)
      for (int64_t p = 0; p < t.dim(2) * t.dim(3); ++p)
        r.data<float>()[(n * t.dim(2) * t.dim(3) + p) * t.dim(1) + c] = t.data<float>()[(n * t.dim(1) + c) * t.dim(2) * t.dim(3) + p];
  return r;
}

TEST(FusedConv, ChannelsLastLayoutsEqualTransposedChannelsFirst) {
  const Tensor x = random_tensor({2, 6, 7, 9}, 1), w = random_tensor({4, 3, 3, 3}, 2), b = random_tensor({4}, 3);
  Attributes attrs;
  attrs.set_int("group", 2);
  attrs.set_ints("strides", {2, 1});
  attrs.set_ints("pads", {1, 0, 1, 2});
  attrs.set_string("activation", "Relu");
  const Tensor y = run_ok({.op_type = "FusedConv", .domain = kTandemDomain, .opset = 1, .attrs = attrs,
                           .inputs = {x, w, b}});
  const Tensor z = random_tensor(y.shape(), 4);
  const Tensor yz = run_ok({.op_type = "FusedConv", .domain = kTandemDomain, .opset = 1, .attrs = attrs,
                            .inputs = {x, w, b, z}});
  for (bool src_last : {false, true}) {
    for (bool dst_last : {false, true}) {
      SCOPED_TRACE(std::string(src_last ? "NHWC" : "NCHW") + " -> " + (dst_last ? "NHWC" : "NCHW"));
      SingleOp op{.op_type = "FusedConv", .domain = kTandemDomain, .opset = 1, .attrs = attrs,
                  .inputs = {src_last ? to_nhwc(x) : x, w, b, dst_last ? to_nhwc(z) : z}};
      op.attrs.set_string("src_layout", src_last ? "NHWC" : "NCHW");
      op.attrs.set_string("dst_layout", dst_last ? "NHWC" : "NCHW");
      const Tensor got = run_ok(op), want = dst_last ? to_nhwc(yz) : yz;
      ASSERT_EQ(got.shape(), want.shape());
      for (int64_t i = 0; i < got.numel(); ++i) ASSERT_NEAR(got.float_at(i), want.float_at(i), 1e-5) << i;
    }
  }
}

TEST(FusedConv, RejectsBadInput) {
  const Tensor x = random_tensor({1, 2, 5, 5}, 1), w = random_tensor({3, 2, 3, 3}, 2);
  SingleOp op{.op_type = "FusedConv", .domain = kTandemDomain, .opset = 1, .inputs = {x, w}};
  op.attrs.set_string("activation", "Swoosh");
  expect_error(op, Code::kUnsupported, "Swoosh");
  op.attrs = {};
  op.inputs = {x, w, Tensor(), random_tensor({1, 3, 5, 5}, 3)};
  expect_error(op, Code::kInvalidArgument, "residual");
  op.attrs.set_string("activation", "Relu");
  op.inputs = {random_tensor<double>({1, 2, 5, 5}, 1), random_tensor<double>({3, 2, 3, 3}, 2)};
  expect_error(op, Code::kUnsupported, "activation");
  op.attrs = {};
  op.inputs = {x, w};
  op.attrs.set_string("src_layout", "NCWH");
  expect_error(op, Code::kInvalidArgument, "src_layout");
}

// ---- FusedMatMul ----

TEST(FusedMatMul, EqualsMatMulPlusBiasActivation) {
  const std::vector<std::pair<Shape, Shape>> shapes = {{{2, 3, 8}, {8, 5}}, {{8}, {2, 8, 5}}, {{40, 64}, {64, 300}}};
  for (const auto& [as, bs] : shapes) {
    const Tensor a = random_tensor(as, 5), b = random_tensor(bs, 6), bias = random_tensor({bs.back()}, 7);
    const Tensor mm = run_ok({.op_type = "MatMul", .opset = 13, .inputs = {a, b}});
    const int64_t n = bs.back();
    for (bool with_bias : {false, true}) {
      for (const ActCase& act : activations()) {
        SCOPED_TRACE(shape_to_string(as) + " x " + shape_to_string(bs) + " " + act.name);
        SingleOp op{.op_type = "FusedMatMul", .domain = kTandemDomain, .opset = 1, .inputs = {a, b}};
        if (with_bias) op.inputs.push_back(bias);
        set_activation(op, act);
        const Tensor y = run_ok(op);
        ASSERT_EQ(y.shape(), mm.shape());
        for (int64_t i = 0; i < y.numel(); ++i) {
          const double v = mm.float_at(i) + (with_bias ? bias.float_at(i % n) : 0.0);
          ASSERT_NEAR(y.float_at(i), act.f(v), 1e-5) << "element " << i;
        }
      }
    }
  }
}

TEST(FusedMatMul, RejectsBadInput) {
  const Tensor a = random_tensor({3, 4}, 1), b = random_tensor({4, 5}, 2);
  expect_error({.op_type = "FusedMatMul", .domain = kTandemDomain, .opset = 1, .inputs = {a, b, random_tensor({4}, 3)}},
               Code::kInvalidArgument, "bias");
  SingleOp op{.op_type = "FusedMatMul",
              .domain = kTandemDomain,
              .opset = 1,
              .inputs = {Tensor::from_vector<int32_t>({1, 1}, {2}), Tensor::from_vector<int32_t>({1, 1}, {3})}};
  op.attrs.set_string("activation", "Relu");
  expect_error(op, Code::kUnsupported, "activation");
  op.attrs = {};
  EXPECT_EQ(run_ok(op).to_int_vector(), std::vector<int64_t>{6});
}

// alpha scales the product before the bias: y = alpha * (A·B) + bias.
TEST(FusedMatMulOp, AlphaScalesTheProductBeforeTheBias) {
  Tensor a = random_tensor({3, 4, 5}, 11), w = random_tensor({5, 6}, 12), bias = random_tensor({6}, 13);
  SingleOp plain{.op_type = "MatMul", .inputs = {a, w}};
  SingleOp fused{.op_type = "FusedMatMul", .domain = kTandemDomain, .inputs = {a, w, bias}};
  fused.attrs.set_float("alpha", 0.125f);
  Tensor y0 = run_ok(plain), y1 = run_ok(fused);
  ASSERT_EQ(y0.shape(), y1.shape());
  for (int64_t i = 0; i < y0.numel(); ++i)
    EXPECT_NEAR(y1.data<float>()[i], 0.125f * y0.data<float>()[i] + bias.data<float>()[i % 6], 1e-6) << i;
}

}  // namespace
}  // namespace tandem
