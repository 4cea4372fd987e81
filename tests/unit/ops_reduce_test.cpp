// Reduce*, ArgMax/ArgMin, Softmax/LogSoftmax and LayerNormalization against plain loops.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>

#include "single_op.h"

namespace tandem {
namespace {

using testing::run_single_op;
using testing::SingleOp;

Tensor random_tensor(Shape shape, uint32_t seed, float lo = -2.0f, float hi = 2.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(static_cast<size_t>(shape_numel(shape)));
  for (float& x : v) x = dist(rng);
  return Tensor::from_vector<float>(std::move(shape), v);
}

void expect_near_all(const Tensor& actual, const std::vector<double>& expected, double tol) {
  ASSERT_EQ(actual.numel(), static_cast<int64_t>(expected.size()));
  for (size_t i = 0; i < expected.size(); ++i)
    ASSERT_NEAR(actual.float_at(static_cast<int64_t>(i)), expected[i], tol * (1.0 + std::fabs(expected[i])))
        << "element " << i;
}

// Plain reduction: every input element is folded into the output element its kept coordinates name.
std::vector<double> reference_reduce(const Tensor& x, const std::vector<int64_t>& axes, double init,
                                     const std::function<double(double, double)>& step,
                                     const std::function<double(double, int64_t)>& finish) {
  const Shape& s = x.shape();
  std::vector<bool> red(s.size(), axes.empty());
  for (int64_t a : axes) red[static_cast<size_t>(a < 0 ? a + static_cast<int64_t>(s.size()) : a)] = true;
  int64_t out_n = 1, count = 1;
  for (size_t d = 0; d < s.size(); ++d) (red[d] ? count : out_n) *= s[d];
  std::vector<double> acc(static_cast<size_t>(out_n), init);
  for (int64_t i = 0; i < x.numel(); ++i) {
    int64_t rem = i, q = 0, mul = 1;
    for (size_t d = s.size(); d-- > 0;) {
      const int64_t c = rem % s[d];
      rem /= s[d];
      if (!red[d]) {
        q += c * mul;
        mul *= s[d];
      }
    }
    acc[static_cast<size_t>(q)] = step(acc[static_cast<size_t>(q)], x.float_at(i));
  }
  for (double& a : acc) a = finish(a, count);
  return acc;
}

struct ReduceCase {
  const char* op;
  double init;
  std::function<double(double, double)> step;
  std::function<double(double, int64_t)> finish;
};

std::vector<ReduceCase> reduce_cases() {
  auto same = [](double a, int64_t) { return a; };
  auto add = [](double a, double x) { return a + x; };
  return {
      {"ReduceSum", 0, add, same},
      {"ReduceMean", 0, add, [](double a, int64_t n) { return a / static_cast<double>(n); }},
      {"ReduceMax", -1e300, [](double a, double x) { return std::max(a, x); }, same},
      {"ReduceMin", 1e300, [](double a, double x) { return std::min(a, x); }, same},
      {"ReduceProd", 1, [](double a, double x) { return a * x; }, same},
      {"ReduceL1", 0, [](double a, double x) { return a + std::fabs(x); }, same},
      {"ReduceL2", 0, [](double a, double x) { return a + x * x; }, [](double a, int64_t) { return std::sqrt(a); }},
      {"ReduceSumSquare", 0, [](double a, double x) { return a + x * x; }, same},
      {"ReduceLogSum", 0, [](double a, double x) { return a + std::fabs(x); },
       [](double a, int64_t) { return std::log(a); }},
      {"ReduceLogSumExp", 0, [](double a, double x) { return a + std::exp(x); },
       [](double a, int64_t) { return std::log(a); }},
  };
}

TEST(ReduceOps, EveryOpOverAxisPatterns) {
  const Shape shape = {3, 4, 5, 6};
  const std::vector<std::vector<int64_t>> patterns = {{},     {0},    {1},    {3},          {-1},
                                                      {1, 2}, {0, 2}, {0, 3}, {0, 1, 2, 3}, {2, 0}};
  for (const ReduceCase& c : reduce_cases()) {
    // LogSum takes the log of a sum, so feed it positive values; Prod stays near 1 to avoid overflow.
    const bool positive = std::string(c.op) == "ReduceLogSum";
    const bool prod = std::string(c.op) == "ReduceProd";
    Tensor x = random_tensor(shape, 7, positive ? 0.1f : (prod ? 0.8f : -2.0f), prod ? 1.2f : 2.0f);
    for (const auto& axes : patterns) {
      for (int keepdims : {0, 1}) {
        SingleOp op{.op_type = c.op, .opset = 13};
        op.attrs.set_int("keepdims", keepdims);
        if (std::string(c.op) == "ReduceSum") {
          op.inputs = {x, Tensor::from_vector<int64_t>({static_cast<int64_t>(axes.size())}, axes)};
        } else {
          op.inputs = {x};
          if (!axes.empty()) op.attrs.set_ints("axes", axes);
        }
        auto r = run_single_op(op);
        ASSERT_TRUE(r.is_ok()) << c.op << ": " << r.status().to_string();
        const Tensor& y = r.value()[0];
        Shape expect_shape;
        for (size_t d = 0; d < shape.size(); ++d) {
          bool reduced = axes.empty();
          for (int64_t a : axes) reduced = reduced || (a < 0 ? a + 4 : a) == static_cast<int64_t>(d);
          if (!reduced)
            expect_shape.push_back(shape[d]);
          else if (keepdims)
            expect_shape.push_back(1);
        }
        EXPECT_EQ(y.shape(), expect_shape) << c.op;
        SCOPED_TRACE(std::string(c.op) + " axes " + shape_to_string(axes));
        expect_near_all(y, reference_reduce(x, axes, c.init, c.step, c.finish), 1e-4);
      }
    }
  }
}

TEST(ReduceOps, WideInnerAxisSpansBlocks) {
  Tensor x = random_tensor({2, 3, 2100}, 13);
  SingleOp op{.op_type = "ReduceMax", .opset = 13, .inputs = {x}};
  op.attrs.set_ints("axes", {1});
  auto r = run_single_op(op);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  expect_near_all(r.value()[0],
                  reference_reduce(
                      x, {1}, -1e300, [](double a, double v) { return std::max(a, v); },
                      [](double a, int64_t) { return a; }),
                  1e-6);
}

TEST(ReduceOps, SumNoopWithEmptyAxesCopiesInput) {
  Tensor x = random_tensor({2, 3}, 3);
  SingleOp op{.op_type = "ReduceSum", .opset = 13, .inputs = {x, Tensor::from_vector<int64_t>({0}, {})}};
  op.attrs.set_int("noop_with_empty_axes", 1);
  auto r = run_single_op(op);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r.value()[0].shape(), (Shape{2, 3}));
  for (int64_t i = 0; i < 6; ++i) EXPECT_EQ(r.value()[0].float_at(i), x.float_at(i));
}

TEST(ReduceOps, IntegerSumAndMax) {
  Tensor x = Tensor::from_vector<int32_t>({2, 3}, {1, -5, 3, 4, 5, -6});
  SingleOp sum{.op_type = "ReduceSum", .opset = 11, .inputs = {x}};
  sum.attrs.set_ints("axes", {1});
  auto r = run_single_op(sum);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r.value()[0].dtype(), DType::kInt32);
  EXPECT_EQ(r.value()[0].to_int_vector(), (std::vector<int64_t>{-1, 3}));
  SingleOp mx{.op_type = "ReduceMax", .opset = 13, .inputs = {x}};
  mx.attrs.set_ints("axes", {0});
  mx.attrs.set_int("keepdims", 0);
  r = run_single_op(mx);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r.value()[0].to_int_vector(), (std::vector<int64_t>{4, 5, 3}));
}

