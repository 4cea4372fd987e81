// fold_pointwise_conv: a 1x1 conv over a sum of (resized) 1x1 convs merges into them, computes the same
// numbers, and leaves graphs alone where the rewrite would not pay or would be wrong.
#include <gtest/gtest.h>

#include "graph_builder.h"

namespace tandem {
namespace {

using testing::fuse_and_compare;
using testing::GraphBuilder;
using testing::ints_attr;
using testing::op_counts;

Attributes resize_attrs(const std::string& mode) {
  Attributes a;
  a.set_string("mode", mode);
  a.set_string("coordinate_transformation_mode", "half_pixel");
  return a;
}

// x2 upsampling by scales (N and C kept).
Value* upsample(GraphBuilder& b, Value* x, const std::string& mode = "linear") {
  Value* scales = b.constant(Tensor::from_vector<float>({4}, {1, 1, 2, 2}));
  return b.op("Resize", {x, nullptr, scales}, resize_attrs(mode));
}

Value* conv1x1(GraphBuilder& b, Value* x, int64_t cin, int64_t cout, bool bias = true) {
  std::vector<Value*> in{x, b.weights({cout, cin, 1, 1})};
  if (bias) in.push_back(b.weights({cout}));
  return b.op("Conv", in);
}

int64_t conv_count(const Graph& g) {
  auto counts = op_counts(g);
  return counts.count("Conv") ? counts["Conv"] : 0;
}

// SegFormer's head, small: three scales projected to 16 channels, upsampled to the finest, summed, then a
// 16 -> 8 1x1 conv (the fuse conv; BN already folded) and a ReLU.
TEST(FoldPointwiseConv, SegFormerHeadMergesTheFuseConvIntoEveryProjection) {
  GraphBuilder b;
  Value* c1 = b.input("c1", {1, 4, 8, 8});
  Value* c2 = b.input("c2", {1, 6, 4, 4});
  Value* c3 = b.input("c3", {1, 10, 2, 2});
  Value* sum = b.op("Add", {conv1x1(b, c1, 4, 16), upsample(b, conv1x1(b, c2, 6, 16))});
  sum = b.op("Add", {sum, upsample(b, upsample(b, conv1x1(b, c3, 10, 16, /*bias=*/false)))});
  b.output(b.op("Relu", {conv1x1(b, sum, 16, 8)}));
  auto g = b.specialized();
  ASSERT_EQ(conv_count(*g), 4);
  auto folded = fuse_and_compare(*g, {fold_pointwise_conv});
  EXPECT_EQ(conv_count(*folded), 3) << "the fuse conv is gone, one merged conv per scale is left";
  for (Node* n : folded->live_nodes()) {
    if (n->op_type != "Conv") continue;
    EXPECT_EQ(n->input(1)->shape[0], 8) << n->name;
  }
  // The full-resolution conv is added last, so conv fusion takes the sum and the ReLU as residual + act.
  auto fused = fuse_and_compare(*g, {fold_pointwise_conv, fuse_conv_activation});
  auto counts = op_counts(*fused);
  EXPECT_EQ(counts["Relu"], 0);
  EXPECT_EQ(counts["FusedConv"], 1);
}

// Conv(Resize(x)) becomes Resize(Conv(x)): the conv then runs at the coarse resolution.
TEST(FoldPointwiseConv, MovesAConvBeforeAnUpsampling) {
  GraphBuilder b;
  Value* x = b.input("x", {1, 8, 5, 7});
  b.output(conv1x1(b, upsample(b, x, "nearest"), 8, 8));
  auto g = b.specialized();
  auto folded = fuse_and_compare(*g, {fold_pointwise_conv});
  Node* resize = testing::only_node(*folded, "Resize");
  ASSERT_NE(resize, nullptr);
  EXPECT_EQ(resize->input(0)->producer->op_type, "Conv");
  EXPECT_TRUE(folded->is_graph_output(resize->output(0))) << "the graph output keeps its value";
}

// Resize given by `sizes` names the channel count, which the rewrite must change with the conv.
TEST(FoldPointwiseConv, RewritesResizeSizes) {
  GraphBuilder b(13);
  Value* x = b.input("x", {1, 12, 3, 4});
  Value* sizes = b.constant(Tensor::from_vector<int64_t>({4}, {1, 12, 6, 8}));
  Value* up = b.op("Resize", {x, nullptr, nullptr, sizes}, resize_attrs("linear"));
  b.output(conv1x1(b, up, 12, 5));
  auto g = b.specialized();
  auto folded = fuse_and_compare(*g, {fold_pointwise_conv});
  Node* resize = testing::only_node(*folded, "Resize");
  ASSERT_NE(resize, nullptr);
  EXPECT_EQ(resize->output(0)->shape, (Shape{1, 5, 6, 8}));
}

TEST(FoldPointwiseConv, LeavesAloneWhatWouldNotPayOrBeExact) {
  {  // F widens (8 -> 16): Resize and Add would get more channels.
    GraphBuilder b;
    Value* x = b.input("x", {1, 8, 4, 4});
    b.output(conv1x1(b, upsample(b, x), 8, 16));
    auto g = b.specialized();
    auto folded = fuse_and_compare(*g, {fold_pointwise_conv});
    EXPECT_EQ(testing::only_node(*folded, "Resize")->output(0)->shape[1], 8);
  }
  {  // Cubic resampling overshoots: no push through it, and nothing else to gain.
    GraphBuilder b;
    Value* x = b.input("x", {1, 8, 4, 4});
    b.output(conv1x1(b, upsample(b, x, "cubic"), 8, 8));
    auto g = b.specialized();
    auto folded = fuse_and_compare(*g, {fold_pointwise_conv});
    EXPECT_EQ(testing::only_node(*folded, "Resize")->output(0)->producer->input(0), folded->inputs[0]);
  }
  {  // The sum is read elsewhere too: F must not swallow it.
    GraphBuilder b;
    Value* x = b.input("x", {1, 8, 4, 4});
    Value* y = b.input("y", {1, 8, 4, 4});
    Value* sum = b.op("Add", {conv1x1(b, x, 8, 8), conv1x1(b, y, 8, 8)});
    b.output(conv1x1(b, sum, 8, 4));
    b.output(sum);
    auto g = b.specialized();
    auto folded = fuse_and_compare(*g, {fold_pointwise_conv});
    EXPECT_EQ(conv_count(*folded), 3);
  }
  {  // Strided or padded: not a pointwise conv.
    GraphBuilder b;
    Value* x = b.input("x", {1, 8, 4, 4});
    Value* w = b.weights({8, 8, 1, 1});
    b.output(b.op("Conv", {upsample(b, x), w}, ints_attr("strides", {2, 2})));
    auto g = b.specialized();
    auto folded = fuse_and_compare(*g, {fold_pointwise_conv});
    EXPECT_EQ(testing::only_node(*folded, "Conv")->input(0)->producer->op_type, "Resize");
  }
}

}  // namespace
}  // namespace tandem
