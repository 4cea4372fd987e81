// Every oneDNN kernel of the CPU backend against the op's plain reference kernel, over a matrix of shapes
// and options (groups, strides, dilations, padding, residual, activations, batch broadcasting).
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "backends/cpu/cpu_kernels.h"
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

// Runs the optimised kernel chosen by the CPU backend and the reference kernel; returns max |diff|
// relative to max |reference|, and the chosen implementation's name.
double compare(const KernelCase& c, std::string* impl) {
  Graph g;
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
  auto fast = select_cpu_kernel(*schema, ctx);
  EXPECT_TRUE(fast.is_ok()) << fast.status().to_string();
  std::unique_ptr<Kernel> ref = schema->create();
  EXPECT_TRUE(ref->prepare(ctx).is_ok());
  *impl = (*fast)->impl_name();
  std::vector<Tensor> out_fast{Tensor::make(DType::kFloat32, ctx.out(0).shape)};
  std::vector<Tensor> out_ref{Tensor::make(DType::kFloat32, ctx.out(0).shape)};
  EXPECT_TRUE((*fast)->run(c.inputs, out_fast).is_ok());
  EXPECT_TRUE(ref->run(c.inputs, out_ref).is_ok());
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

class OnednnConvVsReference : public ::testing::TestWithParam<ConvCase> {};

TEST_P(OnednnConvVsReference, Matches) {
  const ConvCase& p = GetParam();
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
  c.inputs = {random_f32(p.x, 1), random_f32(p.w, 2), p.bias ? random_f32({p.w[0]}, 3) : Tensor()};
  c.constant = {false, true, true};
  if (p.residual) {
    int64_t oh = (p.x[2] + 2 * p.pad - p.dilation * (p.w[2] - 1) - 1) / p.stride + 1;
    int64_t ow = (p.x[3] + 2 * p.pad - p.dilation * (p.w[3] - 1) - 1) / p.stride + 1;
    c.inputs.push_back(random_f32({p.x[0], p.w[0], oh, ow}, 4));
    c.constant.push_back(false);
  }
  std::string impl;
  double err = compare(c, &impl);
  EXPECT_LT(err, 1e-5) << impl;
  EXPECT_EQ(impl.rfind("onednn:", 0), 0u) << "expected a oneDNN kernel, got " << impl;
}

INSTANTIATE_TEST_SUITE_P(
    Matrix, OnednnConvVsReference,
    ::testing::Values(ConvCase{{1, 3, 32, 64}, {16, 3, 7, 7}, 1, 4, 1, 3, true, false, ""},  // patch embedding
                      ConvCase{{1, 32, 16, 16}, {32, 32, 3, 3}, 1, 1, 1, 1, true, false, "Relu"},
                      ConvCase{{1, 64, 16, 16}, {64, 1, 3, 3}, 64, 1, 1, 1, true, false, "Gelu"},  // depthwise
                      ConvCase{{1, 32, 16, 16}, {64, 8, 3, 3}, 4, 2, 1, 1, false, false, ""},      // grouped, strided
                      ConvCase{{1, 16, 20, 20}, {16, 16, 3, 3}, 1, 1, 3, 3, true, false, "Sigmoid"},  // dilated
                      ConvCase{{1, 64, 8, 16}, {32, 64, 1, 1}, 1, 1, 1, 0, true, true, ""},     // 1x1 + residual
                      ConvCase{{1, 32, 8, 8}, {32, 32, 3, 3}, 1, 1, 1, 1, true, true, "Relu"},  // residual + act
                      ConvCase{{2, 8, 9, 13}, {8, 8, 3, 3}, 1, 1, 1, 1, true, false, "Clip"},   // batch 2, odd
                      ConvCase{{1, 16, 12, 12}, {16, 16, 8, 8}, 1, 8, 1, 0, true, false, "LeakyRelu"}));

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
}

INSTANTIATE_TEST_SUITE_P(Matrix, OnednnMatMulVsReference,
                         ::testing::Values(MatMulCase{{1, 128, 32}, {32, 64}, true, true, ""},  // Linear
                                           MatMulCase{{1, 128, 32}, {32, 64}, true, true, "Gelu"},
                                           MatMulCase{{1, 2, 64, 16}, {1, 2, 16, 48}, false, false, ""},  // attention
                                           MatMulCase{{3, 1, 5, 7}, {1, 4, 7, 6}, false, false, ""},  // broadcast
                                           MatMulCase{{17, 33}, {33, 9}, true, false, "Relu"},
                                           MatMulCase{{1, 2, 64, 16}, {1, 2, 16, 48}, false, false, "", 0.25f},
                                           MatMulCase{{8, 16}, {16, 8}, true, false, "Relu", -1.5f}));

TEST(OnednnEltwise, ActivationsAndSoftmaxMatchReference) {
  for (const char* op : {"Relu", "Sigmoid", "Tanh", "LeakyRelu", "Softmax"}) {
    KernelCase c;
    c.op = op;
    c.inputs = {random_f32({2, 3, 17, 33}, 8)};
    c.constant = {false};
    std::string impl;
    EXPECT_LT(compare(c, &impl), 1e-5) << op << " " << impl;
    EXPECT_EQ(impl.rfind("onednn:", 0), 0u) << op << ": " << impl;
  }
  KernelCase gelu;
  gelu.op = "Gelu";
  gelu.domain = kTandemDomain;
  gelu.inputs = {random_f32({4, 1000}, 9)};
  gelu.constant = {false};
  std::string impl;
  EXPECT_LT(compare(gelu, &impl), 1e-5) << impl;
}

}  // namespace
}  // namespace tandem
