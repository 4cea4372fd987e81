// Resize-sum fusion and the ai.tandem ResizeSum op: a SegFormer-style head (a full-resolution projection plus
// three upsampled maps, then ReLU) becomes one conv and one ResizeSum computing the same floats, in channels-last
// (one pass per output row) and in NCHW (each term through Resize's kernel); in an int8 stage the ResizeSum
// writes the classifier's int8 input itself.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "graph_builder.h"
#include "passes/optimize.h"
#include "runtime/calibration.h"

namespace tandem {
namespace {

using testing::GraphBuilder;
using testing::op_counts;

Value* upsample_to(GraphBuilder& b, Value* x, const Shape& sizes) {
  Attributes a;
  a.set_string("mode", "linear");
  return b.op("Resize", {x, nullptr, nullptr, b.constant(Tensor::from_vector<int64_t>({4}, sizes))}, std::move(a));
}

// relu(conv(c1) + up(p1) + up(p2) + up(p3)) -> conv -> logits, as PyTorch exports a SegFormer head after the
// fuse conv is folded into the projections.
std::unique_ptr<Graph> head(GraphBuilder& b) {
  const Shape full{1, 8, 16, 24};
  Value* c1 = b.input("c1", {1, 4, 16, 24});
  Value* s = upsample_to(b, b.input("p1", {1, 8, 8, 12}), full);
  s = b.op("Add", {upsample_to(b, b.input("p2", {1, 8, 4, 6}), full), s});
  s = b.op("Add", {upsample_to(b, b.input("p3", {1, 8, 2, 3}), full), s});
  Value* y = b.op("Relu", {b.op("Add", {b.op("Conv", {c1, b.weights({8, 4, 1, 1}), b.weights({8})}), s})});
  b.output(b.op("Conv", {y, b.weights({5, 8, 1, 1}), b.weights({5})}));
  return b.specialized();
}

double max_abs_diff(const Tensor& a, const Tensor& b) {
  double d = 0;
  for (int64_t i = 0; i < a.numel(); ++i) d = std::max(d, double(std::fabs(a.data<float>()[i] - b.data<float>()[i])));
  return d;
}

TEST(FuseResizeSum, SegFormerHeadIsOneConvAndOneSum) {
  for (bool channels_last : {true, false}) {
    GraphBuilder b;
    auto g = head(b);
    auto f = g->clone();
    if (channels_last) {
      ASSERT_TRUE(optimize(*f).is_ok());
    } else {
      // The fusions alone (no layout change): the NCHW sum runs each term through Resize's kernel.
      for (auto pass : {fold_pointwise_conv, fuse_conv_activation, conv_channels_last, fuse_resize_add, fuse_resize_sum})
        ASSERT_TRUE(pass(*f).is_ok());
      eliminate_dead_code(*f);
    }
    auto counts = op_counts(*f);
    EXPECT_EQ(counts["ResizeSum"], 1);
    EXPECT_EQ(counts["FusedResize"] + counts["Resize"] + counts["Add"] + counts["Relu"], 0);
    Node* sum = testing::only_node(*f, "ResizeSum");
    ASSERT_NE(sum, nullptr);
    EXPECT_EQ(sum->attrs.get_string("activation", ""), "Relu");
    ASSERT_NE(sum->input(0), nullptr) << "the conv's result is the sum's Z";
    EXPECT_EQ(sum->input(0)->producer->num_inputs(), 3) << "the conv keeps no residual";
    std::vector<Tensor> in;
    for (const Value* v : g->inputs) in.push_back(testing::random_tensor(v->shape, 3 + static_cast<uint32_t>(in.size())));
    Tensor want = testing::run_graph(*g, in)[0], got = testing::run_graph(*f, in)[0];
    EXPECT_LT(max_abs_diff(got, want), 1e-5) << (channels_last ? "NHWC" : "NCHW");
  }
}

// A sum that is read by an int8 classifier quantises as it stores, and the head stays within int8 precision.
TEST(FuseResizeSum, Int8ClassifierInputIsWrittenByTheSum) {
  GraphBuilder b;
  auto g = head(b);
  std::map<std::string, Shape> shapes;
  for (const Value* v : g->inputs) shapes[v->name] = v->shape;
  auto cal = Calibrator::create(*g, shapes, 1);
  ASSERT_TRUE(cal.is_ok()) << cal.status().to_string();
  for (uint32_t f = 0; f < 4; ++f) {
    std::vector<Tensor> in;
    for (const Value* v : g->inputs) in.push_back(testing::random_tensor(v->shape, 40 + f * 7 + static_cast<uint32_t>(in.size())));
    ASSERT_TRUE((*cal)->add(in).is_ok());
  }
  Int8Options o;
  o.scales = (*cal)->cache(CalibrationMethod::kMinMax)->scales;
  auto q = g->clone();
  ASSERT_TRUE(optimize(*q).is_ok());
  ASSERT_TRUE(quantize_int8(*q, o, nullptr).is_ok());
  Node* sum = testing::only_node(*q, "ResizeSum");
  ASSERT_NE(sum, nullptr);
  EXPECT_NE(sum->input(1), nullptr) << "Y_scale";
  EXPECT_EQ(sum->output(0)->dtype, DType::kInt8);
  EXPECT_EQ(op_counts(*q)["QuantizeLinear"], 1) << "only c1, for the projection conv";
  std::vector<Tensor> in;
  for (const Value* v : g->inputs) in.push_back(testing::random_tensor(v->shape, 90 + static_cast<uint32_t>(in.size())));
  Tensor want = testing::run_graph(*g, in)[0], got = testing::run_graph(*q, in)[0];
  double peak = 1e-9;
  for (int64_t i = 0; i < want.numel(); ++i) peak = std::max(peak, double(std::fabs(want.data<float>()[i])));
  EXPECT_LT(max_abs_diff(got, want) / peak, 0.03);
}

}  // namespace
}  // namespace tandem
