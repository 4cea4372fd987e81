// Fusion passes: each pattern becomes the expected node and computes the same numbers on the CPU engine; near
// misses (a value read elsewhere, a wrong constant) are left alone.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "graph_builder.h"
#include "passes/optimize.h"
#include "passes/specialize.h"

namespace tandem {
namespace {

using testing::GraphBuilder;
using testing::ints_attr;
using testing::only_node;
using testing::op_counts;
using testing::random_tensor;
using testing::run_graph;

using testing::fuse_and_compare;

// ---- LayerNorm ----

struct LayerNormSpec {
  float exponent = 2.0f;
  bool gamma = true, beta = true;
  Shape affine_shape = {16};
  bool axes_input = false;  // opset 18: ReduceMean's axes as an input
};

// torch's opset-13 export of nn.LayerNorm(16) on x; `d` and `var` are returned for near-miss tests.
Value* decomposed_layer_norm(GraphBuilder& b, Value* x, const LayerNormSpec& s, Value** d = nullptr,
                             Value** var = nullptr) {
  auto mean = [&](Value* v) {
    if (s.axes_input) return b.op("ReduceMean", {v, b.constant(Tensor::from_vector<int64_t>({1}, {-1}))});
    return b.op("ReduceMean", {v}, ints_attr("axes", {-1}));
  };
  Value* centred = b.op("Sub", {x, mean(x)});
  Value* v = mean(b.op("Pow", {centred, b.scalar(s.exponent)}));
  Value* y = b.op("Div", {centred, b.op("Sqrt", {b.op("Add", {v, b.scalar(1e-5f)})})});
  if (s.gamma) y = b.op("Mul", {b.weights(s.affine_shape), y});  // constant first: either order is exported
  if (s.beta) y = b.op("Add", {y, b.weights(s.affine_shape)});
  if (d) *d = centred;
  if (var) *var = v;
  return y;
}

std::unique_ptr<Graph> layer_norm_graph(const LayerNormSpec& s) {
  GraphBuilder b(s.axes_input ? 18 : 13);
  b.output(decomposed_layer_norm(b, b.input("x", {2, 6, 16}), s));
  return b.specialized();
}

TEST(FuseLayerNorm, TorchExportBecomesOneNode) {
  auto fused = fuse_and_compare(*layer_norm_graph({}), {fuse_layer_norm}, 3.0f);
  EXPECT_EQ(op_counts(*fused), (std::map<std::string, int>{{"LayerNormalization", 1}}));
  Node* ln = only_node(*fused, "LayerNormalization");
  ASSERT_NE(ln, nullptr);
  EXPECT_EQ(ln->name, "ReduceMean0/fused_layernorm");
  EXPECT_FLOAT_EQ(ln->attrs.get_float("epsilon", 0), 1e-5f);
  EXPECT_EQ(ln->num_inputs(), 3);
}

TEST(FuseLayerNorm, WithoutBetaAndWithBroadcastGamma) {
  auto fused = fuse_and_compare(*layer_norm_graph({.beta = false, .affine_shape = {1, 1, 16}}), {fuse_layer_norm});
  EXPECT_EQ(op_counts(*fused), (std::map<std::string, int>{{"LayerNormalization", 1}}));
  Node* ln = only_node(*fused, "LayerNormalization");
  ASSERT_EQ(ln->num_inputs(), 2);
  EXPECT_EQ(ln->input(1)->shape, (Shape{16}));
}

TEST(FuseLayerNorm, WithoutAffineGetsUnitScale) {
  auto fused = fuse_and_compare(*layer_norm_graph({.gamma = false, .beta = false}), {fuse_layer_norm});
  EXPECT_EQ(op_counts(*fused), (std::map<std::string, int>{{"LayerNormalization", 1}}));
}

TEST(FuseLayerNorm, AxesAsInputInOpset18) {
  auto fused = fuse_and_compare(*layer_norm_graph({.axes_input = true}), {fuse_layer_norm});
  EXPECT_EQ(op_counts(*fused), (std::map<std::string, int>{{"LayerNormalization", 1}}));
}

TEST(FuseLayerNorm, PowThreeStays) {
  auto fused = fuse_and_compare(*layer_norm_graph({.exponent = 3.0f}), {fuse_layer_norm});
  EXPECT_EQ(op_counts(*fused)["ReduceMean"], 2);
  EXPECT_EQ(op_counts(*fused).count("LayerNormalization"), 0u);
}

TEST(FuseLayerNorm, CentredValueAlsoAnOutputStays) {
  GraphBuilder b;
  Value* d = nullptr;
  b.output(decomposed_layer_norm(b, b.input("x", {2, 6, 16}), {}, &d));
  b.output(d);
  auto fused = fuse_and_compare(*b.specialized(), {fuse_layer_norm});
  EXPECT_EQ(op_counts(*fused).count("LayerNormalization"), 0u);
}

TEST(FuseLayerNorm, VarianceReadElsewhereStays) {
  GraphBuilder b;
  Value* var = nullptr;
  b.output(decomposed_layer_norm(b, b.input("x", {2, 6, 16}), {}, nullptr, &var));
  b.output(b.op("Relu", {var}));
  auto fused = fuse_and_compare(*b.specialized(), {fuse_layer_norm});
  EXPECT_EQ(op_counts(*fused).count("LayerNormalization"), 0u);
}

// The affine Mul whose input is also an output is not taken, but the normalisation before it still fuses.
TEST(FuseLayerNorm, NormalisedValueReadElsewhereKeepsAffine) {
  GraphBuilder b;
  Value* x = b.input("x", {2, 6, 16});
  Value* n = decomposed_layer_norm(b, x, {.gamma = false, .beta = false});
  b.output(b.op("Mul", {n, b.weights({16})}));
  b.output(n);
  auto fused = fuse_and_compare(*b.specialized(), {fuse_layer_norm});
  EXPECT_EQ(op_counts(*fused), (std::map<std::string, int>{{"LayerNormalization", 1}, {"Mul", 1}}));
}

// ---- GELU ----

// torch's erf GELU: Div(x, sqrt 2) -> Erf -> Add 1 -> Mul x -> Mul 0.5.
Value* torch_gelu(GraphBuilder& b, Value* x, float half = 0.5f, Value** erf = nullptr) {
  Value* e = b.op("Erf", {b.op("Div", {x, b.scalar(1.4142135381698608f)})});
  if (erf) *erf = e;
  return b.op("Mul", {b.op("Mul", {x, b.op("Add", {e, b.scalar(1.0f)})}), b.scalar(half)});
}

TEST(FuseGelu, TorchErfFormBecomesOneNode) {
  GraphBuilder b;
  b.output(torch_gelu(b, b.input("x", {2, 8, 32})));
  auto fused = fuse_and_compare(*b.specialized(), {fuse_gelu}, 4.0f);
  EXPECT_EQ(op_counts(*fused), (std::map<std::string, int>{{"Gelu", 1}}));
  Node* gelu = only_node(*fused, "Gelu");
  EXPECT_EQ(gelu->domain, kTandemDomain);
  EXPECT_EQ(gelu->attrs.get_string("approximate", ""), "none");
}

TEST(FuseGelu, HalfFirstWithReciprocalScale) {
  GraphBuilder b;
  Value* x = b.input("x", {4, 32});
  Value* half = b.op("Mul", {b.scalar(0.5f), x});
  Value* s = b.op("Add", {b.scalar(1.0f), b.op("Erf", {b.op("Mul", {b.scalar(0.70710678f), x})})});
  b.output(b.op("Mul", {s, half}));
  auto fused = fuse_and_compare(*b.specialized(), {fuse_gelu}, 4.0f);
  EXPECT_EQ(op_counts(*fused), (std::map<std::string, int>{{"Gelu", 1}}));
}

TEST(FuseGelu, WrongConstantStays) {
  GraphBuilder b;
  b.output(torch_gelu(b, b.input("x", {4, 32}), 0.6f));
  auto fused = fuse_and_compare(*b.specialized(), {fuse_gelu});
  EXPECT_EQ(op_counts(*fused).count("Gelu"), 0u);
}

TEST(FuseGelu, ErfAlsoAnOutputStays) {
  GraphBuilder b;
  Value* erf = nullptr;
  b.output(torch_gelu(b, b.input("x", {4, 32}), 0.5f, &erf));
  b.output(erf);
  auto fused = fuse_and_compare(*b.specialized(), {fuse_gelu});
  EXPECT_EQ(op_counts(*fused).count("Gelu"), 0u);
}

// ---- MatMul + Add (+ activation) ----

TEST(FuseMatMulAdd, LinearBecomesFusedMatMul) {
  GraphBuilder b;
  Value* a = b.input("a", {2, 5, 8});
  b.output(b.op("Add", {b.weights({16}), b.op("MatMul", {a, b.weights({8, 16})})}));
  auto fused = fuse_and_compare(*b.specialized(), {fuse_matmul_add});
  EXPECT_EQ(op_counts(*fused), (std::map<std::string, int>{{"FusedMatMul", 1}}));
  Node* mm = only_node(*fused, "FusedMatMul");
  EXPECT_EQ(mm->num_inputs(), 3);
  EXPECT_EQ(mm->attrs.get_string("activation", "None"), "None");
}

TEST(FuseMatMulAdd, BroadcastBiasThenGelu) {
  GraphBuilder b;
  Value* a = b.input("a", {2, 5, 8});
  Value* y = b.op("Add", {b.op("MatMul", {a, b.weights({8, 16})}), b.weights({1, 1, 16})});
  b.output(torch_gelu(b, y));
  auto fused = fuse_and_compare(*b.specialized(), {fuse_gelu, fuse_matmul_add});
  EXPECT_EQ(op_counts(*fused), (std::map<std::string, int>{{"FusedMatMul", 1}}));
  Node* mm = only_node(*fused, "FusedMatMul");
  EXPECT_EQ(mm->attrs.get_string("activation", ""), "Gelu");
  EXPECT_EQ(mm->input(2)->shape, (Shape{16}));
}

TEST(FuseMatMulAdd, MatMulThenActivation) {
  for (const char* act : {"Relu", "Sigmoid", "Tanh"}) {
    GraphBuilder b;
    b.output(b.op(act, {b.op("MatMul", {b.input("a", {6, 8}), b.weights({8, 4})})}));
    auto fused = fuse_and_compare(*b.specialized(), {fuse_matmul_add});
    EXPECT_EQ(op_counts(*fused), (std::map<std::string, int>{{"FusedMatMul", 1}})) << act;
    EXPECT_EQ(only_node(*fused, "FusedMatMul")->attrs.get_string("activation", ""), act);
  }
}

TEST(FuseMatMulAdd, MatMulAlsoAnOutputStays) {
  GraphBuilder b;
  Value* y = b.op("MatMul", {b.input("a", {6, 8}), b.weights({8, 4})});
  b.output(b.op("Add", {y, b.weights({4})}));
  b.output(y);
  auto fused = fuse_and_compare(*b.specialized(), {fuse_matmul_add});
  EXPECT_EQ(op_counts(*fused), (std::map<std::string, int>{{"MatMul", 1}, {"Add", 1}}));
}

TEST(FuseMatMulAdd, PerRowBiasStays) {
  GraphBuilder b;
  b.output(b.op("Add", {b.op("MatMul", {b.input("a", {6, 8}), b.weights({8, 4})}), b.weights({6, 4})}));
  auto fused = fuse_and_compare(*b.specialized(), {fuse_matmul_add});
  EXPECT_EQ(op_counts(*fused), (std::map<std::string, int>{{"MatMul", 1}, {"Add", 1}}));
}

TEST(FuseMatMulAdd, ComputedWeightsStay) {
  GraphBuilder b;
  b.output(b.op("Relu", {b.op("MatMul", {b.input("a", {6, 8}), b.input("w", {8, 4})})}));
  auto fused = fuse_and_compare(*b.specialized(), {fuse_matmul_add});
  EXPECT_EQ(op_counts(*fused), (std::map<std::string, int>{{"MatMul", 1}, {"Relu", 1}}));
}

// ---- Gemm -> FusedMatMul ----

Attributes gemm_attrs(int64_t trans_b, float alpha, float beta) {
  Attributes a;
  a.set_int("transB", trans_b);
  a.set_float("alpha", alpha);
  a.set_float("beta", beta);
  return a;
}

TEST(GemmToMatMul, TorchLinearThenReluBecomesOneFusedMatMul) {
  GraphBuilder b;
  Value* y = b.op("Gemm", {b.input("a", {3, 24}), b.weights({10, 24}), b.weights({10})}, gemm_attrs(1, 1.0f, 1.0f));
  b.output(b.op("Relu", {y}));
  auto fused = fuse_and_compare(*b.specialized(), {gemm_to_matmul, fuse_matmul_add});
  EXPECT_EQ(op_counts(*fused), (std::map<std::string, int>{{"FusedMatMul", 1}}));
  Node* mm = only_node(*fused, "FusedMatMul");
  EXPECT_EQ(mm->input(1)->shape, (Shape{24, 10}));
  EXPECT_EQ(mm->attrs.get_string("activation", ""), "Relu");
}

TEST(GemmToMatMul, AlphaBetaAndBroadcastBias) {
  for (int64_t trans_b : {0, 1}) {
    GraphBuilder b;
    Shape w = trans_b ? Shape{7, 5} : Shape{5, 7};
    b.output(b.op("Gemm", {b.input("a", {4, 5}), b.weights(w), b.weights({1, 7})}, gemm_attrs(trans_b, 0.5f, 2.0f)));
    auto fused = fuse_and_compare(*b.specialized(), {gemm_to_matmul});
    EXPECT_EQ(op_counts(*fused), (std::map<std::string, int>{{"FusedMatMul", 1}})) << trans_b;
  }
  GraphBuilder b;  // no C at all
  b.output(b.op("Gemm", {b.input("a", {4, 5}), b.weights({5, 7})}, gemm_attrs(0, 1.0f, 1.0f)));
  EXPECT_EQ(op_counts(*fuse_and_compare(*b.specialized(), {gemm_to_matmul})),
            (std::map<std::string, int>{{"FusedMatMul", 1}}));
}

TEST(GemmToMatMul, TransposedAPerElementCAndRunTimeBStay) {
  GraphBuilder b;
  Attributes trans_a = gemm_attrs(0, 1.0f, 1.0f);
  trans_a.set_int("transA", 1);
  b.output(b.op("Gemm", {b.input("a", {5, 4}), b.weights({5, 7})}, trans_a));
  b.output(b.op("Gemm", {b.input("c", {4, 5}), b.weights({5, 7}), b.weights({4, 7})}, gemm_attrs(0, 1.0f, 1.0f)));
  b.output(b.op("Gemm", {b.input("d", {4, 5}), b.input("w", {5, 7})}, gemm_attrs(0, 1.0f, 1.0f)));
  auto fused = fuse_and_compare(*b.specialized(), {gemm_to_matmul});
  EXPECT_EQ(op_counts(*fused), (std::map<std::string, int>{{"Gemm", 3}}));
}

// ---- Conv (+ residual) (+ activation) ----

struct ConvActCase {
  const char* op;
  const char* domain;
  Attributes attrs;
  std::vector<float> clip;  // Clip bounds, as opset-13 inputs
  const char* fused_name;   // the `activation` attribute expected
};

Attributes float_attrs(std::vector<std::pair<std::string, float>> kv) {
  Attributes a;
  for (auto& [k, v] : kv) a.set_float(k, v);
  return a;
}

class FuseConvActivation : public ::testing::TestWithParam<ConvActCase> {};

Value* conv(GraphBuilder& b, Value* x, int64_t cout, int64_t group = 1) {
  Attributes a;
  a.set_ints("pads", {1, 1, 1, 1});
  a.set_ints("kernel_shape", {3, 3});
  a.set_int("group", group);
  const int64_t cin = x->shape[1];
  return b.op("Conv", {x, b.weights({cout, cin / group, 3, 3}), b.weights({cout})}, a);
}

TEST_P(FuseConvActivation, BecomesFusedConv) {
  const ConvActCase& c = GetParam();
  GraphBuilder b;
  Value* y = conv(b, b.input("x", {1, 4, 10, 12}), 8, 2);
  std::vector<Value*> ins{y};
  for (float bound : c.clip) ins.push_back(b.scalar(bound));
  b.output(b.op(c.op, ins, c.attrs, c.domain));
  auto fused = fuse_and_compare(*b.specialized(), {fuse_conv_activation}, 3.0f);
  EXPECT_EQ(op_counts(*fused), (std::map<std::string, int>{{"FusedConv", 1}}));
  Node* fc = only_node(*fused, "FusedConv");
  EXPECT_EQ(fc->attrs.get_string("activation", ""), c.fused_name);
  EXPECT_EQ(fc->attrs.get_int("group", 0), 2);
  EXPECT_EQ(fc->attrs.get_ints("pads"), (std::vector<int64_t>{1, 1, 1, 1}));
}

INSTANTIATE_TEST_SUITE_P(
    Activations, FuseConvActivation,
    ::testing::Values(ConvActCase{"Relu", kOnnxDomain, {}, {}, "Relu"},
                      ConvActCase{"Sigmoid", kOnnxDomain, {}, {}, "Sigmoid"},
                      ConvActCase{"Tanh", kOnnxDomain, {}, {}, "Tanh"},
                      ConvActCase{"LeakyRelu", kOnnxDomain, float_attrs({{"alpha", 0.1f}}), {}, "LeakyRelu"},
                      ConvActCase{"Clip", kOnnxDomain, {}, {-0.5f, 0.75f}, "Clip"},
                      ConvActCase{"HardSigmoid", kOnnxDomain, float_attrs({{"alpha", 0.3f}, {"beta", 0.4f}}), {},
                                  "HardSigmoid"},
                      ConvActCase{"HardSwish", kOnnxDomain, {}, {}, "HardSwish"},
                      ConvActCase{"Gelu", kTandemDomain, {}, {}, "Gelu"},
                      ConvActCase{"Silu", kTandemDomain, {}, {}, "Silu"}),
    [](const auto& info) { return std::string(info.param.op); });

TEST(FuseConv, ResidualAddThenRelu) {
  GraphBuilder b;
  Value* x = b.input("x", {1, 4, 10, 12});
  Value* r = b.input("r", {1, 8, 10, 12});
  b.output(b.op("Relu", {b.op("Add", {r, conv(b, x, 8)})}));
  auto fused = fuse_and_compare(*b.specialized(), {fuse_conv_activation});
  EXPECT_EQ(op_counts(*fused), (std::map<std::string, int>{{"FusedConv", 1}}));
  Node* fc = only_node(*fused, "FusedConv");
  ASSERT_EQ(fc->num_inputs(), 4);
  EXPECT_EQ(fc->input(3)->name, "r");
  EXPECT_EQ(fc->attrs.get_string("activation", ""), "Relu");
}

TEST(FuseConv, ResidualWithoutActivation) {
  GraphBuilder b;
  Value* x = b.input("x", {1, 4, 10, 12});
  Value* y = conv(b, x, 4);
  b.output(b.op("Add", {y, x}));
  auto fused = fuse_and_compare(*b.specialized(), {fuse_conv_activation});
  EXPECT_EQ(op_counts(*fused), (std::map<std::string, int>{{"FusedConv", 1}}));
}

TEST(FuseConv, ConvAlsoAnOutputStays) {
  GraphBuilder b;
  Value* y = conv(b, b.input("x", {1, 4, 10, 12}), 8);
  b.output(b.op("Relu", {y}));
  b.output(y);
  auto fused = fuse_and_compare(*b.specialized(), {fuse_conv_activation});
  EXPECT_EQ(op_counts(*fused), (std::map<std::string, int>{{"Conv", 1}, {"Relu", 1}}));
}

TEST(FuseConv, ConstantOrBroadcastAddIsNoResidual) {
  GraphBuilder b;
  Value* x = b.input("x", {1, 4, 10, 12});
  b.output(b.op("Add", {conv(b, x, 8), b.weights({1, 8, 10, 12})}));
  b.output(b.op("Add", {conv(b, x, 8), b.input("row", {1, 1, 1, 12})}));
  auto fused = fuse_and_compare(*b.specialized(), {fuse_conv_activation});
  EXPECT_EQ(op_counts(*fused), (std::map<std::string, int>{{"Conv", 2}, {"Add", 2}}));
}

// ---- the whole pipeline on a transformer MLP block: x + fc2(gelu(fc1(layernorm(x)))) ----

TEST(Optimize, TransformerMlpBlock) {
  GraphBuilder b;
  Value* x = b.input("x", {2, 6, 16});
  Value* h = decomposed_layer_norm(b, x, {});
  h = b.op("Add", {b.weights({32}), b.op("MatMul", {h, b.weights({16, 32})})});
  h = torch_gelu(b, h);
  h = b.op("Add", {b.weights({16}), b.op("MatMul", {h, b.weights({32, 16})})});
  b.output(b.op("Add", {x, h}));
  auto fused = fuse_and_compare(*b.specialized(), {optimize}, 2.0f);
  EXPECT_EQ(op_counts(*fused),
            (std::map<std::string, int>{{"LayerNormalization", 1}, {"FusedMatMul", 2}, {"Add", 1}}));
}

}  // namespace
}  // namespace tandem

