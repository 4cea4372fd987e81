// Conv, MatMul, Gemm and BatchNormalization reference kernels against plain loops written independently here.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>

#include "single_op.h"

namespace tandem {
namespace {

using testing::run_single_op;
using testing::SingleOp;
using testing::random_tensor;
using testing::run_ok;
using testing::expect_error;

void expect_near_all(const Tensor& actual, const std::vector<double>& expected, double tol) {
  ASSERT_EQ(actual.numel(), static_cast<int64_t>(expected.size()));
  for (size_t i = 0; i < expected.size(); ++i)
    ASSERT_NEAR(actual.float_at(static_cast<int64_t>(i)), expected[i], tol * (1.0 + std::fabs(expected[i])))
        << "element " << i;
}

// ---- Conv ----

struct ConvCase {
  Shape x, w;
  int64_t group = 1;
  std::vector<int64_t> strides, dilations, pads;  // empty = defaults
  bool bias = false;
};

// Direct convolution, one output element at a time, in double.
std::vector<double> naive_conv(const Tensor& x, const Tensor& w, const Tensor* b, const ConvCase& c, Shape* out) {
  const size_t rank = c.x.size() - 2;
  auto at = [](const std::vector<int64_t>& v, size_t i, int64_t def) { return v.empty() ? def : v[i]; };
  *out = {c.x[0], c.w[0]};
  for (size_t d = 0; d < rank; ++d) {
    const int64_t dk = (c.w[d + 2] - 1) * at(c.dilations, d, 1) + 1;
    out->push_back((c.x[d + 2] + at(c.pads, d, 0) + at(c.pads, d + rank, 0) - dk) / at(c.strides, d, 1) + 1);
  }
  const int64_t cg = c.w[1], mg = c.w[0] / c.group;
  const Shape kernel(c.w.begin() + 2, c.w.end());
  std::vector<double> y(static_cast<size_t>(shape_numel(*out)));
  for (size_t i = 0; i < y.size(); ++i) {
    int64_t rem = static_cast<int64_t>(i);
    std::vector<int64_t> o(rank);
    for (size_t d = rank; d-- > 0;) {
      o[d] = rem % (*out)[d + 2];
      rem /= (*out)[d + 2];
    }
    const int64_t m = rem % c.w[0], n = rem / c.w[0], g = m / mg;
    double acc = b ? b->float_at(m) : 0.0;
    for (int64_t ci = 0; ci < cg; ++ci) {
      for (int64_t t = 0; t < shape_numel(kernel); ++t) {
        int64_t trem = t, xoff = 0, woff = 0, stride = 1;
        bool inside = true;
        for (size_t d = rank; d-- > 0;) {
          const int64_t k = trem % kernel[d];
          trem /= kernel[d];
          const int64_t pos = o[d] * at(c.strides, d, 1) - at(c.pads, d, 0) + k * at(c.dilations, d, 1);
          inside = inside && pos >= 0 && pos < c.x[d + 2];
          xoff += pos * stride;
          stride *= c.x[d + 2];
        }
        woff = (m * cg + ci) * shape_numel(kernel) + t;
        if (inside) acc += x.float_at((n * c.x[1] + g * cg + ci) * stride + xoff) * w.float_at(woff);
      }
    }
    y[i] = acc;
  }
  return y;
}

SingleOp conv_op(const ConvCase& c, const Tensor& x, const Tensor& w, const Tensor& b) {
  SingleOp op{.op_type = "Conv", .inputs = {x, w}};
  if (c.bias) op.inputs.push_back(b);
  if (c.group != 1) op.attrs.set_int("group", c.group);
  if (!c.strides.empty()) op.attrs.set_ints("strides", c.strides);
  if (!c.dilations.empty()) op.attrs.set_ints("dilations", c.dilations);
  if (!c.pads.empty()) op.attrs.set_ints("pads", c.pads);
  return op;
}

template <typename T>
void check_conv(const ConvCase& c, double tol) {
  const Tensor x = random_tensor<T>(c.x, 1), w = random_tensor<T>(c.w, 2), b = random_tensor<T>({c.w[0]}, 3);
  Shape expected_shape;
  const std::vector<double> expected = naive_conv(x, w, c.bias ? &b : nullptr, c, &expected_shape);
  const Tensor y = run_ok(conv_op(c, x, w, b));
  ASSERT_EQ(y.shape(), expected_shape);
  expect_near_all(y, expected, tol);
}

TEST(NnConv, MatchesDirectConvolution) {
  const std::vector<ConvCase> cases = {
      {.x = {2, 4, 10}, .w = {6, 2, 3}, .group = 2, .strides = {2}, .dilations = {2}, .pads = {1, 2}, .bias = true},
      {.x = {1, 3, 9, 8}, .w = {4, 3, 3, 2}, .strides = {2, 1}, .dilations = {1, 2}, .pads = {1, 0, 2, 1}},
      {.x = {2, 8, 7, 7}, .w = {8, 1, 3, 3}, .group = 8, .pads = {1, 1, 1, 1}, .bias = true},  // depthwise
      {.x = {1, 4, 6, 6}, .w = {8, 1, 3, 3}, .group = 4},                                      // multiplier 2
      {.x = {1, 2, 5, 6, 4},
       .w = {3, 2, 2, 3, 2},
       .strides = {1, 2, 1},
       .dilations = {2, 1, 1},
       .pads = {0, 1, 1, 1, 0, 0},
       .bias = true},
      {.x = {1, 16, 20, 20}, .w = {8, 16, 1, 1}, .bias = true},                         // pointwise: no im2col
      {.x = {1, 16, 20, 20}, .w = {8, 16, 1, 1}, .strides = {2, 2}},                    // strided 1x1 needs im2col
      {.x = {1, 32, 40, 40}, .w = {64, 32, 3, 3}, .pads = {1, 1, 1, 1}, .bias = true},  // threaded gemm tiles
      {.x = {4, 6, 12, 12}, .w = {4, 3, 3, 3}, .group = 2, .strides = {2, 2}, .bias = true},  // threaded jobs
      {.x = {1, 1, 3, 3}, .w = {1, 1, 3, 3}, .pads = {3, 3, 3, 3}},  // windows entirely in padding
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE("case " + std::to_string(i));
    check_conv<float>(cases[i], 1e-4);
  }
  check_conv<double>(cases[1], 1e-12);
  check_conv<double>(cases[4], 1e-12);
}

TEST(NnConv, AutoPadEqualsExplicitPads) {
  // in 7, kernel 4, stride 2: 4 outputs need 3 pad cells; SAME_UPPER puts 2 at the end, SAME_LOWER 2 in front.
  const Tensor x = random_tensor({1, 2, 7, 7}, 4), w = random_tensor({3, 2, 4, 4}, 5);
  const std::vector<std::pair<std::string, std::vector<int64_t>>> modes = {
      {"SAME_UPPER", {1, 1, 2, 2}}, {"SAME_LOWER", {2, 2, 1, 1}}, {"VALID", {0, 0, 0, 0}}, {"NOTSET", {}}};
  for (const auto& [mode, pads] : modes) {
    SCOPED_TRACE(mode);
    ConvCase c{.x = {1, 2, 7, 7}, .w = {3, 2, 4, 4}, .strides = {2, 2}, .pads = pads};
    SingleOp op = conv_op(c, x, w, Tensor());
    op.attrs.erase("pads");
    op.attrs.set_string("auto_pad", mode);
    op.attrs.set_ints("kernel_shape", {4, 4});
    Shape expected_shape;
    const std::vector<double> expected = naive_conv(x, w, nullptr, c, &expected_shape);
    const Tensor y = run_ok(op);
    ASSERT_EQ(y.shape(), expected_shape);
    expect_near_all(y, expected, 1e-5);
  }
}

TEST(NnConv, RejectsBadInput) {
  const Tensor x = random_tensor({1, 4, 5, 5}, 1), w = random_tensor({2, 4, 3, 3}, 2);
  SingleOp op{.op_type = "Conv", .inputs = {x, w}};
  op.attrs.set_string("auto_pad", "SAME_MIDDLE");
  expect_error(op, Code::kUnsupported, "auto_pad");
  op.attrs = {};
  op.attrs.set_ints("kernel_shape", {2, 2});
  expect_error(op, Code::kInvalidArgument, "kernel_shape");
  op.attrs = {};
  op.attrs.set_int("group", 3);
  expect_error(op, Code::kInvalidArgument, "group");
  op.attrs = {};
  op.attrs.set_ints("strides", {1, 0});
  expect_error(op, Code::kInvalidArgument, "strides");
  op.attrs = {};
  op.inputs = {x, random_tensor({2, 4, 7, 7}, 2)};
  expect_error(op, Code::kInvalidArgument, "exceeds");
  op.inputs = {random_tensor<int32_t>({1, 4, 5, 5}, 1), random_tensor<int32_t>({2, 4, 3, 3}, 2)};
  expect_error(op, Code::kUnsupported, "int32");
  op.inputs = {x, w, random_tensor({3}, 3)};
  expect_error(op, Code::kInvalidArgument, "bias");
}

// ---- MatMul ----

// numpy matmul of a and b, promoting 1-D operands and broadcasting batch dims, in double.
std::vector<double> naive_matmul(const Tensor& a, const Tensor& b, Shape* out) {
  Shape as = a.shape(), bs = b.shape();
  if (as.size() == 1) as.insert(as.begin(), 1);
  if (bs.size() == 1) bs.push_back(1);
  const int64_t m = as[as.size() - 2], k = as.back(), n = bs.back();
  const size_t rank = std::max(as.size(), bs.size());
  while (as.size() < rank) as.insert(as.begin(), 1);
  while (bs.size() < rank) bs.insert(bs.begin(), 1);
  Shape batch;
  for (size_t d = 0; d + 2 < rank; ++d) batch.push_back(std::max(as[d], bs[d]));
  *out = batch;
  if (a.rank() > 1) out->push_back(m);
  if (b.rank() > 1) out->push_back(n);
  std::vector<double> y;
  for (int64_t bi = 0; bi < shape_numel(batch); ++bi) {
    int64_t rem = bi, ao = 0, bo = 0, astride = m * k, bstride = k * n;
    for (size_t d = batch.size(); d-- > 0;) {
      const int64_t idx = rem % batch[d];
      rem /= batch[d];
      ao += (as[d] == 1 ? 0 : idx) * astride;
      bo += (bs[d] == 1 ? 0 : idx) * bstride;
      astride *= as[d];
      bstride *= bs[d];
    }
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double acc = 0;
        for (int64_t kk = 0; kk < k; ++kk) acc += a.float_at(ao + i * k + kk) * b.float_at(bo + kk * n + j);
        y.push_back(acc);
      }
  }
  return y;
}

template <typename T>
void check_matmul(const Shape& as, const Shape& bs, double tol) {
  SCOPED_TRACE(shape_to_string(as) + " x " + shape_to_string(bs));
  const Tensor a = random_tensor<T>(as, 7), b = random_tensor<T>(bs, 8);
  Shape expected_shape;
  const std::vector<double> expected = naive_matmul(a, b, &expected_shape);
  const Tensor y = run_ok({.op_type = "MatMul", .opset = 13, .inputs = {a, b}});
  ASSERT_EQ(y.dtype(), DTypeOf<T>::value);
  ASSERT_EQ(y.shape(), expected_shape);
  expect_near_all(y, expected, tol);
}

TEST(NnMatMul, NumpySemantics) {
  const std::vector<std::pair<Shape, Shape>> cases = {
      {{3, 4}, {4, 5}},    {{4}, {4, 5}},          {{3, 4}, {4}},          {{4}, {4}},      {{2, 1, 3, 4}, {5, 4, 6}},
      {{3, 4}, {2, 4, 2}}, {{70, 300}, {300, 90}}, {{8, 5, 6}, {8, 6, 7}}, {{0, 3}, {3, 2}}};
  for (const auto& [as, bs] : cases) check_matmul<float>(as, bs, 1e-5);
  check_matmul<double>({2, 3, 4}, {4, 5}, 1e-12);
  check_matmul<int32_t>({2, 3, 4}, {2, 4, 5}, 0);
  check_matmul<int64_t>({5}, {3, 5, 2}, 0);
}

TEST(NnMatMul, RejectsBadInput) {
  expect_error({.op_type = "MatMul", .inputs = {random_tensor({3, 4}, 1), random_tensor({5, 2}, 2)}},
               Code::kInvalidArgument, "[5,2]");
  expect_error({.op_type = "MatMul", .inputs = {random_tensor({2, 3, 4}, 1), random_tensor({3, 4, 2}, 2)}},
               Code::kInvalidArgument, "broadcast");
  expect_error(
      {.op_type = "MatMul", .inputs = {Tensor::make(DType::kFloat16, {2, 2}), Tensor::make(DType::kFloat16, {2, 2})}},
      Code::kUnsupported, "float16");
}

// ---- Gemm ----

TEST(NnGemm, AttributesAndBiasShapes) {
  const int64_t m = 5, k = 7, n = 6;
  const std::vector<Shape> c_shapes = {{}, {1}, {n}, {1, n}, {m, 1}, {m, n}};
  for (int trans_a = 0; trans_a < 2; ++trans_a) {
    for (int trans_b = 0; trans_b < 2; ++trans_b) {
      for (size_t ci = 0; ci <= c_shapes.size(); ++ci) {
        SCOPED_TRACE(format("transA=%d transB=%d c=%zu", trans_a, trans_b, ci));
        const Tensor a = random_tensor(trans_a ? Shape{k, m} : Shape{m, k}, 11);
        const Tensor b = random_tensor(trans_b ? Shape{n, k} : Shape{k, n}, 12);
        const bool has_c = ci < c_shapes.size();
        const Tensor c = has_c ? random_tensor(c_shapes[ci], 13) : Tensor();
        SingleOp op{.op_type = "Gemm", .opset = 13, .inputs = {a, b}};
        if (has_c) op.inputs.push_back(c);
        op.attrs.set_int("transA", trans_a);
        op.attrs.set_int("transB", trans_b);
        op.attrs.set_float("alpha", 0.75f);
        op.attrs.set_float("beta", -1.5f);
        std::vector<double> expected;
        for (int64_t i = 0; i < m; ++i) {
          for (int64_t j = 0; j < n; ++j) {
            double acc = 0;
            for (int64_t kk = 0; kk < k; ++kk)
              acc += a.float_at(trans_a ? kk * m + i : i * k + kk) * b.float_at(trans_b ? j * k + kk : kk * n + j);
            double cv = 0;
            if (has_c) {
              const Shape& cs = c_shapes[ci];
              const int64_t row = cs.size() == 2 && cs[0] != 1 ? i : 0, col = !cs.empty() && cs.back() != 1 ? j : 0;
              cv = c.float_at(row * (cs.size() == 2 ? cs[1] : 0) + col);
            }
            expected.push_back(0.75 * acc - 1.5 * cv);
          }
        }
        const Tensor y = run_ok(op);
        ASSERT_EQ(y.shape(), (Shape{m, n}));
        expect_near_all(y, expected, 1e-5);
      }
    }
  }
}

TEST(NnGemm, IntegerAndErrors) {
  const Tensor a = Tensor::from_vector<int32_t>({2, 2}, {1, 2, 3, 4}),
               b = Tensor::from_vector<int32_t>({2, 2}, {5, 6, 7, 8});
  const Tensor y =
      run_ok({.op_type = "Gemm", .opset = 13, .inputs = {a, b, Tensor::from_vector<int32_t>({2}, {1, -1})}});
  EXPECT_EQ(y.to_int_vector(), (std::vector<int64_t>{20, 21, 44, 49}));
  expect_error(
      {.op_type = "Gemm", .inputs = {random_tensor({3, 4}, 1), random_tensor({4, 2}, 2), random_tensor({4, 2}, 3)}},
      Code::kInvalidArgument, "[4,2]");
  expect_error({.op_type = "Gemm", .inputs = {random_tensor({3, 4}, 1), random_tensor({3, 2}, 2)}},
               Code::kInvalidArgument, "multiply");
}

TEST(NnGemm, TransposedBNotKnownAtBuildTime) {
  // A run-time B (no constant at prepare) is packed per run; the constant case is covered above.
  Graph g;
  g.opsets[""] = 13;
  std::vector<Value*> ins;
  const std::vector<Tensor> inputs = {random_tensor({3, 5}, 1), random_tensor({4, 5}, 2)};
  for (size_t i = 0; i < inputs.size(); ++i) {
    Value* v = g.value("in" + std::to_string(i));
    v->dtype = DType::kFloat32;
    v->has_shape = true;
    v->shape = inputs[i].shape();
    ins.push_back(v);
  }
  Node* node = g.add_node("Gemm", "gemm", ins, {g.value("y")});
  node->attrs.set_int("transB", 1);
  const OpSchema* schema = OpRegistry::global().find("", "Gemm");
  OpContext ctx = make_op_context(g, *node);
  ASSERT_TRUE(schema->infer(ctx).is_ok());
  auto y = evaluate_reference(*schema, ctx, inputs);
  ASSERT_TRUE(y.is_ok()) << y.status().to_string();
  std::vector<double> expected;
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t j = 0; j < 4; ++j) {
      double acc = 0;
      for (int64_t k = 0; k < 5; ++k) acc += inputs[0].float_at(i * 5 + k) * inputs[1].float_at(j * 5 + k);
      expected.push_back(acc);
    }
  expect_near_all(y.value()[0], expected, 1e-5);
}

