// conv_channels_last: convolutions between token tensors read and write them channels-last, the transposes
// around them disappear, and the numbers stay the same; chains that are not exactly a layout change stay.
#include <gtest/gtest.h>

#include "graph_builder.h"

namespace tandem {
namespace {

using testing::fuse_and_compare;
using testing::GraphBuilder;
using testing::ints_attr;
using testing::op_counts;

Value* shape_const(GraphBuilder& b, std::vector<int64_t> dims) {
  return b.constant(Tensor::from_vector<int64_t>({static_cast<int64_t>(dims.size())}, dims));
}

Attributes depthwise(int64_t channels) {
  Attributes a;
  a.set_int("group", channels);
  a.set_ints("pads", {1, 1, 1, 1});
  return a;
}

// SegFormer's Mix-FFN middle: tokens [1, H*W, C] -> NCHW -> depthwise 3x3 -> tokens.
TEST(ConvChannelsLast, TokensToConvToTokensLosesBothTransposes) {
  const int64_t h = 5, w = 7, c = 8;
  GraphBuilder b;
  Value* tokens = b.input("tokens", {1, h * w, c});
  Value* x = b.op("Reshape", {b.op("Transpose", {tokens}, ints_attr("perm", {0, 2, 1})), shape_const(b, {1, c, h, w})});
  Value* y = b.op("Conv", {x, b.weights({c, 1, 3, 3}), b.weights({c})}, depthwise(c));
  Value* back = b.op("Transpose", {b.op("Reshape", {y, shape_const(b, {1, c, h * w})})}, ints_attr("perm", {0, 2, 1}));
  b.output(b.op("Relu", {back}));
  auto g = b.specialized();
  auto done = fuse_and_compare(*g, {conv_channels_last});
  auto counts = op_counts(*done);
  EXPECT_EQ(counts["Transpose"], 0);
  Node* conv = testing::only_node(*done, "FusedConv");
  ASSERT_NE(conv, nullptr);
  EXPECT_EQ(conv->attrs.get_string("src_layout", ""), "NHWC");
  EXPECT_EQ(conv->attrs.get_string("dst_layout", ""), "NHWC");
}

// An image in (NCHW, nothing to skip) and tokens out: only the output side changes.
TEST(ConvChannelsLast, PatchEmbeddingWritesTokens) {
  GraphBuilder b;
  Value* image = b.input("image", {1, 3, 16, 12});
  Attributes a = ints_attr("strides", {4, 4});
  a.set_ints("pads", {3, 3, 3, 3});
  Value* y = b.op("Conv", {image, b.weights({6, 3, 7, 7}), b.weights({6})}, a);
  Value* tokens = b.op("Transpose", {b.op("Reshape", {y, shape_const(b, {1, 6, -1})})}, ints_attr("perm", {0, 2, 1}));
  b.output(b.op("Relu", {tokens}));
  auto g = b.specialized();
  auto done = fuse_and_compare(*g, {conv_channels_last});
  Node* conv = testing::only_node(*done, "FusedConv");
  ASSERT_NE(conv, nullptr);
  EXPECT_EQ(conv->attrs.get_string("src_layout", "NCHW"), "NCHW");
  EXPECT_EQ(conv->attrs.get_string("dst_layout", ""), "NHWC");
  EXPECT_EQ(op_counts(*done)["Transpose"], 0);
}

// Tokens reshaped straight to [1, C, H, W] (no transpose: the memory is read as NCHW) and a transpose that
// also swaps H and W are not NHWC views of their inputs, so both stay as they are.
TEST(ConvChannelsLast, LeavesOtherPermutationsAlone) {
  const int64_t h = 4, w = 6, c = 8;
  for (int variant = 0; variant < 2; ++variant) {
    GraphBuilder b;
    Value* x;
    if (variant == 0) {
      Value* tokens = b.input("tokens", {1, h * w, c});
      x = b.op("Reshape", {tokens, shape_const(b, {1, c, h, w})});
    } else {
      Value* nwhc = b.input("nwhc", {1, w, h, c});
      x = b.op("Transpose", {nwhc}, ints_attr("perm", {0, 3, 2, 1}));  // -> [1, C, H, W], H and W swapped
    }
    b.output(b.op("Conv", {x, b.weights({c, 1, 3, 3})}, depthwise(c)));
    auto g = b.specialized();
    auto done = fuse_and_compare(*g, {conv_channels_last});
    EXPECT_EQ(testing::only_node(*done, "FusedConv"), nullptr) << "variant " << variant;
  }
}

// The same layout change spelled with Unsqueeze/Squeeze and a 4-D transpose is recognised too, and a
// residual conv keeps its output channels-first.
TEST(ConvChannelsLast, RecognisesOtherSpellingsAndKeepsResidualOutputs) {
  const int64_t h = 3, w = 5, c = 4;
  GraphBuilder b(13);
  Value* nhwc = b.input("nhwc", {h, w, c});
  Value* x4 = b.op("Unsqueeze", {nhwc, b.constant(Tensor::from_vector<int64_t>({1}, {0}))});
  Value* x = b.op("Transpose", {x4}, ints_attr("perm", {0, 3, 1, 2}));
  Value* z = b.input("z", {1, c, h, w});
  Attributes a = ints_attr("pads", {1, 1, 1, 1});
  Value* y = b.op("FusedConv", {x, b.weights({c, c, 3, 3}), b.weights({c}), z}, a, kTandemDomain);
  b.output(b.op("Transpose", {y}, ints_attr("perm", {0, 2, 3, 1})));
  auto g = b.specialized();
  auto done = fuse_and_compare(*g, {conv_channels_last});
  Node* conv = testing::only_node(*done, "FusedConv");
  ASSERT_NE(conv, nullptr);
  EXPECT_EQ(conv->attrs.get_string("src_layout", ""), "NHWC");
  EXPECT_EQ(conv->attrs.get_string("dst_layout", "NCHW"), "NCHW");
}

}  // namespace
}  // namespace tandem