TEST(ReduceOps, LogSumExpIsStableForLargeInputs) {
  Tensor x = Tensor::from_vector<float>({1, 3}, {10000.0f, 10001.0f, 10002.0f});
  auto r = run_single_op({.op_type = "ReduceLogSumExp", .opset = 13, .inputs = {x}});
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_NEAR(r.value()[0].float_at(0), 10002.0 + std::log(1.0 + std::exp(-1.0) + std::exp(-2.0)), 1e-2);
}

TEST(ReduceOps, Errors) {
  Tensor x = random_tensor({2, 3}, 1);
  SingleOp bad{.op_type = "ReduceMean", .opset = 13, .inputs = {x}};
  bad.attrs.set_ints("axes", {2});
  auto r = run_single_op(bad);
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  bad.attrs.set_ints("axes", {1, -1});
  r = run_single_op(bad);
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("twice"), std::string::npos) << r.status().message();
}

TEST(ArgOps, MaxMinWithTiesAndKeepdims) {
  Tensor x = Tensor::from_vector<float>({2, 3}, {2, 7, 7, 1, 1, 0});
  struct Case {
    const char* op;
    int64_t axis, keepdims, last;
    Shape shape;
    std::vector<int64_t> expected;
  };
  const std::vector<Case> cases = {
      {"ArgMax", 1, 1, 0, {2, 1}, {1, 0}}, {"ArgMax", 1, 0, 1, {2}, {2, 1}},       {"ArgMin", -1, 1, 0, {2, 1}, {0, 2}},
      {"ArgMin", 0, 0, 0, {3}, {1, 1, 1}}, {"ArgMax", 0, 1, 1, {1, 3}, {0, 0, 0}},
  };
  for (const Case& c : cases) {
    SingleOp op{.op_type = c.op, .opset = 13, .inputs = {x}};
    op.attrs.set_int("axis", c.axis);
    op.attrs.set_int("keepdims", c.keepdims);
    op.attrs.set_int("select_last_index", c.last);
    auto r = run_single_op(op);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    EXPECT_EQ(r.value()[0].dtype(), DType::kInt64);
    EXPECT_EQ(r.value()[0].shape(), c.shape) << c.op << " axis " << c.axis;
    EXPECT_EQ(r.value()[0].to_int_vector(), c.expected) << c.op << " axis " << c.axis << " last " << c.last;
  }
}

