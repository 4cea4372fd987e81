// channels_last_regions: connected convs, pools, resizes and elementwise ops run on NHWC data with Transposes
// only at the region's edges (none where a conv absorbs the change), the numbers stay the same, graph outputs
// keep their NCHW shape and name, and regions that would cost more Transposes than they save are left alone.
#include <gtest/gtest.h>

#include "graph_builder.h"

namespace tandem {
namespace {

using testing::fuse_and_compare;
using testing::GraphBuilder;
using testing::ints_attr;
using testing::op_counts;

Attributes conv3x3(int64_t group = 1) {
  Attributes a;
  a.set_ints("pads", {1, 1, 1, 1});
  a.set_int("group", group);
  return a;
}

std::string layout(const Node* n, const char* attr) { return n ? n->attrs.get_string(attr, "NCHW") : "missing"; }

// The FusedConv made from the conv whose node name starts with `prefix`.
Node* conv_named(const Graph& g, const std::string& prefix) {
  for (Node* n : g.live_nodes())
    if (n->op_type == "FusedConv" && n->name.rfind(prefix, 0) == 0) return n;
  return nullptr;
}

// conv -> relu -> depthwise conv -> relu -> conv: the first conv reads NCHW and writes NHWC, the last does the
// reverse, everything between is NHWC, and no Transpose is needed.
TEST(ChannelsLastRegions, ConvChainNeedsNoTranspose) {
  GraphBuilder b;
  Value* x = b.input("x", {1, 8, 9, 11});
  Value* y = b.op("Relu", {b.op("Conv", {x, b.weights({16, 8, 3, 3}), b.weights({16})}, conv3x3())});
  y = b.op("Relu", {b.op("Conv", {y, b.weights({16, 1, 3, 3}), b.weights({16})}, conv3x3(16))});
  b.output(b.op("Conv", {y, b.weights({12, 16, 1, 1})}));
  auto g = b.specialized();
  auto done = fuse_and_compare(*g, {channels_last_regions});
  EXPECT_EQ(op_counts(*done)["Transpose"], 0);
  EXPECT_EQ(op_counts(*done)["FusedConv"], 3);
  Node* first = conv_named(*done, "Conv0");
  Node* middle = conv_named(*done, "Conv2");
  Node* last = conv_named(*done, "Conv4");
  EXPECT_EQ(layout(first, "src_layout"), "NCHW");
  EXPECT_EQ(layout(first, "dst_layout"), "NHWC");
  EXPECT_EQ(layout(middle, "src_layout"), "NHWC");
  EXPECT_EQ(layout(middle, "dst_layout"), "NHWC");
  EXPECT_EQ(layout(last, "src_layout"), "NHWC");
  EXPECT_EQ(layout(last, "dst_layout"), "NCHW");
  ASSERT_EQ(done->outputs.size(), 1u);
  EXPECT_EQ(done->outputs[0]->shape, (Shape{1, 12, 9, 11}));
}

// MobileNetV3's squeeze-excitation: global average pool, two 1x1 convs, HardSigmoid, a broadcast Mul back onto
// the feature map, then pooled and flattened for a classifier outside the region.
TEST(ChannelsLastRegions, SqueezeExcitationAndPools) {
  GraphBuilder b;
  Value* x = b.input("x", {1, 3, 20, 18});
  Value* f = b.op("HardSwish", {b.op("Conv", {x, b.weights({16, 3, 3, 3}), b.weights({16})}, conv3x3())});
  Attributes pool = ints_attr("kernel_shape", {3, 3});
  pool.set_ints("strides", {2, 2});
  pool.set_int("ceil_mode", 1);
  f = b.op("MaxPool", {f}, pool);
  Value* s = b.op("GlobalAveragePool", {f});
  s = b.op("Relu", {b.op("Conv", {s, b.weights({8, 16, 1, 1}), b.weights({8})})});
  s = b.op("HardSigmoid", {b.op("Conv", {s, b.weights({16, 8, 1, 1}), b.weights({16})})});
  Value* scaled = b.op("Mul", {f, s});
  Value* avg = b.op("AveragePool", {scaled}, ints_attr("kernel_shape", {2, 2}));
  b.output(b.op("Flatten", {b.op("GlobalAveragePool", {b.op("Conv", {avg, b.weights({24, 16, 1, 1})})})}));
  auto g = b.specialized();
  auto done = fuse_and_compare(*g, {channels_last_regions});
  // The only edge: the last pool's [1, 1, 1, 24] going to Flatten.
  EXPECT_EQ(op_counts(*done)["Transpose"], 1);
  for (Node* n : done->live_nodes()) {
    if (n->op_type.find("Pool") == std::string::npos) continue;
    EXPECT_EQ(layout(n, "layout"), "NHWC") << n->name;
  }
}

// A bilinear upsampling added to a skip connection from outside (a graph input): the resize runs NHWC on
// permuted scales, the skip is transposed in once, and a 1x1 conv reads the sum.
TEST(ChannelsLastRegions, ResizeAndOutsideSkip) {
  GraphBuilder b;
  Value* low = b.input("low", {1, 6, 4, 5});
  Value* skip = b.input("skip", {1, 16, 8, 10});
  Value* p = b.op("Conv", {low, b.weights({16, 6, 1, 1}), b.weights({16})});
  Value* roi = b.constant(Tensor::from_vector<float>({0}, {}));
  Value* scales = b.constant(Tensor::from_vector<float>({4}, {1, 1, 2, 2}));
  Attributes linear;
  linear.set_string("mode", "linear");
  Value* up = b.op("Resize", {p, roi, scales}, linear);
  Value* sum = b.op("Add", {up, skip});
  Value* q = b.op("Conv", {sum, b.weights({16, 16, 3, 3}), b.weights({16})}, conv3x3());
  b.output(b.op("Conv", {b.op("Relu", {q}), b.weights({10, 16, 1, 1})}));
  auto g = b.specialized();
  auto done = fuse_and_compare(*g, {channels_last_regions});
  EXPECT_EQ(op_counts(*done)["Transpose"], 1);
  Node* resize = testing::only_node(*done, "Resize");
  ASSERT_NE(resize, nullptr);
  EXPECT_EQ(resize->output(0)->shape, (Shape{1, 8, 10, 16}));
}

// A segmentation head's logits upsampled to the input size as the graph output: the Resize stays NCHW, so the
// region hands over the small map (its last conv writes NCHW itself) instead of transposing the large result.
TEST(ChannelsLastRegions, UpsampledGraphOutputStaysNchw) {
  GraphBuilder b;
  Value* x = b.input("x", {1, 8, 6, 5});
  Value* f = b.op("Relu", {b.op("Conv", {x, b.weights({16, 8, 3, 3}), b.weights({16})}, conv3x3())});
  f = b.op("Relu", {b.op("Conv", {f, b.weights({16, 1, 3, 3}), b.weights({16})}, conv3x3(16))});
  Value* logits = b.op("Conv", {f, b.weights({5, 16, 1, 1}), b.weights({5})});
  Attributes linear;
  linear.set_string("mode", "linear");
  Value* roi = b.constant(Tensor::from_vector<float>({0}, {}));
  b.output(b.op("Resize", {logits, roi, b.constant(Tensor::from_vector<float>({4}, {1, 1, 8, 8}))}, linear));
  auto g = b.specialized();
  auto done = fuse_and_compare(*g, {channels_last_regions});
  EXPECT_EQ(op_counts(*done)["Transpose"], 0);
  Node* resize = testing::only_node(*done, "Resize");
  ASSERT_NE(resize, nullptr);
  EXPECT_EQ(resize->input(0)->shape, (Shape{1, 5, 6, 5}));
  EXPECT_EQ(layout(conv_named(*done, "Conv4"), "dst_layout"), "NCHW");
  EXPECT_EQ(layout(conv_named(*done, "Conv2"), "dst_layout"), "NHWC");
}

// Concat along channels and a ReduceMean over H and W, change their axes; a graph output inside the
// region keeps its NCHW value and name.
TEST(ChannelsLastRegions, ConcatSplitReduceAndGraphOutputInside) {
  GraphBuilder b;
  Value* x = b.input("x", {2, 4, 7, 6});
  Value* a = b.op("Conv", {x, b.weights({10, 4, 3, 3})}, conv3x3());
  Value* c = b.op("Conv", {x, b.weights({14, 4, 1, 1})});
  Attributes axis;
  axis.set_int("axis", -3);
  Value* cat = b.op("Relu", {b.op("Concat", {a, c}, axis)});
  b.output(cat);  // also read inside the region
  Value* m = b.op("ReduceMean", {cat}, ints_attr("axes", {2, 3}));
  Value* y = b.op("Mul", {b.op("Conv", {cat, b.weights({24, 24, 3, 3})}, conv3x3()), m});
  b.output(b.op("Conv", {y, b.weights({9, 24, 1, 1})}));
  auto g = b.specialized();
  const std::string cat_name = g->outputs[0]->name;
  auto done = fuse_and_compare(*g, {channels_last_regions});
  ASSERT_EQ(done->outputs.size(), 2u);
  EXPECT_EQ(done->outputs[0]->name, cat_name);
  EXPECT_EQ(done->outputs[0]->shape, (Shape{2, 24, 7, 6}));
  EXPECT_EQ(testing::only_node(*done, "Concat")->attrs.get_int("axis", 0), 3);
  EXPECT_EQ(testing::only_node(*done, "ReduceMean")->attrs.get_ints("axes"), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(op_counts(*done)["Transpose"], 1);  // the graph output's
}

// Broadcast constants of lower rank ([C, 1, 1], [W]) are permuted with the map; a FusedConv's residual follows
// its destination's layout.
TEST(ChannelsLastRegions, BroadcastConstantsAndResidual) {
  GraphBuilder b;
  Value* x = b.input("x", {1, 6, 5, 7});
  Value* a = b.op("Conv", {x, b.weights({12, 6, 3, 3}), b.weights({12})}, conv3x3());
  a = b.op("Mul", {a, b.weights({12, 1, 1})});
  a = b.op("Add", {a, b.weights({7})});
  Value* r = b.op("Conv", {a, b.weights({12, 12, 1, 1})});
  Value* sum = b.op("Relu", {b.op("Add", {r, a})});  // fuse_conv_activation: FusedConv with Z = a
  b.output(b.op("Conv", {sum, b.weights({12, 12, 3, 3})}, conv3x3()));
  auto g = b.specialized();
  auto done = fuse_and_compare(*g, {fuse_conv_activation, channels_last_regions});
  EXPECT_EQ(op_counts(*done)["Transpose"], 0);
  bool saw_residual = false;
  for (Node* n : done->live_nodes())
    if (n->op_type == "FusedConv" && n->num_inputs() > 3 && n->input(3)) {
      saw_residual = true;
      EXPECT_EQ(layout(n, "dst_layout"), "NHWC");
      EXPECT_EQ(n->input(3)->shape, (Shape{1, 5, 7, 12}));
    }
  EXPECT_TRUE(saw_residual);
}

// SegFormer's heads read the encoder's tokens as NCHW maps (Reshape + Transpose). A conv that already reads the
// tokens (conv_channels_last) still joins the region, and a member reading such a map directly reads the tokens
// instead: the two transposes cancel and no Transpose is left.
TEST(ChannelsLastRegions, TokenMapsCancelTheirTransposes) {
  GraphBuilder b;
  auto token_map = [&](const std::string& name, int64_t h, int64_t w, int64_t c) {
    Value* tokens = b.input(name, {1, h * w, c});
    Value* shape = b.constant(Tensor::from_vector<int64_t>({4}, {1, h, w, c}));
    return b.op("Transpose", {b.op("Reshape", {tokens, shape})}, ints_attr("perm", {0, 3, 1, 2}));
  };
  Value* low = token_map("low", 4, 5, 16);
  Value* high = token_map("high", 8, 10, 16);
  Value* p = b.op("Conv", {low, b.weights({16, 16, 1, 1}), b.weights({16})});
  Value* roi = b.constant(Tensor::from_vector<float>({0}, {}));
  Value* scales = b.constant(Tensor::from_vector<float>({4}, {1, 1, 2, 2}));
  Attributes linear;
  linear.set_string("mode", "linear");
  Value* sum = b.op("Add", {b.op("Resize", {p, roi, scales}, linear), high});
  b.output(b.op("Conv", {b.op("Relu", {sum}), b.weights({10, 16, 3, 3})}, conv3x3()));
  auto g = b.specialized();
  auto done = fuse_and_compare(*g, {conv_channels_last, channels_last_regions});
  EXPECT_EQ(op_counts(*done)["Transpose"], 0);
  EXPECT_EQ(layout(conv_named(*done, "Conv"), "src_layout"), "NHWC");
}

// Left alone: a region without a conv or pool, a conv with few output channels (the direct NCHW kernel's), and
// a conv whose neighbours would need more Transposes than the conv saves.
TEST(ChannelsLastRegions, LeavesUnprofitableRegionsAlone) {
  {
    GraphBuilder b;
    Value* x = b.input("x", {1, 4, 5, 5});
    b.output(b.op("Relu", {b.op("Add", {x, b.input("y", {1, 4, 5, 5})})}));
    auto g = b.specialized();
    auto done = fuse_and_compare(*g, {channels_last_regions});
    EXPECT_EQ(op_counts(*done)["Transpose"], 0);
    EXPECT_EQ(done->outputs[0]->shape, (Shape{1, 4, 5, 5}));
  }
  {
    GraphBuilder b;
    Value* x = b.input("x", {1, 16, 6, 64});
    b.output(b.op("Conv", {b.op("Relu", {x}), b.weights({1, 16, 3, 3})}, conv3x3()));
    auto g = b.specialized();
    auto done = fuse_and_compare(*g, {channels_last_regions});
    EXPECT_EQ(op_counts(*done)["Transpose"], 0);
    EXPECT_EQ(op_counts(*done)["Conv"], 1);
  }
  {
    GraphBuilder b;
    Value* x = b.input("x", {1, 8, 6, 6});
    Value* c = b.op("Conv", {x, b.weights({16, 8, 1, 1})});
    Value* y = b.op("Add", {b.op("Add", {c, b.input("y", {1, 16, 6, 6})}), b.input("z", {1, 16, 6, 6})});
    b.output(y);
    auto g = b.specialized();
    auto done = fuse_and_compare(*g, {channels_last_regions});
    EXPECT_EQ(op_counts(*done)["Transpose"], 0);
    EXPECT_EQ(layout(testing::only_node(*done, "Conv"), "dst_layout"), "NCHW");
  }
}

}  // namespace
}  // namespace tandem
