// Elementwise ops: broadcast plan, arithmetic/compare/logic/Where/Cast/unary kernels against plain loops.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "ops/broadcast.h"
#include "ops/elementwise_loops.h"
#include "single_op.h"

namespace tandem {
namespace {

using testing::run_single_op;
using testing::SingleOp;

// Element i of `in` (shape `in_shape`) that output element `o` of shape `out` reads under numpy broadcasting.
int64_t source_index(const Shape& in_shape, const Shape& out, int64_t o) {
  const std::vector<int64_t> strides = broadcast_strides(in_shape, out);
  int64_t idx = 0;
  for (int64_t d = static_cast<int64_t>(out.size()) - 1; d >= 0; --d) {
    const auto du = static_cast<size_t>(d);
    idx += (o % out[du]) * strides[du];
    o /= out[du];
  }
  return idx;
}

Tensor random_floats(Shape shape, uint32_t seed, float lo = -3.0f, float hi = 3.0f) {
  Tensor t = Tensor::make(DType::kFloat32, std::move(shape));
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = dist(rng);
  return t;
}

Result<Tensor> run1(const std::string& op, std::vector<Tensor> inputs, Attributes attrs = {}, int64_t opset = 17) {
  SingleOp spec;
  spec.op_type = op;
  spec.opset = opset;
  spec.attrs = std::move(attrs);
  spec.inputs = std::move(inputs);
  TANDEM_ASSIGN_OR_RETURN(std::vector<Tensor> outs, run_single_op(spec));
  return outs[0];
}

// ---- Broadcast plan ----

TEST(ElementwiseBroadcastPlan, CollapsesSameShapesToOneRun) {
  std::vector<Shape> in = {{2, 3, 4}, {2, 3, 4}};
  auto p = elementwise::BroadcastPlan::make(in, {2, 3, 4});
  ASSERT_TRUE(p.is_ok());
  EXPECT_EQ(p->rank, 1);
  EXPECT_EQ(p->inner(), 24);
  EXPECT_TRUE(p->inner_moves(0));
  EXPECT_TRUE(p->inner_moves(1));
}

TEST(ElementwiseBroadcastPlan, ChannelBiasBecomesScalarRuns) {
  std::vector<Shape> in = {{2, 8, 5, 7}, {8, 1, 1}};
  auto p = elementwise::BroadcastPlan::make(in, {2, 8, 5, 7});
  ASSERT_TRUE(p.is_ok());
  EXPECT_EQ(p->rank, 3);  // [2, 8, 35]
  EXPECT_EQ(p->inner(), 35);
  EXPECT_TRUE(p->inner_moves(0));
  EXPECT_FALSE(p->inner_moves(1));
}

TEST(ElementwiseBroadcastPlan, LastDimVectorAndScalar) {
  std::vector<Shape> in = {{4, 5, 6}, {6}, {}};
  auto p = elementwise::BroadcastPlan::make(in, {4, 5, 6});
  ASSERT_TRUE(p.is_ok());
  EXPECT_EQ(p->rank, 2);  // [20, 6]
  EXPECT_EQ(p->inner(), 6);
  EXPECT_TRUE(p->inner_moves(1));
  EXPECT_FALSE(p->inner_moves(2));
}

// ---- Binary arithmetic with broadcasting, against a plain indexed loop ----

struct BroadcastCase {
  Shape a, b;
};

class ElementwiseBroadcast : public ::testing::TestWithParam<BroadcastCase> {};

TEST_P(ElementwiseBroadcast, AddSubMulDivMatchPlainLoop) {
  const BroadcastCase& c = GetParam();
  Tensor a = random_floats(c.a, 1), b = random_floats(c.b, 2, 0.5f, 2.0f);
  Result<Shape> out_shape = broadcast_shapes(c.a, c.b);
  ASSERT_TRUE(out_shape.is_ok());
  for (const char* op : {"Add", "Sub", "Mul", "Div", "Max", "Pow"}) {
    if (std::string(op) == "Pow") a = random_floats(c.a, 1, 0.1f, 2.0f);
    Result<Tensor> r = run1(op, {a, b});
    ASSERT_TRUE(r.is_ok()) << op << ": " << r.status().to_string();
    ASSERT_EQ(r->shape(), *out_shape);
    for (int64_t i = 0; i < r->numel(); ++i) {
      const float x = a.data<float>()[source_index(c.a, *out_shape, i)];
      const float y = b.data<float>()[source_index(c.b, *out_shape, i)];
      const std::string o = op;
      const float want = o == "Add" ? x + y : o == "Sub" ? x - y : o == "Mul" ? x * y : o == "Div" ? x / y
                       : o == "Max" ? std::max(x, y) : std::pow(x, y);
      ASSERT_FLOAT_EQ(r->data<float>()[i], want) << op << " at " << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, ElementwiseBroadcast,
    ::testing::Values(BroadcastCase{{3, 4, 5}, {3, 4, 5}}, BroadcastCase{{3, 4, 5}, {5}}, BroadcastCase{{3, 4, 5}, {}},
                      BroadcastCase{{}, {3, 4, 5}}, BroadcastCase{{1, 4, 1, 6}, {3, 1, 5, 6}},
                      BroadcastCase{{2, 16, 33, 35}, {16, 1, 1}},     // > parallel threshold, channel bias
                      BroadcastCase{{2, 40, 30, 32}, {2, 40, 30, 32}},  // > threshold, flat
                      BroadcastCase{{64, 1, 600}, {1, 70, 1}},          // outer product, chunked mid-row
                      BroadcastCase{{0, 3}, {3}}));

// ---- Integer semantics ----

TEST(ElementwiseInt, DivisionByZeroAndOverflowAreDefined) {
  const int32_t kMin = std::numeric_limits<int32_t>::min();
  Tensor a = Tensor::from_vector<int32_t>({4}, {7, -7, kMin, 5});
  Tensor b = Tensor::from_vector<int32_t>({4}, {2, 2, -1, 0});
  Result<Tensor> div = run1("Div", {a, b});
  ASSERT_TRUE(div.is_ok()) << div.status().to_string();
  EXPECT_EQ(div->to_int_vector(), (std::vector<int64_t>{3, -3, kMin, 0}));  // truncating; INT_MIN/-1 wraps
  Result<Tensor> mod = run1("Mod", {a, b});
  ASSERT_TRUE(mod.is_ok());
  EXPECT_EQ(mod->to_int_vector(), (std::vector<int64_t>{1, 1, 0, 0}));  // sign of divisor
  Attributes fmod;
  fmod.set_int("fmod", 1);
  Result<Tensor> fm = run1("Mod", {a, b}, fmod);
  ASSERT_TRUE(fm.is_ok());
  EXPECT_EQ(fm->to_int_vector(), (std::vector<int64_t>{1, -1, 0, 0}));  // sign of dividend
}

TEST(ElementwiseInt, WrapsLikeTheHardware) {
  Tensor a = Tensor::from_vector<uint16_t>({2}, {65535, 300});
  Result<Tensor> mul = run1("Mul", {a, a});
  ASSERT_TRUE(mul.is_ok());
  EXPECT_EQ(mul->data<uint16_t>()[0], static_cast<uint16_t>(65535u * 65535u));
  Tensor i8 = Tensor::from_vector<int8_t>({2}, {-128, 100});
  Result<Tensor> neg = run1("Neg", {i8});
  ASSERT_TRUE(neg.is_ok());
  EXPECT_EQ(neg->data<int8_t>()[0], -128);
  EXPECT_EQ(neg->data<int8_t>()[1], -100);
}

TEST(ElementwiseMod, FloatFollowsFmodAttribute) {
  Tensor a = Tensor::from_vector<float>({2}, {-4.5f, 4.5f});
  Tensor b = Tensor::from_vector<float>({2}, {2.0f, -2.0f});
  Attributes fmod;
  fmod.set_int("fmod", 1);
  Result<Tensor> r = run1("Mod", {a, b}, fmod);
  ASSERT_TRUE(r.is_ok());
  EXPECT_FLOAT_EQ(r->data<float>()[0], -0.5f);
  EXPECT_FLOAT_EQ(r->data<float>()[1], 0.5f);
  Result<Tensor> np = run1("Mod", {a, b});  // numpy mod
  ASSERT_TRUE(np.is_ok());
  EXPECT_FLOAT_EQ(np->data<float>()[0], 1.5f);
  EXPECT_FLOAT_EQ(np->data<float>()[1], -1.5f);
  fmod.set_int("fmod", 2);
  Result<Tensor> bad = run1("Mod", {a, b}, fmod);
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.status().code(), Code::kUnsupported);
  EXPECT_NE(bad.status().message().find("'fmod'"), std::string::npos);
}

// ---- Pow ----

TEST(ElementwisePow, MixedTypesKeepBaseDtype) {
  Tensor fi = Tensor::from_vector<float>({3}, {1.5f, 2.0f, 3.0f});
  Tensor ii = Tensor::from_vector<int64_t>({3}, {2, -1, 3});
  Result<Tensor> r = run1("Pow", {fi, ii});
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->dtype(), DType::kFloat32);
  EXPECT_FLOAT_EQ(r->data<float>()[0], 2.25f);
  EXPECT_FLOAT_EQ(r->data<float>()[1], 0.5f);
  Result<Tensor> ri = run1("Pow", {ii, fi});
  ASSERT_TRUE(ri.is_ok());
  EXPECT_EQ(ri->dtype(), DType::kInt64);
  EXPECT_EQ(ri->to_int_vector(), (std::vector<int64_t>{2, 1, 27}));  // 2^1.5 = 2.83 truncates to 2
}

TEST(ElementwisePow, IntegerPowerIsExact) {
  Tensor b = Tensor::from_vector<int64_t>({4}, {3, -2, 2, 5});
  Tensor e = Tensor::from_vector<int64_t>({4}, {39, 3, -1, 0});
  Result<Tensor> r = run1("Pow", {b, e});
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->to_int_vector(), (std::vector<int64_t>{4052555153018976267LL, -8, 0, 1}));
}

TEST(ElementwisePow, ConstantScalarExponentFastPaths) {
  Tensor x = random_floats({1000}, 7, 0.1f, 4.0f);
  for (float e : {2.0f, 3.0f, 0.5f, 1.0f, -1.0f, 1.7f}) {
    Result<Tensor> r = run1("Pow", {x, Tensor::scalar<float>(e)});
    ASSERT_TRUE(r.is_ok());
    for (int64_t i = 0; i < x.numel(); ++i)
      ASSERT_NEAR(r->data<float>()[i], std::pow(x.data<float>()[i], e), 1e-5f * std::pow(4.0f, std::fabs(e)))
          << "exponent " << e;
  }
}

// ---- Min / Max ----

TEST(ElementwiseMinMax, VariadicBroadcastAndNaN) {
  Tensor a = Tensor::from_vector<float>({3}, {1.0f, NAN, 5.0f});
  Tensor b = Tensor::from_vector<float>({2, 1}, {2.0f, 4.0f});
  Tensor c = Tensor::scalar<float>(3.0f);
  Result<Tensor> mx = run1("Max", {a, b, c});
  ASSERT_TRUE(mx.is_ok()) << mx.status().to_string();
  ASSERT_EQ(mx->shape(), (Shape{2, 3}));
  const float* m = mx->data<float>();
  EXPECT_FLOAT_EQ(m[0], 3.0f);
  EXPECT_TRUE(std::isnan(m[1]));
  EXPECT_FLOAT_EQ(m[2], 5.0f);
  EXPECT_FLOAT_EQ(m[3], 4.0f);
  Result<Tensor> one = run1("Min", {b});
  ASSERT_TRUE(one.is_ok());
  EXPECT_FLOAT_EQ(one->data<float>()[1], 4.0f);
  // The first two inputs broadcast to less than the output: Min(c, c, b) must still be [2,1].
  Result<Tensor> small_first = run1("Min", {c, c, b});
  ASSERT_TRUE(small_first.is_ok());
  ASSERT_EQ(small_first->shape(), (Shape{2, 1}));
  EXPECT_FLOAT_EQ(small_first->data<float>()[0], 2.0f);
  EXPECT_FLOAT_EQ(small_first->data<float>()[1], 3.0f);
}

TEST(ElementwiseMinMax, Float16) {
  Tensor a = Tensor::make(DType::kFloat16, {2});
  Tensor b = Tensor::make(DType::kFloat16, {2});
  a.data<uint16_t>()[0] = float_to_half(1.5f);
  a.data<uint16_t>()[1] = float_to_half(-2.0f);
  b.data<uint16_t>()[0] = float_to_half(0.5f);
  b.data<uint16_t>()[1] = float_to_half(7.0f);
  Result<Tensor> r = run1("Max", {a, b});
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->dtype(), DType::kFloat16);
  EXPECT_FLOAT_EQ(r->float_at(0), 1.5f);
  EXPECT_FLOAT_EQ(r->float_at(1), 7.0f);
}