namespace tandem {
namespace {

using testing::GraphBuilder;

// Attention scores: q·kᵀ then a scalar scale, both operands computed at run time.
TEST(FuseMatMulScale, AttentionScaleBecomesAlpha) {
  GraphBuilder b;
  Value* q = b.input("q", {1, 2, 16, 8});
  Value* kt = b.input("kt", {1, 2, 8, 12});
  b.output(b.op("Mul", {b.op("MatMul", {q, kt}), b.scalar(0.35355339f)}));
  auto fused = fuse_and_compare(*b.specialized(), {fuse_matmul_scale});
  EXPECT_EQ(op_counts(*fused), (std::map<std::string, int>{{"FusedMatMul", 1}}));
  EXPECT_FLOAT_EQ(only_node(*fused, "FusedMatMul")->attrs.get_float("alpha", 1.0f), 0.35355339f);
}

TEST(FuseMatMulScale, ScalarFirstAndConstantWeights) {
  GraphBuilder b;
  b.output(b.op("Mul", {b.scalar(-2.0f), b.op("MatMul", {b.input("a", {6, 8}), b.weights({8, 4})})}));
  auto fused = fuse_and_compare(*b.specialized(), {fuse_matmul_scale});
  EXPECT_EQ(op_counts(*fused), (std::map<std::string, int>{{"FusedMatMul", 1}}));
}

TEST(FuseMatMulScale, PerChannelFactorStays) {
  GraphBuilder b;
  b.output(b.op("Mul", {b.op("MatMul", {b.input("a", {6, 8}), b.weights({8, 4})}), b.weights({4})}));
  auto fused = fuse_and_compare(*b.specialized(), {fuse_matmul_scale});
  EXPECT_EQ(op_counts(*fused), (std::map<std::string, int>{{"MatMul", 1}, {"Mul", 1}}));
}

TEST(FuseMatMulScale, ProductReadTwiceStays) {
  GraphBuilder b;
  Value* y = b.op("MatMul", {b.input("a", {6, 8}), b.weights({8, 4})});
  b.output(b.op("Mul", {y, b.scalar(0.5f)}));
  b.output(b.op("Relu", {y}));
  auto fused = fuse_and_compare(*b.specialized(), {fuse_matmul_scale});
  EXPECT_EQ(op_counts(*fused), (std::map<std::string, int>{{"MatMul", 1}, {"Mul", 1}, {"Relu", 1}}));
}

}  // namespace
}  // namespace tandem