TEST(ArgOps, WideInnerAxisMatchesLoop) {
  Tensor x = random_tensor({2, 5, 150}, 11);
  SingleOp op{.op_type = "ArgMax", .opset = 13, .inputs = {x}};
  op.attrs.set_int("axis", 1);
  auto r = run_single_op(op);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  for (int64_t o = 0; o < 2; ++o) {
    for (int64_t i = 0; i < 150; ++i) {
      int64_t best = 0;
      for (int64_t k = 1; k < 5; ++k)
        if (x.float_at((o * 5 + k) * 150 + i) > x.float_at((o * 5 + best) * 150 + i)) best = k;
      ASSERT_EQ(r.value()[0].int_at(o * 150 + i), best);
    }
  }
}

// Softmax along `axis` of a [outer, n, inner] view, in double.
std::vector<double> reference_softmax(const Tensor& x, int64_t outer, int64_t n, int64_t inner, bool log) {
  std::vector<double> y(static_cast<size_t>(x.numel()));
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      double mx = -1e300, sum = 0;
      for (int64_t k = 0; k < n; ++k) mx = std::max(mx, x.float_at((o * n + k) * inner + i));
      for (int64_t k = 0; k < n; ++k) sum += std::exp(x.float_at((o * n + k) * inner + i) - mx);
      for (int64_t k = 0; k < n; ++k) {
        const double v = x.float_at((o * n + k) * inner + i) - mx;
        y[static_cast<size_t>((o * n + k) * inner + i)] = log ? v - std::log(sum) : std::exp(v) / sum;
      }
    }
  }
  return y;
}