// ---- Comparisons, logic, Where ----

TEST(ElementwiseCompare, PredicatesGiveBool) {
  Tensor a = Tensor::from_vector<int32_t>({2, 2}, {1, 2, 3, 4});
  Tensor b = Tensor::from_vector<int32_t>({2}, {2, 2});
  const std::vector<std::pair<const char*, std::vector<int64_t>>> cases = {
      {"Equal", {0, 1, 0, 0}}, {"Less", {1, 0, 0, 0}}, {"Greater", {0, 0, 1, 1}},
      {"LessOrEqual", {1, 1, 0, 0}}, {"GreaterOrEqual", {0, 1, 1, 1}}};
  for (const auto& [op, want] : cases) {
    Result<Tensor> r = run1(op, {a, b});
    ASSERT_TRUE(r.is_ok()) << op;
    EXPECT_EQ(r->dtype(), DType::kBool);
    EXPECT_EQ(r->to_int_vector(), want) << op;
  }
}

TEST(ElementwiseLogic, AndOrXorNot) {
  Tensor a = Tensor::from_vector<bool>({4}, {false, false, true, true});
  Tensor b = Tensor::from_vector<bool>({4}, {false, true, false, true});
  EXPECT_EQ(run1("And", {a, b})->to_int_vector(), (std::vector<int64_t>{0, 0, 0, 1}));
  EXPECT_EQ(run1("Or", {a, b})->to_int_vector(), (std::vector<int64_t>{0, 1, 1, 1}));
  EXPECT_EQ(run1("Xor", {a, b})->to_int_vector(), (std::vector<int64_t>{0, 1, 1, 0}));
  EXPECT_EQ(run1("Not", {a})->to_int_vector(), (std::vector<int64_t>{1, 1, 0, 0}));
  Result<Tensor> bad = run1("And", {Tensor::scalar<float>(1.0f), Tensor::scalar<float>(1.0f)});
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.status().code(), Code::kUnsupported);
}

