// Resize + Add fusion: Add(Resize(X), Z) in either operand order, NCHW and NHWC, becomes one ai.tandem FusedResize
// computing the same floats; a Resize read elsewhere, a broadcasting Add and non-constant scales stay as they are.
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

// A Resize of x by `scales` (one per axis), or to `sizes` when scales is empty.
Value* resize(GraphBuilder& b, Value* x, const std::string& mode, const std::vector<float>& scales,
              const Shape& sizes = {}) {
  Attributes a;
  a.set_string("mode", mode);
  if (!scales.empty())
    return b.op("Resize", {x, nullptr, b.constant(Tensor::from_vector<float>({4}, scales))}, std::move(a));
  return b.op("Resize", {x, nullptr, nullptr, b.constant(Tensor::from_vector<int64_t>({4}, sizes))}, std::move(a));
}

// fuse_and_compare, then the outputs bit for bit: the fused op adds Z to the same resized value Add would read.
std::unique_ptr<Graph> fuse_exactly(const Graph& g) {
  std::unique_ptr<Graph> fused = fuse_and_compare(g, {fuse_resize_add}, 4.0f);
  std::vector<Tensor> inputs;
  uint32_t seed = 7;
  for (const Value* v : g.inputs) inputs.push_back(testing::random_tensor(v->shape, seed++, 4.0f));
  std::vector<Tensor> want = testing::run_graph(g, inputs), got = testing::run_graph(*fused, inputs);
  EXPECT_EQ(want.size(), got.size());
  for (size_t o = 0; o < want.size() && o < got.size(); ++o) {
    EXPECT_EQ(want[o].shape(), got[o].shape());
    if (want[o].shape() != got[o].shape()) continue;
    int64_t differs = -1;
    for (int64_t i = 0; i < want[o].numel() && differs < 0; ++i)
      if (want[o].data<float>()[i] != got[o].data<float>()[i]) differs = i;
    EXPECT_EQ(differs, -1) << "output " << o << ": the first element that differs";
  }
  return fused;
}

struct Case {
  const char* name;
  bool nhwc;          // [N, H, W, C] resized over axes 1 and 2, else [N, C, H, W] over 2 and 3
  const char* mode;   // linear or nearest
  float scale;        // 0: the non-integer sizes below
  bool resize_first;  // Add(Resize(x), z), else Add(z, Resize(x))
};

std::string case_name(const ::testing::TestParamInfo<Case>& info) { return info.param.name; }

class FuseResizeAdd : public ::testing::TestWithParam<Case> {};

TEST_P(FuseResizeAdd, AddOfResizeBecomesOneFusedResize) {
  const Case& c = GetParam();
  const int64_t ch = 5, h = 3, w = 4;
  const int64_t oh = c.scale > 0 ? static_cast<int64_t>(h * c.scale) : 7;
  const int64_t ow = c.scale > 0 ? static_cast<int64_t>(w * c.scale) : 11;
  GraphBuilder b;
  Value* x = b.input("x", c.nhwc ? Shape{2, h, w, ch} : Shape{2, ch, h, w});
  Value* z = b.input("z", c.nhwc ? Shape{2, oh, ow, ch} : Shape{2, ch, oh, ow});
  Value* r = nullptr;
  if (c.scale > 0) {
    r = resize(b, x, c.mode,
               c.nhwc ? std::vector<float>{1, c.scale, c.scale, 1} : std::vector<float>{1, 1, c.scale, c.scale});
  } else {
    r = resize(b, x, c.mode, {}, c.nhwc ? Shape{2, oh, ow, ch} : Shape{2, ch, oh, ow});
  }
  b.output(c.resize_first ? b.op("Add", {r, z}) : b.op("Add", {z, r}));
  std::unique_ptr<Graph> g = b.specialized();
  const std::string out_name = g->outputs[0]->name;
  auto fused = fuse_exactly(*g);
  EXPECT_EQ(op_counts(*fused), (std::map<std::string, int>{{"FusedResize", 1}}));
  Node* f = only_node(*fused, "FusedResize");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->domain, kTandemDomain);
  EXPECT_EQ(f->input(0)->name, "x");
  EXPECT_EQ(f->input(4)->name, "z");
  EXPECT_EQ(f->attrs.get_string("mode", ""), c.mode);
  EXPECT_EQ(f->output(0), fused->outputs[0]);
  EXPECT_EQ(fused->outputs[0]->name, out_name) << "the Add's output value (and name) carries over";
  EXPECT_EQ(fused->opset(kTandemDomain), 1);
}

