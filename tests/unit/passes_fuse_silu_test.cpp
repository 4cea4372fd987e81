// SiLU fusion: Mul(x, Sigmoid(x)) in either operand order becomes one ai.tandem Silu, which a convolution then
// takes as its activation; a Sigmoid read elsewhere and a gate of another value (squeeze-excitation) stay.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "graph_builder.h"
#include "passes/optimize.h"

namespace tandem {
namespace {

using testing::fuse_and_compare;
using testing::GraphBuilder;
using testing::only_node;
using testing::op_counts;

// torch's export of nn.SiLU: Mul(x, Sigmoid(x)), or Mul(Sigmoid(x), x) with `sigmoid_first`.
Value* torch_silu(GraphBuilder& b, Value* x, bool sigmoid_first) {
  Value* s = b.op("Sigmoid", {x});
  return sigmoid_first ? b.op("Mul", {s, x}) : b.op("Mul", {x, s});
}

// `cin`: an op's output has no shape before the graph is specialised.
Value* conv3x3(GraphBuilder& b, Value* x, int64_t cin, int64_t cout, int64_t group = 1) {
  Attributes a;
  a.set_ints("pads", {1, 1, 1, 1});
  a.set_ints("kernel_shape", {3, 3});
  a.set_int("group", group);
  return b.op("Conv", {x, b.weights({cout, cin / group, 3, 3}), b.weights({cout})}, a);
}

Value* conv1x1(GraphBuilder& b, Value* x, int64_t cin, int64_t cout) {
  return b.op("Conv", {x, b.weights({cout, cin, 1, 1}), b.weights({cout})}, testing::ints_attr("kernel_shape", {1, 1}));
}

class FuseSilu : public ::testing::TestWithParam<bool> {};

TEST_P(FuseSilu, MulOfSigmoidBecomesOneNode) {
  GraphBuilder b;
  b.output(torch_silu(b, b.input("x", {2, 8, 33}), GetParam()));
  std::unique_ptr<Graph> g = b.specialized();
  const std::string out_name = g->outputs[0]->name;
  auto fused = fuse_and_compare(*g, {fuse_silu}, 8.0f);
  EXPECT_EQ(op_counts(*fused), (std::map<std::string, int>{{"Silu", 1}}));
  Node* silu = only_node(*fused, "Silu");
  ASSERT_NE(silu, nullptr);
  EXPECT_EQ(silu->domain, kTandemDomain);
  EXPECT_EQ(silu->input(0)->name, "x");
  EXPECT_EQ(silu->output(0), fused->outputs[0]);
  EXPECT_EQ(fused->outputs[0]->name, out_name) << "the Mul's output value (and name) carries over";
  EXPECT_EQ(fused->opset(kTandemDomain), 1);
}

TEST_P(FuseSilu, ThenConvFusionMakesFusedConvWithSilu) {
  GraphBuilder b;
  Value* y = conv3x3(b, b.input("x", {1, 4, 10, 12}), 4, 8, 2);
  b.output(torch_silu(b, y, GetParam()));
  auto fused = fuse_and_compare(*b.specialized(), {fuse_silu, fuse_conv_activation}, 3.0f);
  EXPECT_EQ(op_counts(*fused), (std::map<std::string, int>{{"FusedConv", 1}}));
  Node* fc = only_node(*fused, "FusedConv");
  ASSERT_NE(fc, nullptr);
  EXPECT_EQ(fc->attrs.get_string("activation", ""), "Silu");
  EXPECT_EQ(fc->attrs.get_int("group", 0), 2);
}

INSTANTIATE_TEST_SUITE_P(OperandOrder, FuseSilu, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "SigmoidFirst" : "XFirst"; });

TEST(FuseSiluStays, SigmoidAlsoAGraphOutput) {
  GraphBuilder b;
  Value* x = b.input("x", {4, 32});
  Value* s = b.op("Sigmoid", {x});
  b.output(b.op("Mul", {x, s}));
  b.output(s);
  auto fused = fuse_and_compare(*b.specialized(), {fuse_silu});
  EXPECT_EQ(op_counts(*fused), (std::map<std::string, int>{{"Sigmoid", 1}, {"Mul", 1}}));
}

TEST(FuseSiluStays, SigmoidReadByAnotherNode) {
  GraphBuilder b;
  Value* x = b.input("x", {4, 32});
  Value* s = b.op("Sigmoid", {x});
  b.output(b.op("Add", {b.op("Mul", {s, x}), s}));
  auto fused = fuse_and_compare(*b.specialized(), {fuse_silu});
  EXPECT_EQ(op_counts(*fused), (std::map<std::string, int>{{"Sigmoid", 1}, {"Mul", 1}, {"Add", 1}}));
}

// Squeeze-excitation's gate: x * sigmoid(y) with y computed from x is no SiLU.
TEST(FuseSiluStays, GateOfAnotherValue) {
  GraphBuilder b;
  Value* x = b.input("x", {1, 8, 6, 6});
  Value* y = b.input("y", {1, 8, 6, 6});
  b.output(b.op("Mul", {x, b.op("Sigmoid", {y})}));
  b.output(b.op("Mul", {b.op("Sigmoid", {x}), y}));
  auto fused = fuse_and_compare(*b.specialized(), {fuse_silu});
  EXPECT_EQ(op_counts(*fused), (std::map<std::string, int>{{"Sigmoid", 2}, {"Mul", 2}}));
}

// Mul(s, s) reads the Sigmoid twice; the other operand is not x.
TEST(FuseSiluStays, SquaredSigmoid) {
  GraphBuilder b;
  Value* s = b.op("Sigmoid", {b.input("x", {4, 32})});
  b.output(b.op("Mul", {s, s}));
  auto fused = fuse_and_compare(*b.specialized(), {fuse_silu});
  EXPECT_EQ(op_counts(*fused), (std::map<std::string, int>{{"Sigmoid", 1}, {"Mul", 1}}));
}

// EfficientNet's MBConv block through the whole pipeline: every SiLU lands in a convolution, the squeeze-excitation
// gate (Sigmoid fused into its conv, then a Mul of the block's activations) stays a Mul.
TEST(FuseSiluOptimize, MbConvBlock) {
  GraphBuilder b;
  Value* x = b.input("x", {1, 16, 14, 14});
  Value* e = torch_silu(b, conv1x1(b, x, 16, 64), false);     // expand
  Value* d = torch_silu(b, conv3x3(b, e, 64, 64, 64), true);  // depthwise
  Value* pooled = b.op("GlobalAveragePool", {d});
  Value* gate = b.op("Sigmoid", {conv1x1(b, torch_silu(b, conv1x1(b, pooled, 64, 4), false), 4, 64)});
  b.output(b.op("Add", {conv1x1(b, b.op("Mul", {d, gate}), 64, 16), x}));  // project + residual
  auto fused = fuse_and_compare(*b.specialized(), {optimize}, 2.0f);
  std::map<std::string, int> counts = op_counts(*fused);
  EXPECT_EQ(counts.count("Sigmoid"), 0u);
  EXPECT_EQ(counts.count("Silu"), 0u);
  EXPECT_EQ(counts["Mul"], 1);
  std::map<std::string, int> activations;
  for (const Node* n : fused->live_nodes())
    if (n->op_type == "FusedConv") ++activations[n->attrs.get_string("activation", "None")];
  EXPECT_EQ(activations["Silu"], 3);
  EXPECT_EQ(activations["Sigmoid"], 1);
}

// A linear layer followed by SiLU (a transformer MLP's) becomes one FusedMatMul with the activation.
TEST(FuseSiluOptimize, LinearLayer) {
  GraphBuilder b;
  Value* x = b.input("x", {1, 10, 24});
  b.output(torch_silu(b, b.op("Add", {b.op("MatMul", {x, b.weights({24, 32})}), b.weights({32})}), false));
  auto fused = fuse_and_compare(*b.specialized(), {optimize}, 2.0f);
  Node* mm = testing::only_node(*fused, "FusedMatMul");
  ASSERT_NE(mm, nullptr);
  EXPECT_EQ(mm->attrs.get_string("activation", "None"), "Silu");
  EXPECT_EQ(op_counts(*fused).size(), 1u);
}

}  // namespace
}  // namespace tandem