TEST(SoftmaxOps, Opset13AlongEachAxis) {
  Tensor x = random_tensor({3, 4, 70}, 5, -20.0f, 20.0f);
  const Shape s = x.shape();
  for (const char* name : {"Softmax", "LogSoftmax"}) {
    for (int64_t axis : {0, 1, 2, -1}) {
      SingleOp op{.op_type = name, .opset = 13, .inputs = {x}};
      op.attrs.set_int("axis", axis);
      auto r = run_single_op(op);
      ASSERT_TRUE(r.is_ok()) << r.status().to_string();
      const auto a = static_cast<size_t>(axis < 0 ? axis + 3 : axis);
      int64_t outer = 1, inner = 1;
      for (size_t d = 0; d < a; ++d) outer *= s[d];
      for (size_t d = a + 1; d < 3; ++d) inner *= s[d];
      SCOPED_TRACE(std::string(name) + " axis " + std::to_string(axis));
      expect_near_all(r.value()[0], reference_softmax(x, outer, s[a], inner, name[0] == 'L'), 1e-5);
    }
  }
}

TEST(SoftmaxOps, LegacyOpsetFlattensAtAxis) {
  Tensor x = random_tensor({2, 3, 4}, 9);
  SingleOp op{.op_type = "Softmax", .opset = 11, .inputs = {x}};  // default axis 1: rows of 3 * 4
  auto r = run_single_op(op);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  expect_near_all(r.value()[0], reference_softmax(x, 2, 12, 1, false), 1e-5);
  op.opset = 13;  // default axis -1
  r = run_single_op(op);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  expect_near_all(r.value()[0], reference_softmax(x, 6, 4, 1, false), 1e-5);
}

TEST(SoftmaxOps, LargeNumbersAndErrors) {
  Tensor x = Tensor::from_vector<float>({1, 4}, {10000, 10001, 10002, 10003});
  auto r = run_single_op({.op_type = "LogSoftmax", .opset = 13, .inputs = {x}});
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  expect_near_all(r.value()[0], reference_softmax(x, 1, 4, 1, true), 1e-5);
  SingleOp bad{.op_type = "Softmax", .opset = 13, .inputs = {x}};
  bad.attrs.set_int("axis", 2);
  EXPECT_EQ(run_single_op(bad).status().code(), Code::kInvalidArgument);
  SingleOp ints{.op_type = "Softmax", .opset = 13, .inputs = {Tensor::from_vector<int32_t>({2}, {1, 2})}};
  EXPECT_EQ(run_single_op(ints).status().code(), Code::kUnsupported);
}

TEST(LayerNormOps, MatchesLoopWithStatsOutputs) {
  Tensor x = random_tensor({2, 3, 4, 5}, 21);
  for (int64_t axis : {-1, 2, 1, 0}) {
    const auto a = static_cast<size_t>(axis < 0 ? axis + 4 : axis);
    Shape norm(x.shape().begin() + static_cast<std::ptrdiff_t>(a), x.shape().end());
    Tensor w = random_tensor(norm, 22), b = random_tensor(norm, 23);
    SingleOp op{.op_type = "LayerNormalization", .opset = 17, .inputs = {x, w, b}, .num_outputs = 3};
    op.attrs.set_int("axis", axis);
    op.attrs.set_float("epsilon", 0.1f);
    auto r = run_single_op(op);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    const int64_t cols = shape_numel(norm), rows = x.numel() / cols;
    std::vector<double> y, mean, inv;
    for (int64_t i = 0; i < rows; ++i) {
      double m = 0, v = 0;
      for (int64_t c = 0; c < cols; ++c) m += x.float_at(i * cols + c) / static_cast<double>(cols);
      for (int64_t c = 0; c < cols; ++c) v += std::pow(x.float_at(i * cols + c) - m, 2) / static_cast<double>(cols);
      const double is = 1.0 / std::sqrt(v + 0.1);
      mean.push_back(m);
      inv.push_back(is);
      for (int64_t c = 0; c < cols; ++c)
        y.push_back((x.float_at(i * cols + c) - m) * is * w.float_at(c) + b.float_at(c));
    }
    SCOPED_TRACE("axis " + std::to_string(axis));
    expect_near_all(r.value()[0], y, 1e-5);
    expect_near_all(r.value()[1], mean, 1e-5);
    expect_near_all(r.value()[2], inv, 1e-5);
    Shape stat = x.shape();
    for (size_t d = a; d < 4; ++d) stat[d] = 1;
    EXPECT_EQ(r.value()[1].shape(), stat);
  }
}