INSTANTIATE_TEST_SUITE_P(LayoutsModesScales, FuseResizeAdd,
                         ::testing::Values(Case{"nchw_linear_x2", false, "linear", 2, true},
                                           Case{"nchw_linear_x4_z_first", false, "linear", 4, false},
                                           Case{"nchw_linear_x8", false, "linear", 8, true},
                                           Case{"nchw_nearest_x2_z_first", false, "nearest", 2, false},
                                           Case{"nchw_nearest_x4", false, "nearest", 4, true},
                                           Case{"nchw_linear_sizes", false, "linear", 0, true},
                                           Case{"nchw_nearest_sizes_z_first", false, "nearest", 0, false},
                                           Case{"nhwc_linear_x2_z_first", true, "linear", 2, false},
                                           Case{"nhwc_linear_x4", true, "linear", 4, true},
                                           Case{"nhwc_linear_x8_z_first", true, "linear", 8, false},
                                           Case{"nhwc_nearest_x2", true, "nearest", 2, true},
                                           Case{"nhwc_nearest_x8_z_first", true, "nearest", 8, false},
                                           Case{"nhwc_linear_sizes_z_first", true, "linear", 0, false},
                                           Case{"nhwc_nearest_sizes", true, "nearest", 0, true}),
                         case_name);

// SegFormer's head: ((Resize(a) + Resize(b)) + Resize(c)). The first Add fuses its first Resize and adds the other;
// the second then reads a FusedResize, which it adds as Z to the third Resize.
TEST(FuseResizeAddGraph, SumOfThreeUpsampledMaps) {
  for (bool nhwc : {false, true}) {
    GraphBuilder b;
    auto map = [&](const char* name, int64_t s) {
      Value* v = b.input(name, nhwc ? Shape{1, 16 / s, 32 / s, 8} : Shape{1, 8, 16 / s, 32 / s});
      const auto f = static_cast<float>(s);
      return resize(b, v, "linear", nhwc ? std::vector<float>{1, f, f, 1} : std::vector<float>{1, 1, f, f});
    };
    Value* r8 = map("a", 8);
    Value* r4 = map("b", 4);
    Value* r2 = map("c", 2);
    b.output(b.op("Add", {b.op("Add", {r8, r4}), r2}));
    std::unique_ptr<Graph> g = b.specialized();
    auto fused = fuse_exactly(*g);
    EXPECT_EQ(op_counts(*fused), (std::map<std::string, int>{{"FusedResize", 2}, {"Resize", 1}}));
    Node* first = fused->outputs[0]->producer;
    ASSERT_TRUE(first && first->op_type == "FusedResize");
    EXPECT_EQ(first->input(0)->name, "c");
    Node* second = first->input(4)->producer;
    ASSERT_TRUE(second && second->op_type == "FusedResize");
    EXPECT_EQ(second->input(0)->name, "a");
    EXPECT_EQ(second->input(4)->producer->op_type, "Resize");
  }
}

// Each of these must stay a Resize and an Add: fusing would change what is computed or what the graph exposes.
TEST(FuseResizeAddGraph, LeavesAloneWhatItCannotFuse) {
  const std::map<std::string, int> unfused = {{"Add", 1}, {"Resize", 1}};
  {  // the resized map is read twice
    GraphBuilder b;
    Value* r = resize(b, b.input("x", {1, 3, 4, 5}), "linear", {1, 1, 2, 2});
    b.output(b.op("Add", {r, b.input("z", {1, 3, 8, 10})}));
    b.output(b.op("Relu", {r}));
    auto fused = fuse_exactly(*b.specialized());
    EXPECT_EQ(op_counts(*fused), (std::map<std::string, int>{{"Add", 1}, {"Resize", 1}, {"Relu", 1}}));
  }
  {  // the resized map is a graph output
    GraphBuilder b;
    Value* r = resize(b, b.input("x", {1, 3, 4, 5}), "linear", {1, 1, 2, 2});
    b.output(b.op("Add", {r, b.input("z", {1, 3, 8, 10})}));
    b.output(r);
    EXPECT_EQ(op_counts(*fuse_exactly(*b.specialized())), unfused);
  }
  {  // Z is broadcast (a per-channel bias)
    GraphBuilder b;
    Value* r = resize(b, b.input("x", {1, 3, 4, 5}), "linear", {1, 1, 2, 2});
    b.output(b.op("Add", {r, b.input("z", {1, 3, 1, 1})}));
    EXPECT_EQ(op_counts(*fuse_exactly(*b.specialized())), unfused);
  }
  {  // the resized map is broadcast
    GraphBuilder b;
    Value* r = resize(b, b.input("x", {1, 1, 4, 5}), "nearest", {1, 1, 2, 2});
    b.output(b.op("Add", {r, b.input("z", {1, 3, 8, 10})}));
    EXPECT_EQ(op_counts(*fuse_exactly(*b.specialized())), unfused);
  }
  {  // Add(r, r): no other operand
    GraphBuilder b;
    Value* r = resize(b, b.input("x", {1, 3, 4, 5}), "linear", {1, 1, 2, 2});
    b.output(b.op("Add", {r, r}));
    EXPECT_EQ(op_counts(*fuse_exactly(*b.specialized())), unfused);
  }
}

