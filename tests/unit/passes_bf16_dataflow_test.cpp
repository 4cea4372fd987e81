// BF16 dataflow: which tensors of a bf16 stage become bf16 (written by a marked conv/matmul and read only by
// marked convs/matmuls as their data input, through reshapes), and that an engine built so computes what the
// fp32 graph does to bf16 precision (where oneDNN has native bf16).
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <string>

#include "backends/cpu/onednn_common.h"
#include "graph_builder.h"
#include "passes/optimize.h"

namespace tandem {
namespace {

using testing::GraphBuilder;
using testing::relative_error;

Node* producer_of(Value* v) { return v->producer; }


TEST(Bf16Dataflow, TensorsBetweenMarkedLayersBecomeBf16) {
  GraphBuilder b;
  Value* x = b.input("x", {1, 64, 32});
  Value* h = b.op("MatMul", {x, b.weights({32, 64})});                                            // -> matmul only
  Value* r = b.op("Reshape", {h, b.constant(Tensor::from_vector<int64_t>({2}, {64, 64}))});       // a view of it
  Value* y = b.op("MatMul", {r, b.weights({64, 16})});                                            // -> Relu: fp32
  Value* side = b.op("MatMul", {x, b.weights({32, 8})});                                          // -> output: fp32
  b.output(b.op("Relu", {y}));
  b.output(side);
  auto g = b.specialized();
  ASSERT_TRUE(mark_bf16(*g, {}, nullptr).is_ok());
  Value* gh = g->find_value(h->name);
  Value* gr = g->find_value(r->name);
  Value* gy = g->find_value(y->name);
  std::set<std::string> touched;
  EXPECT_EQ(bf16_dataflow(*g, &touched), 1);
  EXPECT_EQ(gh->dtype, DType::kBFloat16);
  EXPECT_EQ(gr->dtype, DType::kBFloat16) << "the reshape's view too";
  EXPECT_EQ(gy->dtype, DType::kFloat32) << "a ReLU reads it";
  EXPECT_EQ(g->find_value(side->name)->dtype, DType::kFloat32) << "a graph output";
  EXPECT_EQ(touched, (std::set<std::string>{producer_of(gh)->name, gy->producer->name}));
}

TEST(Bf16Dataflow, AnyOtherReaderKeepsFp32) {
  for (int variant = 0; variant < 3; ++variant) {
    GraphBuilder b;
    Value* x = b.input("x", {1, 16, 32});
    Value* h = b.op("MatMul", {x, b.weights({32, 32})});
    Value* y = b.op("MatMul", {h, b.weights({32, 16})});
    b.output(y);
    if (variant == 0) b.output(b.op("Relu", {h}));  // a float reader besides the matmul
    if (variant == 1) b.output(b.op("MatMul", {y, h}));  // read as B, not as the data input
    auto g = b.specialized();
    std::set<std::string> keep;
    if (variant == 2) keep.insert(y->producer->name);  // the reader kept fp32 by an override
    ASSERT_TRUE(mark_bf16(*g, keep, nullptr).is_ok());
    EXPECT_EQ(bf16_dataflow(*g, nullptr), 0) << "variant " << variant;
    EXPECT_EQ(g->find_value(h->name)->dtype, DType::kFloat32) << "variant " << variant;
  }
}

// Attention: softmax(Q K^T) V. The probabilities only the second matmul reads are stored as bf16 by the softmax
// (that matmul rounded them to bf16 anyway); the scores stay fp32 (a softmax input in bf16 would lose accuracy).
TEST(Bf16Dataflow, AttentionProbabilitiesAreBf16ScoresAreNot) {
  GraphBuilder b;
  Value* q = b.op("MatMul", {b.input("x", {1, 32, 16}), b.weights({16, 16})});
  Value* scores = b.op("MatMul", {q, b.input("kt", {1, 16, 24})});
  Value* p = b.op("Softmax", {scores});
  Value* out = b.op("MatMul", {p, b.input("v", {1, 24, 16})});
  b.output(out);
  auto g = b.specialized();
  auto f = g->clone();  // the fp32 reference
  ASSERT_TRUE(mark_bf16(*g, {}, nullptr).is_ok());
  EXPECT_EQ(bf16_dataflow(*g, nullptr), 2);
  EXPECT_EQ(g->find_value(q->name)->dtype, DType::kBFloat16) << "Q, read only by the scores matmul as A";
  EXPECT_EQ(g->find_value(scores->name)->dtype, DType::kFloat32);
  EXPECT_EQ(g->find_value(p->name)->dtype, DType::kBFloat16);
  if (!onednn_native_bf16()) return;
  std::vector<Tensor> in{testing::random_tensor({1, 32, 16}, 1), testing::random_tensor({1, 16, 24}, 2),
                         testing::random_tensor({1, 24, 16}, 3)};
  Tensor want = testing::run_graph(*f, in)[0], got = testing::run_graph(*g, in)[0];
  EXPECT_LT(relative_error(got, want), 3e-2);
}

// An FFN as MTNet's backbone has it: linear -> tokens as an NHWC map -> depthwise conv + GELU -> linear, all in
// bf16 with bf16 tensors between them: within bf16 rounding of fp32.
TEST(Bf16Dataflow, EngineMatchesFp32ToBf16Precision) {
  if (!onednn_native_bf16()) GTEST_SKIP() << "no AVX-512 BF16 / AMX on this CPU";
  GraphBuilder b;
  Value* x = b.input("x", {1, 64, 16});  // 8 x 8 tokens of 16 channels
  Value* h = b.op("MatMul", {x, b.weights({16, 32})});
  Value* t = b.op("Transpose", {h}, testing::ints_attr("perm", {0, 2, 1}));
  Value* m = b.op("Reshape", {t, b.constant(Tensor::from_vector<int64_t>({4}, {1, 32, 8, 8}))});
  Attributes dw = testing::ints_attr("pads", {1, 1, 1, 1});
  dw.set_int("group", 32);
  Value* c = b.op("Conv", {m, b.weights({32, 1, 3, 3}), b.weights({32})}, dw);
  Value* f = b.op("Reshape", {c, b.constant(Tensor::from_vector<int64_t>({3}, {1, 32, 64}))});
  Value* ft = b.op("Transpose", {f}, testing::ints_attr("perm", {0, 2, 1}));
  b.output(b.op("MatMul", {ft, b.weights({32, 16})}));
  auto g = b.specialized();
  auto q = g->clone();
  ASSERT_TRUE(optimize(*q).is_ok());
  ASSERT_TRUE(mark_bf16(*q, {}, nullptr).is_ok());
  ASSERT_GE(bf16_dataflow(*q, nullptr), 1);
  std::vector<Tensor> in{testing::random_tensor({1, 64, 16}, 5)};
  Tensor want = testing::run_graph(*g, in)[0], got = testing::run_graph(*q, in)[0];
  EXPECT_LT(relative_error(got, want), 3e-2);
  EXPECT_GT(relative_error(got, want), 0.0) << "bit-exact with fp32: the bf16 kernels did not run";
}

}  // namespace
}  // namespace tandem