// Transformer rows (whole and partial 16-float vectors: the AVX-512 row kernel's cases), with and without B.
TEST(LayerNormOps, TokenRowsWithAndWithoutBias) {
  for (int64_t cols : {16, 32, 48, 33, 7}) {
    Tensor x = random_tensor({37, cols}, 41), w = random_tensor({cols}, 42), b = random_tensor({cols}, 43);
    for (bool with_bias : {true, false}) {
      SingleOp op{.op_type = "LayerNormalization", .opset = 17, .inputs = {x, w}};
      if (with_bias) op.inputs.push_back(b);
      auto r = run_single_op(op);
      ASSERT_TRUE(r.is_ok()) << r.status().to_string();
      std::vector<double> y;
      for (int64_t i = 0; i < 37; ++i) {
        double m = 0, v = 0;
        for (int64_t c = 0; c < cols; ++c) m += x.float_at(i * cols + c) / static_cast<double>(cols);
        for (int64_t c = 0; c < cols; ++c) v += std::pow(x.float_at(i * cols + c) - m, 2) / static_cast<double>(cols);
        for (int64_t c = 0; c < cols; ++c)
          y.push_back((x.float_at(i * cols + c) - m) / std::sqrt(v + 1e-5) * w.float_at(c) +
                      (with_bias ? b.float_at(c) : 0.0));
      }
      SCOPED_TRACE("cols " + std::to_string(cols) + (with_bias ? " with B" : " without B"));
      expect_near_all(r.value()[0], y, 1e-5);
    }
  }
}

TEST(LayerNormOps, FusedNodeInOpset13WithoutBiasAndBroadcastScale) {
  Tensor x = random_tensor({4, 6}, 31);
  Tensor w = Tensor::from_vector<float>({1}, {2.0f});
  SingleOp op{.op_type = "LayerNormalization", .opset = 13, .inputs = {x, w}};
  auto r = run_single_op(op);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  for (int64_t i = 0; i < 4; ++i) {
    double m = 0, v = 0;
    for (int64_t c = 0; c < 6; ++c) m += x.float_at(i * 6 + c) / 6;
    for (int64_t c = 0; c < 6; ++c) v += std::pow(x.float_at(i * 6 + c) - m, 2) / 6;
    for (int64_t c = 0; c < 6; ++c)
      EXPECT_NEAR(r.value()[0].float_at(i * 6 + c), 2.0 * (x.float_at(i * 6 + c) - m) / std::sqrt(v + 1e-5), 1e-4);
  }
}

TEST(LayerNormOps, Errors) {
  Tensor x = random_tensor({4, 6}, 1);
  SingleOp op{.op_type = "LayerNormalization", .opset = 17, .inputs = {x, random_tensor({5}, 2)}};
  EXPECT_EQ(run_single_op(op).status().code(), Code::kInvalidArgument);
  op.inputs = {x, random_tensor({6}, 2)};
  op.attrs.set_int("stash_type", 11);
  auto r = run_single_op(op);
  EXPECT_EQ(r.status().code(), Code::kUnsupported);
  EXPECT_NE(r.status().message().find("stash_type"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace tandem