TEST(ElementwiseWhere, BroadcastsAllThree) {
  Tensor c = Tensor::from_vector<bool>({2, 1}, {true, false});
  Tensor x = Tensor::from_vector<int64_t>({3}, {1, 2, 3});
  Tensor y = Tensor::scalar<int64_t>(-1);
  Result<Tensor> r = run1("Where", {c, x, y});
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  ASSERT_EQ(r->shape(), (Shape{2, 3}));
  EXPECT_EQ(r->to_int_vector(), (std::vector<int64_t>{1, 2, 3, -1, -1, -1}));
  Result<Tensor> bad = run1("Where", {x, x, y});
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.status().code(), Code::kUnsupported);
}

// ---- Cast ----

TEST(ElementwiseCast, FloatToIntSaturatesAndNaNIsZero) {
  Tensor x = Tensor::from_vector<float>({5}, {1.7f, -1.7f, 300.0f, -300.0f, NAN});
  Attributes to;
  to.set_int("to", static_cast<int64_t>(DType::kInt8));
  Result<Tensor> r = run1("Cast", {x}, to);
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->to_int_vector(), (std::vector<int64_t>{1, -1, 127, -128, 0}));
  to.set_int("to", static_cast<int64_t>(DType::kBool));
  EXPECT_EQ(run1("Cast", {x}, to)->to_int_vector(), (std::vector<int64_t>{1, 1, 1, 1, 1}));
}

