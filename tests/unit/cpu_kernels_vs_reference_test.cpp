// Every optimised kernel of the CPU backend (oneDNN's and Tandem's own) against the op's plain reference
// kernel, over a matrix of shapes and options (groups, strides, dilations, padding, residual, activations,
// batch broadcasting). Convolutions check every tactic the selector may choose, not just the one it picks.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>
#include <tuple>

#include "backends/cpu/cpu_kernels.h"
#include "backends/cpu/onednn_common.h"
#include "core/dtype.h"
#include "ir/graph.h"

namespace tandem {
namespace {

Tensor random_f32(const Shape& shape, uint32_t seed) {
  Tensor t = Tensor::make(DType::kFloat32, shape);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = dist(rng);
  return t;
}

// One node; inputs flagged constant become initializers (weights), the rest are run-time inputs.
struct KernelCase {
  std::string op, domain;
  Attributes attrs;
  std::vector<Tensor> inputs;
  std::vector<bool> constant;
};

using KernelMaker = std::function<std::unique_ptr<Kernel>(const OpContext&)>;

// Runs an optimised kernel (the one the CPU backend selects, or the one `make` builds) and the reference
// kernel; returns max |diff| relative to max |reference|, and the implementation's name. A `make` that
// returns nullptr (the kernel does not apply) yields -1.
// The case's node in `g` (opsets 17 and ai.tandem 1), its context inferred.
OpContext case_context(Graph& g, const KernelCase& c) {
  g.opsets[""] = 17;
  g.opsets[kTandemDomain] = 1;
  std::vector<Value*> ins;
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    if (!c.inputs[i].defined()) {
      ins.push_back(nullptr);
      continue;
    }
    Value* v = g.value("in" + std::to_string(i));
    v->dtype = c.inputs[i].dtype();
    v->has_shape = true;
    v->shape = c.inputs[i].shape();
    if (c.constant[i]) v->constant = c.inputs[i];
    ins.push_back(v);
  }
  Node* node = g.add_node(c.op, "n", ins, {g.value("out")}, c.domain);
  node->attrs = c.attrs;
  const OpSchema* schema = OpRegistry::global().find(c.domain, c.op);
  EXPECT_NE(schema, nullptr);
  OpContext ctx = make_op_context(g, *node);
  Status st = schema->infer(ctx);
  EXPECT_TRUE(st.is_ok()) << st.to_string();
  return ctx;
}

double compare(const KernelCase& c, std::string* impl, const KernelMaker& make = nullptr) {
  Graph g;
  OpContext ctx = case_context(g, c);
  const OpSchema* schema = OpRegistry::global().find(c.domain, c.op);
  Result<std::unique_ptr<Kernel>> fast = Status(Code::kInternal, "no kernel");
  if (make) {
    std::unique_ptr<Kernel> k = make(ctx);
    if (!k) return -1;
    Status prepared = k->prepare(ctx);
    EXPECT_TRUE(prepared.is_ok()) << prepared.to_string();
    if (!prepared.is_ok()) return 1;
    fast = std::move(k);
  } else {
    fast = select_cpu_kernel(*schema, ctx);
  }
  EXPECT_TRUE(fast.is_ok()) << fast.status().to_string();
  std::unique_ptr<Kernel> ref = schema->create();
  EXPECT_TRUE(ref->prepare(ctx).is_ok());
  *impl = (*fast)->impl_name();
  std::vector<Tensor> out_fast{Tensor::make(ctx.out(0).dtype, ctx.out(0).shape)};
  std::vector<Tensor> out_ref{Tensor::make(ctx.out(0).dtype, ctx.out(0).shape)};
  EXPECT_TRUE((*fast)->run(c.inputs, out_fast).is_ok());
  EXPECT_TRUE(ref->run(c.inputs, out_ref).is_ok());
  if (ctx.out(0).dtype == DType::kInt8) {  // int8 results: the largest difference in steps
    int steps = 0;
    for (int64_t i = 0; i < out_ref[0].numel(); ++i)
      steps = std::max(steps, std::abs(out_fast[0].data<int8_t>()[i] - out_ref[0].data<int8_t>()[i]));
    return steps;
  }
  double diff = 0, peak = 1e-6;
  for (int64_t i = 0; i < out_ref[0].numel(); ++i) {
    diff = std::max(diff, double(std::fabs(out_fast[0].data<float>()[i] - out_ref[0].data<float>()[i])));
    peak = std::max(peak, double(std::fabs(out_ref[0].data<float>()[i])));
  }
  return diff / peak;
}

struct ConvCase {
  Shape x, w;
  int64_t group, stride, dilation, pad;
  bool bias, residual;
  std::string activation;
};

KernelCase conv_case(const ConvCase& p) {
  KernelCase c;
  bool fused = p.residual || !p.activation.empty();
  c.op = fused ? "FusedConv" : "Conv";
  c.domain = fused ? kTandemDomain : "";
  c.attrs.set_int("group", p.group);
  c.attrs.set_ints("strides", {p.stride, p.stride});
  c.attrs.set_ints("dilations", {p.dilation, p.dilation});
  c.attrs.set_ints("pads", {p.pad, p.pad, p.pad, p.pad});
  if (!p.activation.empty()) c.attrs.set_string("activation", p.activation);
  if (p.activation == "Clip") c.attrs.set_floats("activation_params", {-0.5f, 0.5f});
  if (p.activation == "LeakyRelu") c.attrs.set_floats("activation_params", {0.1f});
  if (p.activation == "HardSigmoid") c.attrs.set_floats("activation_params", {1.0f / 6, 0.5f});  // torch's
  c.inputs = {random_f32(p.x, 1), random_f32(p.w, 2), p.bias ? random_f32({p.w[0]}, 3) : Tensor()};
  c.constant = {false, true, true};
  if (p.residual) {
    int64_t oh = (p.x[2] + 2 * p.pad - p.dilation * (p.w[2] - 1) - 1) / p.stride + 1;
    int64_t ow = (p.x[3] + 2 * p.pad - p.dilation * (p.w[3] - 1) - 1) / p.stride + 1;
    c.inputs.push_back(random_f32({p.x[0], p.w[0], oh, ow}, 4));
    c.constant.push_back(false);
  }
  return c;
}

// oneDNN's Winograd kernel of that form where oneDNN offers it for the node's geometry, else nullptr (compare
// yields -1).
KernelMaker winograd_if_offered(Winograd form) {
  return [form](const OpContext& ctx) -> std::unique_ptr<Kernel> {
    std::unique_ptr<Kernel> k = make_onednn_conv({.winograd = form});
    return k->prepare(ctx).is_ok() ? std::move(k) : nullptr;
  };
}

bool winograd_geometry(const ConvCase& p) {
  return p.w[2] == 3 && p.w[3] == 3 && p.stride == 1 && p.dilation == 1 && p.group == 1;
}

// Checks oneDNN's Winograd kernels on case `p` (`c` built from it): offered only for 3x3, stride 1, undilated,
// ungrouped convolutions, at least one form where there is no activation or ReLU (its only eltwise post-op in
// oneDNN 2.6), each the form asked for and within 1e-5.
void expect_winograd(const KernelCase& c, const ConvCase& p) {
  int offered = 0;
  for (auto [form, name] : {std::pair{Winograd::kF2x3, "wino_2x3"}, std::pair{Winograd::kF4x3, "wino_4x3"}}) {
    std::string impl;
    const double err = compare(c, &impl, winograd_if_offered(form));
    if (!winograd_geometry(p)) EXPECT_EQ(err, -1) << "Winograd is 3x3, stride 1, undilated only";
    if (err < 0) continue;
    ++offered;
    EXPECT_LT(err, 1e-5) << impl;
    EXPECT_NE(impl.find(name), std::string::npos) << impl;
  }
  if (winograd_geometry(p) && (p.activation.empty() || p.activation == "Relu"))
    EXPECT_GE(offered, 1) << "oneDNN offers Winograd for this case";
}

class ConvVsReference : public ::testing::TestWithParam<ConvCase> {};

TEST_P(ConvVsReference, EveryTacticMatches) {
  KernelCase c = conv_case(GetParam());
  std::string impl;
  EXPECT_LT(compare(c, &impl), 1e-5) << "selected " << impl;
  EXPECT_NE(impl, "reference");
  EXPECT_LT(compare(c, &impl, [](const OpContext&) { return make_onednn_conv({.blocked_io = true}); }), 1e-5) << impl;
  EXPECT_EQ(impl.rfind("onednn:", 0), 0u) << "expected a oneDNN kernel, got " << impl;
  EXPECT_LT(compare(c, &impl, [](const OpContext&) { return make_onednn_conv({.blocked_io = false}); }), 1e-5) << impl;
  double direct = compare(c, &impl, make_conv2d_f32_nchw_direct);
  bool few_out = GetParam().w[0] <= 8 && GetParam().group == 1 && GetParam().stride == 1;
  EXPECT_EQ(direct >= 0, few_out) << "the direct kernel applies exactly to group 1, x-stride 1, <= 8 outputs";
  if (direct >= 0) {
    EXPECT_LT(direct, 1e-5) << impl;
  }
  expect_winograd(c, GetParam());
  // The activation applied after the convolution (a tactic for Silu, Gelu, Sigmoid), both layouts.
  const std::string& act = GetParam().activation;
  if (act == "Silu" || act == "Gelu" || act == "Sigmoid") {
    for (bool blocked : {true, false}) {
      EXPECT_LT(compare(c, &impl,
                        [blocked](const OpContext&) {
                          return make_onednn_conv({.blocked_io = blocked, .activation_after = true});
                        }),
                1e-5)
          << impl;
      EXPECT_NE(impl.find("+act_after"), std::string::npos) << impl;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Matrix, ConvVsReference,
    ::testing::Values(ConvCase{{1, 3, 32, 64}, {16, 3, 7, 7}, 1, 4, 1, 3, true, false, ""},  // patch embedding
                      ConvCase{{1, 32, 16, 16}, {32, 32, 3, 3}, 1, 1, 1, 1, true, false, "Relu"},
                      ConvCase{{1, 64, 16, 16}, {64, 1, 3, 3}, 64, 1, 1, 1, true, false, "Gelu"},  // depthwise
                      ConvCase{{1, 32, 16, 16}, {64, 8, 3, 3}, 4, 2, 1, 1, false, false, ""},      // grouped, strided
                      ConvCase{{1, 16, 20, 20}, {16, 16, 3, 3}, 1, 1, 3, 3, true, false, "Sigmoid"},  // dilated
                      ConvCase{{1, 64, 8, 16}, {32, 64, 1, 1}, 1, 1, 1, 0, true, true, ""},           // 1x1 + residual
                      ConvCase{{1, 32, 8, 8}, {32, 32, 3, 3}, 1, 1, 1, 1, true, true, "Relu"},        // residual + act
                      ConvCase{{2, 8, 9, 13}, {8, 8, 3, 3}, 1, 1, 1, 1, true, false, "Clip"},         // batch 2, odd
                      ConvCase{{1, 16, 12, 12}, {16, 16, 8, 8}, 1, 8, 1, 0, true, false, "LeakyRelu"},
                      // MobileNetV3's squeeze-excitation expansion (two post-ops: linear, clip)
                      ConvCase{{1, 24, 1, 1}, {96, 24, 1, 1}, 1, 1, 1, 0, true, false, "HardSigmoid"},
                      ConvCase{{1, 16, 9, 9}, {16, 16, 3, 3}, 1, 1, 1, 1, true, true, "HardSigmoid"},
                      // Few output channels (the direct kernel's cases): a depth head's last conv, residual,
                      // dilation, 5x5, 1x1, no padding, batch 2 with odd sizes.
                      ConvCase{{1, 16, 24, 40}, {1, 16, 3, 3}, 1, 1, 1, 1, true, false, "Sigmoid"},
                      ConvCase{{1, 8, 10, 17}, {3, 8, 3, 3}, 1, 1, 1, 1, true, true, "Relu"},
                      ConvCase{{1, 4, 19, 21}, {2, 4, 3, 3}, 1, 1, 2, 2, false, false, ""},
                      ConvCase{{2, 5, 11, 9}, {4, 5, 5, 5}, 1, 1, 1, 2, true, false, "Tanh"},
                      ConvCase{{1, 6, 7, 13}, {8, 6, 1, 1}, 1, 1, 1, 0, true, false, ""},
                      ConvCase{{2, 3, 9, 15}, {1, 3, 3, 3}, 1, 1, 1, 0, true, false, "LeakyRelu"},
                      // EfficientNet's SiLU (swish post-op): depthwise, 1x1 expansion, strided, and direct-kernel
                      ConvCase{{1, 32, 14, 14}, {32, 1, 3, 3}, 32, 1, 1, 1, true, false, "Silu"},
                      ConvCase{{1, 16, 12, 12}, {96, 16, 1, 1}, 1, 1, 1, 0, true, false, "Silu"},
                      ConvCase{{1, 3, 33, 33}, {32, 3, 3, 3}, 1, 2, 1, 1, true, false, "Silu"},
                      ConvCase{{1, 8, 10, 17}, {4, 8, 3, 3}, 1, 1, 1, 1, true, true, "Silu"}));

// Channels-last operands (FusedConv src_layout / dst_layout = NHWC): every oneDNN tactic against the reference.
class ConvLayoutVsReference : public ::testing::TestWithParam<std::tuple<ConvCase, bool, bool>> {};

TEST_P(ConvLayoutVsReference, EveryTacticMatches) {
  auto [p, src_last, dst_last] = GetParam();
  KernelCase c = conv_case(p);
  c.op = "FusedConv";
  c.domain = kTandemDomain;
  auto nhwc = [](const Tensor& t) {  // same random values, NHWC shape: only the layout attribute matters here
    return t.reshaped({t.dim(0), t.dim(2), t.dim(3), t.dim(1)});
  };
  if (src_last) c.inputs[0] = nhwc(c.inputs[0]);
  if (dst_last && c.inputs.size() > 3) c.inputs[3] = nhwc(c.inputs[3]);
  c.attrs.set_string("src_layout", src_last ? "NHWC" : "NCHW");
  c.attrs.set_string("dst_layout", dst_last ? "NHWC" : "NCHW");
  std::string impl;
  EXPECT_LT(compare(c, &impl), 1e-5) << "selected " << impl;
  EXPECT_LT(compare(c, &impl, [](const OpContext&) { return make_onednn_conv({.blocked_io = true}); }), 1e-5) << impl;
  EXPECT_LT(compare(c, &impl, [](const OpContext&) { return make_onednn_conv({.blocked_io = false}); }), 1e-5) << impl;
  const double nchw_direct = compare(c, &impl, make_conv2d_f32_nchw_direct);
  if (src_last || dst_last) EXPECT_EQ(nchw_direct, -1) << "the NCHW direct kernel is NCHW only";
  if (nchw_direct >= 0) EXPECT_LT(nchw_direct, 1e-5) << impl;
  // The NHWC direct kernel: channels-last input, few outputs, C a multiple of 16, no residual.
  const double nhwc_direct = compare(c, &impl, make_conv2d_nhwc_direct);
  if (src_last && p.w[0] <= 8 && p.group == 1 && p.x[1] % 16 == 0 && !p.residual) EXPECT_GE(nhwc_direct, 0.0);
  if (!src_last) EXPECT_EQ(nhwc_direct, -1);
  if (nhwc_direct >= 0) EXPECT_LT(nhwc_direct, 1e-5) << impl;
  expect_winograd(c, p);
}

INSTANTIATE_TEST_SUITE_P(
    Matrix, ConvLayoutVsReference,
    ::testing::Combine(::testing::Values(ConvCase{{1, 64, 16, 16}, {64, 1, 3, 3}, 64, 1, 1, 1, true, false, "Gelu"},
                                         ConvCase{{1, 32, 16, 16}, {32, 32, 4, 4}, 1, 4, 1, 0, true, false, ""},
                                         ConvCase{{2, 16, 9, 13}, {24, 16, 3, 3}, 1, 2, 1, 1, true, false, "Relu"},
                                         ConvCase{{1, 32, 8, 8}, {32, 32, 3, 3}, 1, 1, 1, 1, true, true, "Relu"},
                                         // few outputs: a depth head's last conv, wide enough for full blocks
                                         ConvCase{{2, 16, 5, 70}, {1, 16, 3, 3}, 1, 1, 1, 1, true, false, "Sigmoid"},
                                         ConvCase{{1, 32, 9, 40}, {3, 32, 3, 3}, 1, 2, 2, 2, false, false, ""},
                                         ConvCase{{1, 16, 6, 33}, {2, 16, 1, 1}, 1, 1, 1, 0, true, false, ""}),
                       ::testing::Bool(), ::testing::Bool()));

Tensor random_s8(const Shape& shape, uint32_t seed) {
  Tensor t = Tensor::make(DType::kInt8, shape);
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> dist(-127, 127);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<int8_t>()[i] = static_cast<int8_t>(dist(rng));
  return t;
}

// A FusedConvInt8 case for `p`: int8 X (channels-last if asked; 0..127 with x_unsigned) at scale 0.03, int8
// weights with per-channel scales in [0.002, 0.012], and the float case's bias; the inputs after that are the
// caller's (residual, Y_scale).
KernelCase int8_conv_case(const ConvCase& p, bool channels_last, bool x_unsigned) {
  KernelCase f = conv_case(p);
  KernelCase c;
  c.op = "FusedConvInt8";
  c.domain = kTandemDomain;
  c.attrs = f.attrs;
  if (channels_last) {
    c.attrs.set_string("src_layout", "NHWC");
    c.attrs.set_string("dst_layout", "NHWC");
  }
  Shape x = p.x;
  if (channels_last) x = {x[0], x[2], x[3], x[1]};
  Tensor w_scale = random_f32({p.w[0]}, 11);
  for (int64_t i = 0; i < w_scale.numel(); ++i)
    w_scale.data<float>()[i] = 0.002f + 0.01f * std::fabs(w_scale.data<float>()[i]);
  Tensor xq = random_s8(x, 12);
  if (x_unsigned) {
    for (int64_t i = 0; i < xq.numel(); ++i) xq.data<int8_t>()[i] = static_cast<int8_t>(std::abs(xq.data<int8_t>()[i]));
    c.attrs.set_int("x_unsigned", 1);
  }
  c.inputs = {xq, Tensor::scalar<float>(0.03f), random_s8(p.w, 13), w_scale,
              p.bias ? random_f32({p.w[0]}, 14) : Tensor()};
  c.constant = {false, true, true, true, true};
  return c;
}

// FusedConvInt8: oneDNN's int8 convolution (s32 accumulation, per-channel output scales, bias, residual and
// activation as post-ops) against the dequantize-then-float reference, for every int8 tactic. A non-negative
// source (x_unsigned, values 0..127) is exact; a signed one loses precision on AVX2 without VNNI, where
// oneDNN halves the weights to keep vpmaddubsw from saturating: measured 0.7-0.9 % of the peak here, 7 % for
// the 16 -> 1 sigmoid case (one output channel, and sigmoid flattens the peak); a wrong scale would be 100 %.
class ConvInt8VsReference : public ::testing::TestWithParam<std::tuple<ConvCase, bool, bool>> {};

TEST_P(ConvInt8VsReference, EveryTacticMatches) {
  auto [p, channels_last, x_unsigned] = GetParam();
  KernelCase f = conv_case(p);
  KernelCase c = int8_conv_case(p, channels_last, x_unsigned);
  if (p.residual) {
    Shape z = f.inputs[3].shape();
    if (channels_last) z = {z[0], z[2], z[3], z[1]};
    c.inputs.push_back(random_f32(z, 15));
    c.constant.push_back(false);
  }
  const double tolerance = x_unsigned ? 1e-5 : 0.1;
  std::string impl;
  EXPECT_LT(compare(c, &impl), tolerance) << "selected " << impl;
  EXPECT_TRUE(impl.rfind("onednn:", 0) == 0 || impl.rfind("direct:", 0) == 0) << impl;
  for (bool blocked : {true, false}) {
    double err = compare(c, &impl, [blocked](const OpContext&) { return make_onednn_conv({.blocked_io = blocked}); });
    EXPECT_LT(err, tolerance) << impl;
  }
  // Tandem's direct kernel (few output channels, NCHW) computes the int8 op's definition in float: exact.
  double direct = compare(c, &impl, [](const OpContext& ctx) { return make_conv2d_f32_nchw_direct(ctx); });
  if (p.w[0] <= 8 && p.group == 1 && !channels_last) EXPECT_GE(direct, 0.0) << "the direct kernel applies";
  if (direct >= 0) EXPECT_LT(direct, 1e-5) << impl;
  const double nhwc_direct = compare(c, &impl, make_conv2d_nhwc_direct);
  if (channels_last && p.w[0] <= 8 && p.group == 1 && p.x[1] % 16 == 0 && !p.residual)
    EXPECT_GE(nhwc_direct, 0.0) << "the NHWC direct kernel applies";
  if (nhwc_direct >= 0) EXPECT_LT(nhwc_direct, 1e-5) << impl;
}

INSTANTIATE_TEST_SUITE_P(
    Matrix, ConvInt8VsReference,
    ::testing::Combine(::testing::Values(ConvCase{{1, 32, 16, 16}, {32, 32, 3, 3}, 1, 1, 1, 1, true, false, "Relu"},
                                         ConvCase{{1, 16, 20, 24}, {16, 16, 3, 3}, 1, 1, 1, 1, true, true, "Relu"},
                                         ConvCase{{1, 64, 8, 16}, {19, 64, 1, 1}, 1, 1, 1, 0, true, false, ""},
                                         ConvCase{{1, 32, 16, 16}, {32, 1, 3, 3}, 32, 1, 1, 1, true, false, ""},
                                         ConvCase{{2, 16, 9, 13}, {1, 16, 3, 3}, 1, 1, 1, 1, true, false, "Sigmoid"},
                                         ConvCase{{1, 16, 6, 150}, {2, 16, 3, 3}, 1, 1, 1, 1, true, true, "Relu"},
                                         // few outputs, no residual: the NHWC direct kernel's blocks (VNNI for u8)
                                         ConvCase{{1, 16, 7, 45}, {2, 16, 3, 3}, 1, 1, 1, 1, true, false, "Sigmoid"},
                                         ConvCase{{1, 8, 17, 17}, {16, 8, 3, 3}, 1, 2, 1, 1, false, false, ""}),
                       ::testing::Bool(), ::testing::Bool()));

// FusedConvInt8 with Y_scale: the result requantised to int8 as oneDNN stores it (activation first, then the
// division by Y_scale), against the reference's float result quantised like QuantizeLinear. oneDNN multiplies
// by 1 / Y_scale, so a value within float rounding of a half step may land one step away; never more.
class ConvInt8RequantizedVsReference : public ::testing::TestWithParam<std::tuple<ConvCase, bool>> {};

TEST_P(ConvInt8RequantizedVsReference, EveryTacticWithinOneStep) {
  auto [p, channels_last] = GetParam();
  KernelCase c = int8_conv_case(p, channels_last, /*x_unsigned=*/true);
  // No residual; Y_scale such that the largest results saturate: the clamp is part of what is checked.
  c.inputs.push_back(Tensor());
  c.inputs.push_back(Tensor::scalar<float>(0.02f));
  c.constant.push_back(false);
  c.constant.push_back(true);
  std::string impl;
  EXPECT_LE(compare(c, &impl), 1.0) << "selected " << impl;
  EXPECT_EQ(impl.rfind("onednn:", 0), 0u) << impl;
  for (bool blocked : {true, false}) {
    double steps = compare(c, &impl, [blocked](const OpContext&) { return make_onednn_conv({.blocked_io = blocked}); });
    EXPECT_LE(steps, 1.0) << impl;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Matrix, ConvInt8RequantizedVsReference,
    ::testing::Combine(::testing::Values(ConvCase{{1, 32, 16, 16}, {32, 32, 3, 3}, 1, 1, 1, 1, true, false, "Relu"},
                                         ConvCase{{1, 16, 20, 24}, {16, 16, 3, 3}, 1, 1, 1, 1, false, false, ""},
                                         ConvCase{{1, 64, 8, 16}, {19, 64, 1, 1}, 1, 1, 1, 0, true, false, "Sigmoid"},
                                         ConvCase{{1, 8, 17, 17}, {16, 8, 3, 3}, 1, 2, 1, 1, true, false, "Silu"}),
                       ::testing::Bool()));

struct MatMulCase {
  Shape a, b;
  bool b_constant, bias;
  std::string activation;
  float alpha = 1.0f;
};

class OnednnMatMulVsReference : public ::testing::TestWithParam<MatMulCase> {};

TEST_P(OnednnMatMulVsReference, Matches) {
  const MatMulCase& p = GetParam();
  KernelCase c;
  bool fused = p.bias || !p.activation.empty() || p.alpha != 1.0f;
  c.op = fused ? "FusedMatMul" : "MatMul";
  c.domain = fused ? kTandemDomain : "";
  if (!p.activation.empty()) c.attrs.set_string("activation", p.activation);
  if (p.alpha != 1.0f) c.attrs.set_float("alpha", p.alpha);
  c.inputs = {random_f32(p.a, 5), random_f32(p.b, 6)};
  c.constant = {false, p.b_constant};
  if (p.bias) {
    c.inputs.push_back(random_f32({p.b.back()}, 7));
    c.constant.push_back(true);
  }
  std::string impl;
  double err = compare(c, &impl);
  EXPECT_LT(err, 1e-5) << impl;
  EXPECT_EQ(impl.rfind("onednn:", 0), 0u) << "expected a oneDNN kernel, got " << impl;
  // The activation applied after the product (a tactic for Gelu, Silu, Sigmoid).
  if (p.activation == "Gelu" || p.activation == "Silu") {
    err = compare(c, &impl, [](const OpContext& ctx) { return make_onednn_matmul(ctx, "onednn_fp32_act_after"); });
    EXPECT_LT(err, 1e-5) << impl;
    EXPECT_NE(impl.find("+act_after"), std::string::npos) << impl;
  }
}

INSTANTIATE_TEST_SUITE_P(Matrix, OnednnMatMulVsReference,
                         ::testing::Values(MatMulCase{{1, 128, 32}, {32, 64}, true, true, ""},  // Linear
                                           MatMulCase{{1, 128, 32}, {32, 64}, true, true, "Gelu"},
                                           MatMulCase{{1, 2, 64, 16}, {1, 2, 16, 48}, false, false, ""},  // attention
                                           MatMulCase{{3, 1, 5, 7}, {1, 4, 7, 6}, false, false, ""},      // broadcast
                                           MatMulCase{{17, 33}, {33, 9}, true, false, "Relu"},
                                           MatMulCase{{1, 49, 320}, {320, 64}, true, true, "Silu"},
                                           MatMulCase{{1, 2, 64, 16}, {1, 2, 16, 48}, false, false, "", 0.25f},
                                           MatMulCase{{8, 16}, {16, 8}, true, false, "Relu", -1.5f},
                                           // batch dimensions folded into M (B has none of its own):
                                           // ConvNeXt's Linear on [N, H, W, C], batch 2, a rank-3 B of batch 1
                                           MatMulCase{{1, 7, 7, 96}, {96, 64}, true, true, "Gelu"},
                                           MatMulCase{{2, 3, 5, 16}, {16, 24}, true, false, ""},
                                           MatMulCase{{2, 5, 16}, {1, 16, 8}, false, false, "", 0.5f}));

// One row by constant weights (a classifier head): Tandem's matrix-vector kernel, which the selector takes for
// it; N not a multiple of its 128-column panels, K odd, batch dimensions of 1, with and without bias.
class GemvVsReference : public ::testing::TestWithParam<MatMulCase> {};

TEST_P(GemvVsReference, Matches) {
  const MatMulCase& p = GetParam();
  KernelCase c;
  const bool fused = p.bias || !p.activation.empty();
  c.op = fused ? "FusedMatMul" : "MatMul";
  c.domain = fused ? kTandemDomain : "";
  if (!p.activation.empty()) c.attrs.set_string("activation", p.activation);
  c.inputs = {random_f32(p.a, 5), random_f32(p.b, 6)};
  c.constant = {false, true};
  if (p.bias) {
    c.inputs.push_back(random_f32({p.b.back()}, 7));
    c.constant.push_back(true);
  }
  std::string impl;
  EXPECT_LT(compare(c, &impl, make_gemv_f32), 1e-5) << impl;
  EXPECT_LT(compare(c, &impl), 1e-5) << impl;
  EXPECT_EQ(impl, "gemv:panel128");
}

INSTANTIATE_TEST_SUITE_P(Matrix, GemvVsReference,
                         ::testing::Values(MatMulCase{{1, 960}, {960, 1280}, true, true, "HardSwish"},
                                           MatMulCase{{1, 1280}, {1280, 1000}, true, true, ""},
                                           MatMulCase{{1, 1, 7}, {7, 5}, true, false, ""},
                                           MatMulCase{{1, 1, 1, 33}, {33, 130}, true, true, "Relu"}));

// FusedMatMulInt8 (a Linear layer in int8: s8 or u8 A, per-column s8 B, bias and activation) on oneDNN against
// the dequantize-then-float reference; unsigned sources exact, signed within AVX2's halved-weight error.
class OnednnMatMulInt8VsReference : public ::testing::TestWithParam<std::tuple<MatMulCase, bool>> {};

TEST_P(OnednnMatMulInt8VsReference, Matches) {
  auto [p, x_unsigned] = GetParam();
  KernelCase c;
  c.op = "FusedMatMulInt8";
  c.domain = kTandemDomain;
  if (!p.activation.empty()) c.attrs.set_string("activation", p.activation);
  Tensor aq = random_s8(p.a, 21);
  if (x_unsigned) {
    for (int64_t i = 0; i < aq.numel(); ++i) aq.data<int8_t>()[i] = static_cast<int8_t>(std::abs(aq.data<int8_t>()[i]));
    c.attrs.set_int("x_unsigned", 1);
  }
  Tensor b_scale = random_f32({p.b.back()}, 22);
  for (int64_t i = 0; i < b_scale.numel(); ++i)
    b_scale.data<float>()[i] = 0.002f + 0.01f * std::fabs(b_scale.data<float>()[i]);
  c.inputs = {aq, Tensor::scalar<float>(0.02f), random_s8(p.b, 23), b_scale};
  c.constant = {false, true, true, true};
  if (p.bias) {
    c.inputs.push_back(random_f32({p.b.back()}, 24));
    c.constant.push_back(true);
  }
  std::string impl;
  EXPECT_LT(compare(c, &impl), x_unsigned ? 1e-5 : 0.1) << impl;
  EXPECT_EQ(impl.rfind("onednn:", 0), 0u) << "expected a oneDNN kernel, got " << impl;
}

INSTANTIATE_TEST_SUITE_P(Matrix, OnednnMatMulInt8VsReference,
                         ::testing::Combine(::testing::Values(MatMulCase{{1, 128, 32}, {32, 64}, true, true, ""},
                                                              MatMulCase{{1, 128, 64}, {64, 256}, true, true, "Gelu"},
                                                              MatMulCase{{17, 33}, {33, 9}, true, false, "Relu"},
                                                              MatMulCase{{2, 1, 40, 24}, {24, 16}, true, true, ""}),
                                            ::testing::Bool()));

TEST(OnednnEltwise, ActivationsAndSoftmaxMatchReference) {
  for (const char* op : {"Relu", "Sigmoid", "Tanh", "LeakyRelu", "Softmax"}) {
    KernelCase c;
    c.op = op;
    c.inputs = {random_f32({2, 3, 17, 33}, 8)};
    c.constant = {false};
    std::string impl;
    if (std::string(op) == "Softmax") {  // oneDNN's softmax, now behind Tandem's AVX-512 one
      EXPECT_LT(compare(c, &impl, make_onednn_softmax), 1e-5) << impl;
    } else {
      EXPECT_LT(compare(c, &impl), 1e-5) << op << " " << impl;
    }
    EXPECT_EQ(impl.rfind("onednn:", 0), 0u) << op << ": " << impl;
  }
  for (const char* op : {"Gelu", "Silu"}) {
    KernelCase c;
    c.op = op;
    c.domain = kTandemDomain;
    c.inputs = {random_f32({4, 1000}, 9)};
    c.constant = {false};
    std::string impl;
    EXPECT_LT(compare(c, &impl), 1e-5) << op << " " << impl;
    EXPECT_EQ(impl.rfind("onednn:", 0), 0u) << op << ": " << impl;
  }
}

// Tandem's AVX-512 softmax over the last axis: rows of whole and partial vectors (attention's 128 keys, Swin's 49
// per window, a single value), large and negative scores, against the reference; the selector takes it; another
// axis is not its case.
TEST(SoftmaxX16, LastAxisMatchesReference) {
#if !defined(__AVX512F__)
  GTEST_SKIP() << "built without AVX-512";
#endif
  for (const Shape& shape : {Shape{4, 128}, Shape{2, 3, 49}, Shape{5, 7}, Shape{3, 1}, Shape{2, 300}}) {
    KernelCase c;
    c.op = "Softmax";
    Tensor x = random_f32(shape, 10);
    for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = 30.0f * x.data<float>()[i] - 20.0f;
    c.inputs = {x};
    c.constant = {false};
    std::string impl;
    EXPECT_LT(compare(c, &impl, make_softmax_x16), 1e-6) << shape_to_string(shape);
    EXPECT_LT(compare(c, &impl), 1e-6);
    EXPECT_EQ(impl, "softmax:x16");
  }
  KernelCase c;
  c.op = "Softmax";
  c.inputs = {random_f32({4, 6, 5}, 11)};
  c.constant = {false};
  c.attrs.set_int("axis", 1);
  std::string impl;
  EXPECT_EQ(compare(c, &impl, make_softmax_x16), -1);
}

// oneDNN pooling against the reference over the window rules it must translate: ceil_mode (a widened right pad),
// explicit pads with and without count_include_pad, strides, 1-D and 3-D windows, global pooling. Geometries oneDNN
// cannot express the same way must fall back (impl "reference"), never differ.
struct PoolCase {
  std::string op;
  Shape x;  // channels-first; the channels-last suite permutes it to [N, H, W, C]
  std::vector<int64_t> kernel, strides, pads;
  int64_t ceil_mode, count_include_pad;
};

const std::vector<PoolCase>& pool_windows() {
  static const std::vector<PoolCase> cases = {
      PoolCase{"MaxPool", {1, 16, 111, 111}, {3, 3}, {2, 2}, {}, 1, 0},           // SqueezeNet
      PoolCase{"MaxPool", {1, 8, 112, 112}, {3, 3}, {2, 2}, {1, 1, 1, 1}, 0, 0},  // ResNet stem
      PoolCase{"MaxPool", {2, 3, 10, 9}, {2, 3}, {2, 2}, {0, 1, 1, 0}, 1, 0},
      PoolCase{"MaxPool", {1, 4, 13}, {4}, {3}, {}, 1, 0},
      PoolCase{"MaxPool", {1, 2, 7, 8, 9}, {3, 2, 3}, {2, 2, 2}, {1, 0, 1, 1, 1, 0}, 0, 0},
      PoolCase{"AveragePool", {1, 8, 28, 28}, {3, 3}, {1, 1}, {1, 1, 1, 1}, 0, 0},
      PoolCase{"AveragePool", {1, 8, 28, 28}, {3, 3}, {1, 1}, {1, 1, 1, 1}, 0, 1},
      PoolCase{"AveragePool", {1, 8, 17, 17}, {3, 3}, {2, 2}, {1, 1, 1, 1}, 1, 0},
      PoolCase{"AveragePool", {1, 8, 16, 16}, {3, 3}, {2, 2}, {1, 1, 1, 1}, 1, 1},
      PoolCase{"AveragePool", {1, 8, 15, 15}, {2, 2}, {2, 2}, {}, 1, 1},
      PoolCase{"AveragePool", {2, 19, 9, 11}, {3, 2}, {2, 3}, {1, 0, 1, 1}, 1, 0},  // channels not a vector multiple
      PoolCase{"GlobalAveragePool", {1, 64, 7, 7}, {}, {}, {}, 0, 0},
      PoolCase{"GlobalAveragePool", {2, 5, 3, 4, 5}, {}, {}, {}, 0, 0}};
  return cases;
}

// The 4-D cases, the ones `layout`="NHWC" applies to.
std::vector<PoolCase> pool_windows_2d() {
  std::vector<PoolCase> cases;
  for (const PoolCase& p : pool_windows())
    if (p.x.size() == 4) cases.push_back(p);
  return cases;
}

KernelCase pool_case(const PoolCase& p, bool channels_last) {
  KernelCase c;
  c.op = p.op;
  if (p.op != "GlobalAveragePool") {
    c.attrs.set_ints("kernel_shape", p.kernel);
    if (!p.strides.empty()) c.attrs.set_ints("strides", p.strides);
    if (!p.pads.empty()) c.attrs.set_ints("pads", p.pads);
    c.attrs.set_int("ceil_mode", p.ceil_mode);
    if (p.op == "AveragePool") c.attrs.set_int("count_include_pad", p.count_include_pad);
  }
  if (channels_last) c.attrs.set_string("layout", "NHWC");
  c.inputs = {random_f32(channels_last ? Shape{p.x[0], p.x[2], p.x[3], p.x[1]} : p.x, 11)};
  c.constant = {false};
  return c;
}

// Only an include-padding average whose ceil window reaches past the explicit pads must fall back.
bool pool_must_fall_back(const PoolCase& p) { return p.op == "AveragePool" && p.count_include_pad && p.ceil_mode; }

class OnednnPoolVsReference : public ::testing::TestWithParam<PoolCase> {};

TEST_P(OnednnPoolVsReference, MatchesOrFallsBack) {
  const PoolCase& p = GetParam();
  std::string impl;
  EXPECT_LT(compare(pool_case(p, false), &impl), 1e-6) << impl;
  if (!pool_must_fall_back(p)) {
    EXPECT_EQ(impl.rfind("onednn:", 0), 0u) << impl;
  }
}

INSTANTIATE_TEST_SUITE_P(Windows, OnednnPoolVsReference, ::testing::ValuesIn(pool_windows()));

// The same windows on channels-last tensors (`layout`="NHWC", oneDNN's nhwc memory): the same fall-back rules, and
// the reference (itself checked against channels-first in ops_nn_pool_test) as the judge.
class OnednnPoolChannelsLastVsReference : public ::testing::TestWithParam<PoolCase> {};

TEST_P(OnednnPoolChannelsLastVsReference, MatchesOrFallsBack) {
  const PoolCase& p = GetParam();
  std::string impl;
  EXPECT_LT(compare(pool_case(p, true), &impl), 1e-6) << impl;
  EXPECT_EQ(impl.rfind("onednn:", 0) == 0, !pool_must_fall_back(p)) << impl;
}

INSTANTIATE_TEST_SUITE_P(Windows, OnednnPoolChannelsLastVsReference, ::testing::ValuesIn(pool_windows_2d()));

// Nodes a bf16 stage marked (kComputePrecisionAttr): oneDNN's bf16 kernels multiply in bf16 (8-bit mantissa inputs
// and weights) and accumulate in fp32, so the result is within bf16's rounding of the reference, and the kernel
// says so in its name; the kernel selected (the faster of fp32 and bf16) is within that too. Skipped where oneDNN has
// no native bf16 (such stages run fp32; CpuUnit notes it).
class Bf16VsReference : public ::testing::TestWithParam<int> {};

TEST_P(Bf16VsReference, ConvolutionsAndMatMulsMultiplyInBf16) {
  if (!onednn_native_bf16()) GTEST_SKIP() << "no AVX-512 BF16 / AMX on this CPU";
  static const ConvCase convs[] = {{{1, 3, 32, 64}, {16, 3, 7, 7}, 1, 4, 1, 3, true, false, ""},
                                   {{1, 32, 16, 16}, {32, 32, 3, 3}, 1, 1, 1, 1, true, true, "Relu"},
                                   {{1, 64, 16, 16}, {64, 1, 3, 3}, 64, 1, 1, 1, true, false, "Gelu"},
                                   {{1, 64, 8, 16}, {19, 64, 1, 1}, 1, 1, 1, 0, true, false, ""},
                                   {{1, 16, 24, 40}, {1, 16, 3, 3}, 1, 1, 1, 1, true, false, "Sigmoid"}};
  static const MatMulCase matmuls[] = {{{1, 128, 32}, {32, 64}, true, true, "Gelu"},
                                       {{1, 2, 64, 16}, {1, 2, 16, 48}, false, false, ""},
                                       {{3, 1, 5, 7}, {1, 4, 7, 6}, false, false, ""},
                                       {{17, 33}, {33, 9}, true, false, "Relu"}};
  const int i = GetParam();
  KernelCase c;
  if (i < 5) {
    c = conv_case(convs[i]);
  } else {
    const MatMulCase& p = matmuls[i - 5];
    const bool fused = p.bias || !p.activation.empty();
    c.op = fused ? "FusedMatMul" : "MatMul";
    c.domain = fused ? kTandemDomain : "";
    if (!p.activation.empty()) c.attrs.set_string("activation", p.activation);
    c.inputs = {random_f32(p.a, 5), random_f32(p.b, 6)};
    c.constant = {false, p.b_constant};
    if (p.bias) {
      c.inputs.push_back(random_f32({p.b.back()}, 7));
      c.constant.push_back(true);
    }
  }
  c.attrs.set_string(kComputePrecisionAttr, "bf16");
  // Every bf16 candidate (the tactic search may prefer an fp32 one where it is faster), and the selected kernel.
  std::vector<KernelMaker> makers;
  if (i < 5) {
    makers = {[](const OpContext&) { return make_onednn_conv({.blocked_io = true, .bf16 = true}); },
              [](const OpContext&) { return make_onednn_conv({.blocked_io = false, .bf16 = true}); }};
  } else {
    makers = {[](const OpContext& ctx) { return make_onednn_matmul(ctx, "onednn_bf16"); }};
  }
  for (const KernelMaker& make : makers) {
    std::string impl;
    const double err = compare(c, &impl, make);
    EXPECT_LT(err, 2e-2) << impl;
    EXPECT_GT(err, 0.0) << impl << ": bit-exact with fp32, so not computing in bf16";
    EXPECT_NE(impl.find("+bf16"), std::string::npos) << impl;
  }
  std::string impl;
  EXPECT_LT(compare(c, &impl), 2e-2) << impl;
}

INSTANTIATE_TEST_SUITE_P(Cases, Bf16VsReference, ::testing::Range(0, 9));

// A bf16 stage's tensors (bf16_dataflow): X arrives and Y leaves as bf16. With the activation applied afterwards
// the convolution writes fp32 to a staging buffer and the activation's pass rounds to bf16; the result is within
// bf16 rounding of the fp32 reference on the same input, as the fused post-op's is.
TEST(Bf16Dataflow, ActivationAfterRoundsToBf16OnTheWayOut) {
  if (!onednn_native_bf16()) GTEST_SKIP() << "no AVX-512 BF16 / AMX on this CPU";
  for (const char* act : {"Gelu", "Silu"}) {
    KernelCase c = conv_case({{1, 64, 16, 16}, {64, 1, 3, 3}, 64, 1, 1, 1, true, false, act});
    // The fp32 reference reads the bf16 input's values.
    Tensor x_bf16 = Tensor::make(DType::kBFloat16, c.inputs[0].shape());
    floats_to_bfloat16(c.inputs[0].data<float>(), static_cast<uint16_t*>(x_bf16.raw()), x_bf16.numel());
    for (int64_t i = 0; i < x_bf16.numel(); ++i)
      c.inputs[0].data<float>()[i] = bfloat16_to_float(static_cast<const uint16_t*>(x_bf16.raw())[i]);
    Graph rg;
    OpContext rctx = case_context(rg, c);
    std::unique_ptr<Kernel> ref = OpRegistry::global().find(kTandemDomain, "FusedConv")->create();
    ASSERT_TRUE(ref->prepare(rctx).is_ok());
    std::vector<Tensor> want{Tensor::make(DType::kFloat32, rctx.out(0).shape)};
    ASSERT_TRUE(ref->run(c.inputs, want).is_ok());

    c.attrs.set_string(kComputePrecisionAttr, "bf16");
    Graph g;
    OpContext ctx = case_context(g, c);
    // What bf16_dataflow sets, after shape inference, on values only bf16 kernels touch.
    ctx.inputs[0].dtype = DType::kBFloat16;
    ctx.outputs[0].dtype = DType::kBFloat16;
    c.inputs[0] = x_bf16;
    for (bool after : {false, true}) {
      std::unique_ptr<Kernel> k = make_onednn_conv({.blocked_io = false, .bf16 = true, .activation_after = after});
      Status st = k->prepare(ctx);
      ASSERT_TRUE(st.is_ok()) << st.to_string();
      EXPECT_EQ(k->impl_name().find("+act_after") != std::string::npos, after) << k->impl_name();
      std::vector<Tensor> out{Tensor::make(DType::kBFloat16, ctx.out(0).shape)};
      ASSERT_TRUE(k->run(c.inputs, out).is_ok());
      double peak = 1e-6, err = 0;
      for (int64_t i = 0; i < want[0].numel(); ++i) {
        const float got = bfloat16_to_float(static_cast<const uint16_t*>(out[0].raw())[i]);
        peak = std::max(peak, double(std::fabs(want[0].data<float>()[i])));
        err = std::max(err, double(std::fabs(got - want[0].data<float>()[i])));
      }
      EXPECT_LT(err / peak, 2e-2) << act << (after ? " afterwards" : " as post-op");
      EXPECT_GT(err, 0.0) << "bit-exact with fp32, so not bf16";
    }
  }
}

}  // namespace
}  // namespace tandem