// ---- BatchNormalization ----

TEST(NnBatchNorm, InferenceFormula) {
  const Tensor x = random_tensor({2, 3, 4, 5}, 21), scale = random_tensor({3}, 22), bias = random_tensor({3}, 23);
  const Tensor mean = random_tensor({3}, 24), var = random_tensor({3}, 25, 0.1, 2.0);
  SingleOp op{.op_type = "BatchNormalization", .opset = 15, .inputs = {x, scale, bias, mean, var}};
  op.attrs.set_float("epsilon", 1e-2f);
  std::vector<double> expected;
  for (int64_t i = 0; i < x.numel(); ++i) {
    const int64_t c = (i / 20) % 3;
    expected.push_back((x.float_at(i) - mean.float_at(c)) / std::sqrt(var.float_at(c) + 1e-2) * scale.float_at(c) +
                       bias.float_at(c));
  }
  expect_near_all(run_ok(op), expected, 1e-5);
  op.opset = 6;  // is_test / spatial era: same inference result
  op.attrs.set_int("is_test", 1);
  expect_near_all(run_ok(op), expected, 1e-5);
}

TEST(NnBatchNorm, RejectsTraining) {
  const Tensor x = random_tensor({2, 3, 4}, 1), p = random_tensor({3}, 2, 0.5, 1.0);
  SingleOp op{.op_type = "BatchNormalization", .opset = 15, .inputs = {x, p, p, p, p}};
  op.attrs.set_int("training_mode", 1);
  expect_error(op, Code::kUnsupported, "training_mode");
  op.attrs = {};
  op.num_outputs = 3;
  expect_error(op, Code::kUnsupported, "output 1");
  op.num_outputs = 1;
  op.inputs[1] = random_tensor({4}, 2);
  expect_error(op, Code::kInvalidArgument, "scale");
}

}  // namespace
}  // namespace tandem