namespace tandem {
namespace {

using testing::GraphBuilder;

Attributes perm(std::vector<int64_t> p) {
  Attributes a;
  a.set_ints("perm", std::move(p));
  return a;
}

// Mix-FFN: depthwise conv -> Reshape to tokens -> Transpose -> GELU: the GELU moves up and fuses into the conv.
TEST(HoistActivation, GeluAfterReshapeTransposeFusesIntoConv) {
  GraphBuilder b;
  Attributes conv;
  conv.set_int("group", 8);
  conv.set_ints("pads", {1, 1, 1, 1});
  Value* y = b.op("Conv", {b.input("x", {1, 8, 4, 6}), b.weights({8, 1, 3, 3})}, conv);
  Value* tokens = b.op("Transpose", {b.op("Reshape", {y, b.constant(Tensor::from_vector<int64_t>({3}, {1, 8, 24}))})},
                       perm({0, 2, 1}));
  b.output(b.op("Gelu", {tokens}, {}, kTandemDomain));
  auto fused = fuse_and_compare(*b.specialized(), {hoist_activation, fuse_conv_activation});
  EXPECT_EQ(op_counts(*fused), (std::map<std::string, int>{{"FusedConv", 1}, {"Reshape", 1}, {"Transpose", 1}}));
  EXPECT_EQ(only_node(*fused, "FusedConv")->attrs.get_string("activation", ""), "Gelu");
}

TEST(HoistActivation, MovedValueReadElsewhereStays) {
  GraphBuilder b;
  Value* y = b.op("MatMul", {b.input("a", {6, 8}), b.weights({8, 4})});
  Value* t = b.op("Transpose", {y}, perm({1, 0}));
  b.output(b.op("Relu", {t}));
  b.output(t);
  auto fused = fuse_and_compare(*b.specialized(), {hoist_activation, fuse_matmul_add});
  EXPECT_EQ(op_counts(*fused), (std::map<std::string, int>{{"MatMul", 1}, {"Transpose", 1}, {"Relu", 1}}));
}

TEST(HoistActivation, ChainFromAGraphInputStays) {
  GraphBuilder b;
  b.output(b.op("Sigmoid", {b.op("Transpose", {b.input("a", {6, 8})}, perm({1, 0}))}));
  auto fused = fuse_and_compare(*b.specialized(), {hoist_activation});
  EXPECT_EQ(op_counts(*fused), (std::map<std::string, int>{{"Transpose", 1}, {"Sigmoid", 1}}));
}

}  // namespace
}  // namespace tandem
