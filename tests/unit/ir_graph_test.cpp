// Graph IR: topological order, cycles, rewiring.
#include <gtest/gtest.h>

#include "ir/graph.h"

namespace tandem {
namespace {

// One value read through two input slots of the same node must not make that node ready early
// (regression: the node ran before another of its producers).
TEST(GraphTopo, ValueReadTwiceByOneNode) {
  Graph g;
  Value* x = g.value("x");
  Value* c = g.value("c");
  c->constant = Tensor::scalar<int64_t>(1);
  Value* n = g.value("n");
  Value* y = g.value("y");
  g.inputs.push_back(x);
  // Slice(x_neg, c, c, c): reads `c` three times; `n` comes from Neg, added after Slice in model order.
  Node* slice = g.add_node("Slice", "slice", {n, c, c, c}, {y});
  Node* neg = g.add_node("Neg", "neg", {x}, {n});
  g.outputs.push_back(y);
  auto order = g.topological_order();
  ASSERT_TRUE(order.is_ok());
  ASSERT_EQ(order->size(), 2u);
  EXPECT_EQ((*order)[0], neg);
  EXPECT_EQ((*order)[1], slice);
}

TEST(GraphTopo, CycleIsNamed) {
  Graph g;
  Value* a = g.value("a");
  Value* b = g.value("b");
  g.add_node("Relu", "r1", {a}, {b});
  g.add_node("Relu", "r2", {b}, {a});
  auto order = g.topological_order();
  ASSERT_FALSE(order.is_ok());
  EXPECT_NE(order.status().message().find("cycle"), std::string::npos);
}

TEST(GraphRewire, ReplaceAllUsesMovesConsumersAndOutputs) {
  Graph g;
  Value* a = g.value("a");
  Value* b = g.value("b");
  Value* c = g.value("c");
  Node* n = g.add_node("Relu", "r", {a}, {c});
  g.outputs.push_back(a);
  g.replace_all_uses(a, b);
  EXPECT_EQ(n->inputs[0], b);
  EXPECT_EQ(g.outputs[0], b);
  EXPECT_TRUE(a->consumers.empty());
  ASSERT_EQ(b->consumers.size(), 1u);
}

}  // namespace
}  // namespace tandem