TEST(ElementwiseCast, HalfTypesRoundTrip) {
  Tensor x = Tensor::from_vector<float>({3}, {0.5f, -2.25f, 1000.0f});
  for (DType t : {DType::kFloat16, DType::kBFloat16, DType::kFloat64, DType::kInt32}) {
    Attributes to;
    to.set_int("to", static_cast<int64_t>(t));
    Result<Tensor> h = run1("Cast", {x}, to);
    ASSERT_TRUE(h.is_ok());
    EXPECT_EQ(h->dtype(), t);
    to.set_int("to", static_cast<int64_t>(DType::kFloat32));
    Result<Tensor> back = run1("Cast", {*h}, to);
    ASSERT_TRUE(back.is_ok());
    EXPECT_FLOAT_EQ(back->data<float>()[1], t == DType::kInt32 ? -2.0f : -2.25f) << dtype_name(t);
    EXPECT_FLOAT_EQ(back->data<float>()[2], 1000.0f) << dtype_name(t);
  }
  Result<Tensor> like = run1("CastLike", {x, Tensor::scalar<int64_t>(0)});
  ASSERT_TRUE(like.is_ok());
  EXPECT_EQ(like->dtype(), DType::kInt64);
}

TEST(ElementwiseCast, StringAndFloat8AreUnsupported) {
  for (int64_t code : {8, 17, 19, 14}) {
    Attributes to;
    to.set_int("to", code);
    Result<Tensor> r = run1("Cast", {Tensor::scalar<float>(1.0f)}, to);
    ASSERT_FALSE(r.is_ok());
    EXPECT_EQ(r.status().code(), Code::kUnsupported);
    EXPECT_NE(r.status().message().find("'to'=" + std::to_string(code)), std::string::npos) << r.status().message();
  }
}

