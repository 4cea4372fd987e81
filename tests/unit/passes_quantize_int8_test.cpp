// The int8 pass and calibration on small graphs: which nodes become int8, how inputs are quantised (once per
// tensor, not at all when int8 already arrives), unsigned sources after ReLU, what stays in float and why, and
// that the int8 graph computes what the float one does to int8 precision.
#include <gtest/gtest.h>

#include <cmath>

#include "graph_builder.h"
#include "ops/fused_int8.h"
#include "runtime/calibration.h"

namespace tandem {
namespace {

using testing::GraphBuilder;
using testing::ints_attr;
using testing::op_counts;
using testing::random_tensor;
using testing::relative_error;
using testing::run_graph;

Attributes pads1() { return ints_attr("pads", {1, 1, 1, 1}); }

// x -> conv -> relu -> conv -> y, and x -> conv2 (a second reader of x)
std::unique_ptr<Graph> two_convs(GraphBuilder& b) {
  Value* x = b.input("x", {1, 8, 12, 12});
  Value* h = b.op("Relu", {b.op("Conv", {x, b.weights({8, 8, 3, 3}), b.weights({8})}, pads1())});
  Value* y = b.op("Conv", {h, b.weights({4, 8, 3, 3}), b.weights({4})}, pads1());
  Value* y2 = b.op("Conv", {x, b.weights({4, 8, 1, 1})});
  b.output(y);
  b.output(y2);
  return b.specialized();
}

// Scales by min-max calibration of `g` itself over a few random inputs.
std::map<std::string, float> calibrate(const Graph& g, int frames = 4) {
  std::map<std::string, Shape> shapes;
  for (const Value* v : g.inputs) shapes[v->name] = v->shape;
  auto cal = Calibrator::create(g, shapes, 1);
  EXPECT_TRUE(cal.is_ok()) << cal.status().to_string();
  for (int f = 0; f < frames; ++f) {
    std::vector<Tensor> in;
    for (const Value* v : g.inputs) in.push_back(random_tensor(v->shape, 50 + f));
    EXPECT_TRUE((*cal)->add(in).is_ok());
  }
  auto cache = (*cal)->cache(CalibrationMethod::kMinMax);
  EXPECT_TRUE(cache.is_ok());
  return cache->scales;
}


// SegFormer's head: an upsampled map added to another (fused into one FusedResize), after ReLUs on both: the
// conv reading the sum knows its source is >= 0 and reads it as u8.
TEST(QuantizeInt8, FusedResizeOfNonNegativeMapsIsUnsigned) {
  GraphBuilder b;
  Value* low = b.op("Relu", {b.input("low", {1, 8, 4, 5})});
  Value* high = b.op("Relu", {b.input("high", {1, 8, 8, 10})});
  Attributes linear;
  linear.set_string("mode", "linear");
  Value* up = b.op(
      "Resize",
      {low, b.constant(Tensor::from_vector<float>({0}, {})), b.constant(Tensor::from_vector<float>({4}, {1, 1, 2, 2}))},
      linear);
  b.output(b.op("Conv", {b.op("Add", {up, high}), b.weights({8, 8, 1, 1})}));
  auto g = b.specialized();
  Int8Options o;
  o.scales = calibrate(*g);
  auto q = g->clone();
  ASSERT_TRUE(optimize(*q).is_ok());
  ASSERT_EQ(op_counts(*q)["FusedResize"], 1);
  ASSERT_TRUE(quantize_int8(*q, o, nullptr).is_ok());
  Node* conv = testing::only_node(*q, "FusedConvInt8");
  ASSERT_NE(conv, nullptr);
  EXPECT_EQ(conv->attrs.get_int("x_unsigned", 0), 1);
}

TEST(QuantizeInt8, ConvsBecomeInt8AndMatchFloat) {
  GraphBuilder b;
  auto g = two_convs(b);
  Int8Options o;
  o.scales = calibrate(*g);
  auto q = g->clone();
  ASSERT_TRUE(optimize(*q).is_ok());
  std::vector<std::string> report;
  ASSERT_TRUE(quantize_int8(*q, o, &report).is_ok());
  auto counts = op_counts(*q);
  EXPECT_EQ(counts["FusedConvInt8"], 3);
  EXPECT_EQ(counts["QuantizeLinear"], 1) << "x is quantised once for both of its readers";
  int requantized = 0;
  for (Node* n : q->live_nodes()) requantized += n->op_type == "FusedConvInt8" && n->input(kInt8YScale) != nullptr;
  EXPECT_EQ(requantized, 1) << "the first conv emits the second one's int8 input itself";
  EXPECT_TRUE(report.empty()) << report.front();
  for (Node* n : q->live_nodes())
    if (n->op_type == "FusedConvInt8") {
      bool after_relu = n->input(0)->producer && n->input(0)->producer->attrs.get_string("activation", "") == "Relu";
      EXPECT_EQ(n->attrs.get_int("x_unsigned", 0), after_relu ? 1 : 0) << n->name;
    }
  std::vector<Tensor> in{random_tensor({1, 8, 12, 12}, 7)};
  auto want = run_graph(*g, in), got = run_graph(*q, in);
  ASSERT_EQ(want.size(), got.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_LT(relative_error(got[i], want[i]), 0.03) << "output " << i;
}

// A decoder step: conv -> ReLU -> x2 upsampling -> conv. The first conv emits int8 at the second one's input
// scale and the Resize runs on int8 (no float map at the upsampled size, no QuantizeLinear); the result is
// what the float graph computes to int8 precision.
TEST(QuantizeInt8, RequantizedThroughResize) {
  for (bool channels_last : {false, true}) {
    GraphBuilder b;
    Value* x = b.input("x", {1, 16, 10, 12});
    Value* h = b.op("Relu", {b.op("Conv", {x, b.weights({24, 16, 3, 3}), b.weights({24})}, pads1())});
    Attributes linear;
    linear.set_string("mode", "linear");
    Value* up = b.op("Resize",
                     {h, b.constant(Tensor::from_vector<float>({0}, {})),
                      b.constant(Tensor::from_vector<float>({4}, {1, 1, 2, 2}))},
                     linear);
    b.output(b.op("Conv", {up, b.weights({24, 24, 3, 3}), b.weights({24})}, pads1()));
    auto g = b.specialized();
    Int8Options o;
    o.scales = calibrate(*g);
    auto q = g->clone();
    ASSERT_TRUE(optimize(*q).is_ok());
    if (channels_last) ASSERT_TRUE(channels_last_regions(*q).is_ok());
    auto unfused = q->clone();
    Int8Options float_results = o;
    float_results.requantize = false;
    ASSERT_TRUE(quantize_int8(*unfused, float_results, nullptr).is_ok());
    ASSERT_TRUE(quantize_int8(*q, o, nullptr).is_ok());
    auto counts = op_counts(*q);
    EXPECT_EQ(counts["QuantizeLinear"], 1) << "only the graph input is quantised";
    Node* resize = testing::only_node(*q, "Resize");
    ASSERT_NE(resize, nullptr);
    EXPECT_EQ(resize->input(0)->dtype, DType::kInt8);
    EXPECT_EQ(resize->output(0)->dtype, DType::kInt8);
    ASSERT_NE(resize->input(0)->producer, nullptr);
    EXPECT_NE(resize->input(0)->producer->input(kInt8YScale), nullptr);
    std::vector<Tensor> in{random_tensor({1, 16, 10, 12}, 7)};
    Tensor want = run_graph(*g, in)[0], got = run_graph(*q, in)[0], baseline = run_graph(*unfused, in)[0];
    EXPECT_LT(relative_error(got, want), 0.03) << (channels_last ? "NHWC" : "NCHW");
    EXPECT_LT(relative_error(got, baseline), 0.03) << "int8 through the Resize against float between the convs";
  }
}

TEST(QuantizeInt8, WithoutAScaleOrByOverrideStaysFloat) {
  GraphBuilder b;
  auto g = two_convs(b);
  std::map<std::string, float> scales = calibrate(*g);
  Int8Options o;
  o.scales = {{g->inputs[0]->name, scales.at(g->inputs[0]->name)}};  // only x is calibrated
  auto q = g->clone();
  ASSERT_TRUE(optimize(*q).is_ok());
  std::vector<std::string> report;
  ASSERT_TRUE(quantize_int8(*q, o, &report).is_ok());
  EXPECT_EQ(op_counts(*q)["FusedConvInt8"], 2);
  ASSERT_EQ(report.size(), 1u);
  EXPECT_NE(report[0].find("no calibration scale for its input"), std::string::npos) << report[0];

  Int8Options keep;
  keep.scales = scales;
  keep.keep_float = {"FusedConv", "Conv"};
  auto f = g->clone();
  ASSERT_TRUE(optimize(*f).is_ok());
  ASSERT_TRUE(quantize_int8(*f, keep, &report).is_ok());
  EXPECT_EQ(op_counts(*f)["FusedConvInt8"], 0);
  EXPECT_EQ(report.size(), 3u);
}

// int8 arriving through a DequantizeLinear (a stage boundary, or a Q/DQ model) is read as is: no requantisation.
TEST(QuantizeInt8, ReadsInt8InputsDirectly) {
  GraphBuilder b;
  Value* xq = b.input("xq", {1, 4, 6, 6});
  xq->dtype = DType::kInt8;
  Value* x = b.op("DequantizeLinear", {xq, b.scalar(0.05f), b.constant(Tensor::scalar<int8_t>(0))});
  Value* y = b.op("Conv", {x, b.weights({4, 4, 3, 3})}, pads1());
  b.output(y);
  auto g = b.specialized();
  auto q = g->clone();
  ASSERT_TRUE(optimize(*q).is_ok());
  ASSERT_TRUE(quantize_int8(*q, Int8Options{}, nullptr).is_ok());
  Node* conv = testing::only_node(*q, "FusedConvInt8");
  ASSERT_NE(conv, nullptr);
  EXPECT_EQ(conv->input(0), q->inputs[0]);
  EXPECT_EQ(op_counts(*q)["QuantizeLinear"], 0);
  EXPECT_EQ(op_counts(*q)["DequantizeLinear"], 0) << "the dequantize nobody reads any more is gone";
}

TEST(QuantizeInt8, LinearLayersBecomeInt8) {
  GraphBuilder b;
  Value* x = b.input("x", {1, 16, 32});
  b.output(b.op("Add", {b.op("MatMul", {x, b.weights({32, 24})}), b.weights({24})}));
  auto g = b.specialized();
  Int8Options o;
  o.scales = calibrate(*g);
  auto q = g->clone();
  ASSERT_TRUE(optimize(*q).is_ok());
  ASSERT_TRUE(quantize_int8(*q, o, nullptr).is_ok());
  EXPECT_EQ(op_counts(*q)["FusedMatMulInt8"], 1);
  std::vector<Tensor> in{random_tensor({1, 16, 32}, 3)};
  EXPECT_LT(relative_error(run_graph(*q, in)[0], run_graph(*g, in)[0]), 0.03);
}

// Calibration names the tensor behind a reshape view and gives the view the same scale.
// A Q/DQ model (as QAT tools export it) runs in int8 without calibration: optimize() turns every conv that
// reads a DequantizeLinear of int8 into its int8 form at the model's own scales, and the result is what the
// float fake-quantised graph computes.
TEST(QuantizeInt8, QdqModelsRunInInt8AtTheirOwnScales) {
  GraphBuilder b;
  Value* x = b.input("x", {1, 8, 12, 12});
  Value* zp = b.constant(Tensor::scalar<int8_t>(0));
  auto qdq = [&](Value* v, float scale) {
    Value* s = b.scalar(scale);
    return b.op("DequantizeLinear", {b.op("QuantizeLinear", {v, s, zp}), s, zp});
  };
  // Weights as int8 initializers with per-output-channel scales whose largest weight is +-127 (max calibration).
  auto int8_weights = [&](const Shape& shape, uint32_t seed) {
    Tensor q = Tensor::make(DType::kInt8, shape);
    std::vector<float> scales;
    const int64_t inner = q.numel() / shape[0];
    for (int64_t c = 0; c < shape[0]; ++c) {
      scales.push_back(0.004f * static_cast<float>(c + 1));
      for (int64_t i = 0; i < inner; ++i)
        q.data<int8_t>()[c * inner + i] = static_cast<int8_t>(i == c % inner ? 127 : int((seed * 31 + c * 7 + i * 13) % 201) - 100);
    }
    Value* wq = b.constant(q);
    Attributes axis;
    axis.set_int("axis", 0);
    return b.op("DequantizeLinear", {wq, b.constant(Tensor::from_vector<float>({shape[0]}, scales)),
                                     b.constant(Tensor::from_vector<int8_t>({shape[0]}, std::vector<int8_t>(static_cast<size_t>(shape[0]), 0)))},
                axis);
  };
  Value* h = b.op("Relu", {b.op("Conv", {qdq(x, 0.02f), int8_weights({8, 8, 3, 3}, 1), b.weights({8})}, pads1())});
  Value* y = b.op("Conv", {qdq(h, 0.03f), int8_weights({4, 8, 3, 3}, 2), b.weights({4})}, pads1());
  b.output(y);
  auto g = b.specialized();  // folds the weights' DequantizeLinear into float constants
  auto q = g->clone();
  ASSERT_TRUE(optimize(*q).is_ok());
  EXPECT_EQ(op_counts(*q)["FusedConvInt8"], 2);
  EXPECT_EQ(op_counts(*q)["DequantizeLinear"], 0) << "both convs read the int8 tensors directly";
  Node* second = nullptr;
  for (Node* n : q->live_nodes())
    if (n->op_type == "FusedConvInt8" && n->output(0) == q->outputs[0]) second = n;
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(second->attrs.get_int("x_unsigned", 0), 1) << "after ReLU -> Q/DQ with zero point 0 the source is >= 0";
  Tensor in = random_tensor({1, 8, 12, 12}, 7, 2.0f);
  std::vector<Tensor> want = run_graph(*g, {in}), got = run_graph(*q, {in});
  ASSERT_EQ(got.size(), 1u);
  // The first conv's source is signed: oneDNN's s8 x s8 path without VNNI loses up to ~1 %; bit-exactness is
  // the unsigned case's (ReadsInt8InputsDirectly).
  EXPECT_LT(relative_error(got[0], want[0]), 0.05);
}

TEST(Calibration, MinMaxScalesAndViews) {
  GraphBuilder b;
  Value* x = b.input("x", {1, 4, 4, 4});
  Value* r = b.op("Reshape", {b.op("Relu", {x}), b.constant(Tensor::from_vector<int64_t>({4}, {1, 4, 4, 4}))});
  b.output(b.op("Conv", {r, b.weights({2, 4, 1, 1})}));
  auto g = b.specialized();
  std::map<std::string, std::string> aliases;
  std::vector<std::string> tensors = calibration_tensors(*g, aliases);
  ASSERT_EQ(tensors.size(), 1u);
  EXPECT_NE(tensors[0], r->name) << "the tensor behind the reshape";
  EXPECT_EQ(aliases.at(r->name), tensors[0]);
  std::map<std::string, float> scales = calibrate(*g, 3);
  float amax = 0;
  for (int f = 0; f < 3; ++f) {
    Tensor t = random_tensor({1, 4, 4, 4}, 50 + f);
    for (int64_t i = 0; i < t.numel(); ++i) amax = std::max(amax, t.data<float>()[i]);  // after the ReLU
  }
  EXPECT_FLOAT_EQ(scales.at(tensors[0]), amax / 127.0f);
  EXPECT_FLOAT_EQ(scales.at(r->name), amax / 127.0f);
}

}  // namespace
}  // namespace tandem