// Scales computed at run time: a graph the specialiser would refuse, so the pass is run on it directly.
TEST(FuseResizeAddGraph, LeavesNonConstantScalesAlone) {
  Graph g;
  g.opsets[kOnnxDomain] = 13;
  auto value = [&](const char* name, Shape shape, DType dtype = DType::kFloat32) {
    Value* v = g.value(name);
    v->dtype = dtype;
    v->has_shape = true;
    v->shape = std::move(shape);
    return v;
  };
  Value* x = value("x", {1, 3, 4, 5});
  Value* scales = value("scales", {4});
  Value* z = value("z", {1, 3, 8, 10});
  g.inputs = {x, scales, z};
  Value* r = value("r", {1, 3, 8, 10});
  Value* y = value("y", {1, 3, 8, 10});
  g.add_node("Resize", "resize", {x, nullptr, scales}, {r})->attrs.set_string("mode", "linear");
  g.add_node("Add", "add", {r, z}, {y});
  g.outputs = {y};
  ASSERT_TRUE(fuse_resize_add(g).is_ok());
  EXPECT_EQ(op_counts(g), (std::map<std::string, int>{{"Add", 1}, {"Resize", 1}}));
}

// Resize-10 reads (X, scales) with its own coordinate rules, which FusedResize's inputs cannot carry.
TEST(FuseResizeAddGraph, LeavesResize10Alone) {
  GraphBuilder b(10);
  Attributes a;
  a.set_string("mode", "nearest");
  Value* r = b.op("Resize", {b.input("x", {1, 3, 4, 5}), b.constant(Tensor::from_vector<float>({4}, {1, 1, 2, 2}))}, a);
  b.output(b.op("Add", {r, b.input("z", {1, 3, 8, 10})}));
  EXPECT_EQ(op_counts(*fuse_exactly(*b.specialized())), (std::map<std::string, int>{{"Add", 1}, {"Resize", 1}}));
}

// In optimize(): after channels_last_regions, so resizes between convolutions fuse in their final (NHWC) layout.
// (An Add of a conv's output and a resize is the conv's residual instead: fuse_conv_activation takes it first.)
TEST(FuseResizeAddGraph, OptimizeFusesAfterTheLayoutPass) {
  GraphBuilder b;
  const Attributes k1 = testing::ints_attr("kernel_shape", {1, 1});
  auto conv = [&](Value* v) { return b.op("Conv", {v, b.weights({16, 16, 1, 1}), b.weights({16})}, k1); };
  Value* a = resize(b, conv(b.input("a", {1, 16, 4, 8})), "linear", {1, 1, 4, 4});
  Value* c = resize(b, conv(b.input("c", {1, 16, 8, 16})), "linear", {1, 1, 2, 2});
  b.output(conv(b.op("Add", {a, c})));
  std::unique_ptr<Graph> g = b.specialized();
  auto fused = fuse_and_compare(*g, {optimize}, 2.0f);
  const std::map<std::string, int> counts = op_counts(*fused);
  EXPECT_EQ(counts.count("Add"), 0u);
  // Resize + FusedResize, which fuse_resize_sum then makes one ResizeSum.
  EXPECT_EQ(counts.count("FusedResize") + counts.count("Resize"), 0u);
  EXPECT_EQ(counts.count("ResizeSum"), 1u);
  Node* f = only_node(*fused, "ResizeSum");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->output(0)->shape, (Shape{1, 16, 32, 16})) << "[N, H, W, C]: the layout pass ran first";
}

}  // namespace
}  // namespace tandem