// ---- Unary ----

TEST(ElementwiseUnary, FloatOpsMatchLibm) {
  Tensor x = random_floats({50000}, 3, -9.0f, 9.0f);  // > parallel threshold
  Tensor pos = random_floats({1000}, 4, 0.01f, 100.0f);
  struct Case { const char* op; bool positive; double (*f)(double); double rtol; };
  const Case cases[] = {
      {"Exp", false, [](double v) { return std::exp(v); }, 1e-6},
      {"Erf", false, [](double v) { return std::erf(v); }, 1e-6},
      {"Tanh", false, [](double v) { return std::tanh(v); }, 1e-6},
      {"Neg", false, [](double v) { return -v; }, 0},
      {"Abs", false, [](double v) { return std::fabs(v); }, 0},
      {"Floor", false, [](double v) { return std::floor(v); }, 0},
      {"Ceil", false, [](double v) { return std::ceil(v); }, 0},
      {"Sign", false, [](double v) { return v > 0 ? 1.0 : v < 0 ? -1.0 : 0.0; }, 0},
      {"Sqrt", true, [](double v) { return std::sqrt(v); }, 1e-7},
      {"Log", true, [](double v) { return std::log(v); }, 1e-6},
      {"Reciprocal", true, [](double v) { return 1.0 / v; }, 1e-7},
  };
  for (const Case& c : cases) {
    const Tensor& in = c.positive ? pos : x;
    Result<Tensor> r = run1(c.op, {in});
    ASSERT_TRUE(r.is_ok()) << c.op << ": " << r.status().to_string();
    for (int64_t i = 0; i < in.numel(); ++i) {
      const double want = c.f(in.data<float>()[i]);
      ASSERT_NEAR(r->data<float>()[i], want, 1e-30 + c.rtol * std::fabs(want) + 1e-7 * (c.rtol > 0)) << c.op;
    }
  }
}

TEST(ElementwiseUnary, IntegerAbsSign) {
  Tensor x = Tensor::from_vector<int32_t>({3}, {-5, 0, 7});
  EXPECT_EQ(run1("Abs", {x})->to_int_vector(), (std::vector<int64_t>{5, 0, 7}));
  EXPECT_EQ(run1("Sign", {x})->to_int_vector(), (std::vector<int64_t>{-1, 0, 1}));
}

// ---- Errors ----

TEST(ElementwiseErrors, BadInputsAreStatusesNotCrashes) {
  Result<Tensor> shapes = run1("Add", {random_floats({3, 4}, 1), random_floats({5}, 2)});
  ASSERT_FALSE(shapes.is_ok());
  EXPECT_EQ(shapes.status().code(), Code::kInvalidArgument);
  EXPECT_NE(shapes.status().message().find("[3,4]"), std::string::npos) << shapes.status().message();
  Result<Tensor> dtypes = run1("Add", {Tensor::scalar<float>(1.0f), Tensor::scalar<int32_t>(1)});
  ASSERT_FALSE(dtypes.is_ok());
  EXPECT_EQ(dtypes.status().code(), Code::kInvalidArgument);
  Result<Tensor> sqrt_int = run1("Sqrt", {Tensor::scalar<int32_t>(4)});
  ASSERT_FALSE(sqrt_int.is_ok());
  EXPECT_EQ(sqrt_int.status().code(), Code::kUnsupported);
  Result<Tensor> no_to = run1("Cast", {Tensor::scalar<float>(1.0f)});
  ASSERT_FALSE(no_to.is_ok());
  Result<Tensor> one_input = run1("Add", {Tensor::scalar<float>(1.0f)});
  ASSERT_FALSE(one_input.is_ok());
}

}  // namespace
}  // namespace tandem
