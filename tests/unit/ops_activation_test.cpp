// Activation ops and fastmath: each op against a double-precision formula, Clip/PRelu/Gelu attribute and
// input forms, and fused (Activation::apply / apply_inplace) == standalone op, bit for bit.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>

#include "core/dtype.h"
#include "ops/activation.h"
#include "ops/elementwise_math.h"
#include "single_op.h"

namespace tandem {
namespace {

using testing::run_single_op;
using testing::SingleOp;

Tensor grid(float lo, float hi, int64_t n) {
  Tensor t = Tensor::make(DType::kFloat32, {n});
  for (int64_t i = 0; i < n; ++i) t.data<float>()[i] = lo + (hi - lo) * static_cast<float>(i) / static_cast<float>(n - 1);
  return t;
}

Result<Tensor> run1(const std::string& op, std::vector<Tensor> inputs, Attributes attrs = {}, int64_t opset = 17,
                    const std::string& domain = "") {
  SingleOp spec;
  spec.op_type = op;
  spec.domain = domain;
  spec.opset = opset;
  spec.attrs = std::move(attrs);
  spec.inputs = std::move(inputs);
  TANDEM_ASSIGN_OR_RETURN(std::vector<Tensor> outs, run_single_op(spec));
  return outs[0];
}

// ---- fastmath accuracy (relative, where the result is a normal float) ----

template <typename F, typename G>
double max_rel_error(F f, G ref, float lo, float hi) {
  double worst = 0;
  for (int i = 0; i <= 200000; ++i) {
    const float x = lo + (hi - lo) * static_cast<float>(i) / 200000.0f;
    const double want = ref(static_cast<double>(x));
    if (std::fabs(want) < 1e-30) continue;
    worst = std::max(worst, std::fabs(f(x) - want) / std::fabs(want));
  }
  return worst;
}

TEST(ActivationFastMath, AccurateToAFewUlp) {
  EXPECT_LT(max_rel_error(fastmath::exp_f32, [](double x) { return std::exp(x); }, -87.0f, 88.5f), 2e-7);
  EXPECT_LT(max_rel_error(fastmath::tanh_f32, [](double x) { return std::tanh(x); }, -10.0f, 10.0f), 6e-7);
  EXPECT_LT(max_rel_error(fastmath::erf_f32, [](double x) { return std::erf(x); }, -6.0f, 6.0f), 6e-7);
  EXPECT_LT(max_rel_error(fastmath::sigmoid_f32, [](double x) { return 1 / (1 + std::exp(-x)); }, -80.0f, 40.0f),
            3e-7);
}

TEST(ActivationFastMath, EdgeValues) {
  EXPECT_EQ(fastmath::exp_f32(100.0f), std::numeric_limits<float>::infinity());
  EXPECT_EQ(fastmath::exp_f32(-200.0f), 0.0f);
  EXPECT_EQ(fastmath::exp_f32(-std::numeric_limits<float>::infinity()), 0.0f);
  EXPECT_TRUE(std::isnan(fastmath::exp_f32(NAN)));
  EXPECT_TRUE(std::isnan(fastmath::tanh_f32(NAN)));
  EXPECT_TRUE(std::isnan(fastmath::erf_f32(NAN)));
  EXPECT_EQ(fastmath::tanh_f32(50.0f), 1.0f);
  EXPECT_EQ(fastmath::sigmoid_f32(-200.0f), 0.0f);
  EXPECT_EQ(fastmath::sigmoid_f32(200.0f), 1.0f);
  EXPECT_TRUE(std::isnan(fastmath::relu_f32(NAN)));
  EXPECT_TRUE(std::isnan(fastmath::clip_f32(NAN, 0.0f, 6.0f)));
}

// ---- Each op against its formula ----

struct FormulaCase {
  const char* op;
  double (*f)(double);
};

TEST(ActivationOps, MatchFormulas) {
  const Tensor x = grid(-12.0f, 12.0f, 40001);  // > parallel threshold
  const FormulaCase cases[] = {
      {"Relu", [](double v) { return v > 0 ? v : 0.0; }},
      {"Sigmoid", [](double v) { return 1 / (1 + std::exp(-v)); }},
      {"Tanh", [](double v) { return std::tanh(v); }},
      {"LeakyRelu", [](double v) { return v >= 0 ? v : 0.01 * v; }},
      {"HardSigmoid", [](double v) { return std::clamp(0.2 * v + 0.5, 0.0, 1.0); }},
      {"HardSwish", [](double v) { return v * std::clamp(v / 6 + 0.5, 0.0, 1.0); }},
      {"Elu", [](double v) { return v < 0 ? std::expm1(v) : v; }},
      {"Selu",
       [](double v) { return 1.0507009873554805 * (v > 0 ? v : 1.6732632423543772 * std::expm1(v)); }},
      {"Softplus", [](double v) { return std::log1p(std::exp(v)); }},
  };
  for (const FormulaCase& c : cases) {
    Result<Tensor> r = run1(c.op, {x});
    ASSERT_TRUE(r.is_ok()) << c.op << ": " << r.status().to_string();
    for (int64_t i = 0; i < x.numel(); ++i) {
      const double want = c.f(x.data<float>()[i]);
      ASSERT_NEAR(r->data<float>()[i], want, 1e-6 * std::fabs(want) + 2e-7) << c.op << " at x=" << x.data<float>()[i];
    }
  }
}

TEST(ActivationOps, AttributesAreRead) {
  const Tensor x = Tensor::from_vector<float>({2}, {-2.0f, 1.0f});
  Attributes a;
  a.set_float("alpha", 0.5f);
  EXPECT_FLOAT_EQ(run1("LeakyRelu", {x}, a)->data<float>()[0], -1.0f);
  EXPECT_FLOAT_EQ(run1("Elu", {x}, a)->data<float>()[0], 0.5f * std::expm1(-2.0f));
  a.set_float("beta", 0.6f);
  EXPECT_FLOAT_EQ(run1("HardSigmoid", {x}, a)->data<float>()[1], 1.0f);
  EXPECT_FLOAT_EQ(run1("HardSigmoid", {x}, a)->data<float>()[0], 0.0f);
}

TEST(ActivationOps, OtherDtypes) {
  Tensor d = Tensor::from_vector<double>({2}, {-1.0, 0.5});
  Result<Tensor> sig = run1("Sigmoid", {d});
  ASSERT_TRUE(sig.is_ok());
  EXPECT_DOUBLE_EQ(sig->data<double>()[1], 1 / (1 + std::exp(-0.5)));
  Tensor i = Tensor::from_vector<int32_t>({2}, {-3, 4});
  EXPECT_EQ(run1("Relu", {i})->to_int_vector(), (std::vector<int64_t>{0, 4}));
  Tensor h = Tensor::make(DType::kFloat16, {1});
  h.data<uint16_t>()[0] = float_to_half(-1.0f);
  Result<Tensor> hs = run1("Sigmoid", {h});
  ASSERT_TRUE(hs.is_ok());
  EXPECT_NEAR(hs->float_at(0), 0.26894f, 1e-3);
  Result<Tensor> bad = run1("Sigmoid", {i});
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.status().code(), Code::kUnsupported);
}

// ---- Gelu (ai.tandem) ----

TEST(ActivationGelu, ExactAndTanh) {
  const Tensor x = grid(-6.0f, 6.0f, 1001);
  for (const char* approx : {"none", "tanh"}) {
    Attributes a;
    a.set_string("approximate", approx);
    Result<Tensor> r = run1("Gelu", {x}, a, 1, kTandemDomain);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    for (int64_t i = 0; i < x.numel(); ++i) {
      const double v = x.data<float>()[i];
      const double want = std::string(approx) == "none"
                              ? 0.5 * v * (1 + std::erf(v / std::sqrt(2.0)))
                              : 0.5 * v * (1 + std::tanh(std::sqrt(2 / M_PI) * (v + 0.044715 * v * v * v)));
      ASSERT_NEAR(r->data<float>()[i], want, 2e-6 * std::fabs(want) + 2e-6) << approx << " x=" << v;
    }
  }
  Attributes bad;
  bad.set_string("approximate", "sigmoid");
  Result<Tensor> r = run1("Gelu", {x}, bad, 1, kTandemDomain);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), Code::kUnsupported);
  EXPECT_NE(r.status().message().find("'approximate'='sigmoid'"), std::string::npos) << r.status().message();
}

// ---- Silu (ai.tandem) ----

// Bit for bit what the Sigmoid and Mul it replaces compute (their reference kernels), and within float rounding
// of x / (1 + e^-x); float64 too; integers are rejected like Sigmoid's.
TEST(ActivationSilu, EqualsMulOfSigmoid) {
  const Tensor x = grid(-100.0f, 100.0f, 40001);  // > parallel threshold; both saturated ends
  Result<Tensor> silu = run1("Silu", {x}, {}, 1, kTandemDomain);
  ASSERT_TRUE(silu.is_ok()) << silu.status().to_string();
  Result<Tensor> sig = run1("Sigmoid", {x});
  ASSERT_TRUE(sig.is_ok());
  Result<Tensor> mul = run1("Mul", {x, *sig});
  ASSERT_TRUE(mul.is_ok());
  for (int64_t i = 0; i < x.numel(); ++i) {
    const float v = x.data<float>()[i];
    ASSERT_EQ(silu->data<float>()[i], mul->data<float>()[i]) << "x=" << v;
    if (v < -80.0f) continue;  // sigmoid's result leaves the normal range (as in ActivationFastMath)
    const double want = v / (1 + std::exp(-static_cast<double>(v)));
    ASSERT_NEAR(silu->data<float>()[i], want, 1e-6 * std::fabs(want) + 1e-30) << "x=" << v;
  }
  Tensor d = Tensor::from_vector<double>({3}, {-2.0, 0.0, 3.5});
  Result<Tensor> sd = run1("Silu", {d}, {}, 1, kTandemDomain);
  ASSERT_TRUE(sd.is_ok()) << sd.status().to_string();
  for (int64_t i = 0; i < 3; ++i) {
    const double v = d.data<double>()[i];
    EXPECT_DOUBLE_EQ(sd->data<double>()[i], v / (1 + std::exp(-v)));
  }
  Result<Tensor> bad = run1("Silu", {Tensor::from_vector<int32_t>({2}, {-3, 4})}, {}, 1, kTandemDomain);
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.status().code(), Code::kUnsupported);
}

// ---- Clip ----

TEST(ActivationClip, AttributeFormBeforeOpset11) {
  const Tensor x = Tensor::from_vector<float>({3}, {-5.0f, 0.5f, 5.0f});
  Attributes a;
  a.set_float("min", -1.0f);
  a.set_float("max", 1.0f);
  Result<Tensor> r = run1("Clip", {x}, a, 6);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_FLOAT_EQ(r->data<float>()[0], -1.0f);
  EXPECT_FLOAT_EQ(r->data<float>()[1], 0.5f);
  EXPECT_FLOAT_EQ(r->data<float>()[2], 1.0f);
  Result<Tensor> none = run1("Clip", {x}, {}, 6);
  ASSERT_TRUE(none.is_ok());
  EXPECT_FLOAT_EQ(none->data<float>()[0], -5.0f);
}

TEST(ActivationClip, InputFormWithOmittedBoundsAndInts) {
  const Tensor x = Tensor::from_vector<int8_t>({3}, {-100, 3, 100});
  Result<Tensor> hi_only = run1("Clip", {x, Tensor(), Tensor::scalar<int8_t>(10)});
  ASSERT_TRUE(hi_only.is_ok()) << hi_only.status().to_string();
  EXPECT_EQ(hi_only->to_int_vector(), (std::vector<int64_t>{-100, 3, 10}));
  Result<Tensor> lo_only = run1("Clip", {x, Tensor::scalar<int8_t>(0)});
  ASSERT_TRUE(lo_only.is_ok());
  EXPECT_EQ(lo_only->to_int_vector(), (std::vector<int64_t>{0, 3, 100}));
  // min > max: numpy.clip gives max everywhere.
  Result<Tensor> crossed = run1("Clip", {x, Tensor::scalar<int8_t>(5), Tensor::scalar<int8_t>(1)});
  ASSERT_TRUE(crossed.is_ok());
  EXPECT_EQ(crossed->to_int_vector(), (std::vector<int64_t>{1, 1, 1}));
  Result<Tensor> bad = run1("Clip", {x, Tensor::from_vector<int8_t>({2}, {0, 1})});
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
}

// ---- PRelu ----

TEST(ActivationPRelu, SlopeBroadcastsToX) {
  const Tensor x = Tensor::from_vector<float>({2, 1, 2}, {-1.0f, 2.0f, -3.0f, 4.0f});
  const Tensor slope = Tensor::from_vector<float>({2}, {0.1f, 0.2f});
  Result<Tensor> r = run1("PRelu", {x, slope});
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_FLOAT_EQ(r->data<float>()[0], -0.1f);
  EXPECT_FLOAT_EQ(r->data<float>()[1], 2.0f);
  EXPECT_FLOAT_EQ(r->data<float>()[2], -0.3f);
  // A slope that would grow the output is not unidirectional.
  Result<Tensor> bad = run1("PRelu", {x, Tensor::from_vector<float>({3, 1, 1}, {1, 2, 3})});
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
}

// ---- Fusion invariance ----

TEST(ActivationFusion, FusedEqualsStandaloneBitForBit) {
  const Tensor x = grid(-10.0f, 10.0f, 70001);
  struct Case { const char* name; std::vector<float> params; const char* op; Attributes attrs; const char* domain; };
  Attributes clip_attrs, leaky, hsig, gelu_tanh;
  leaky.set_float("alpha", 0.2f);
  hsig.set_float("alpha", 0.3f);
  hsig.set_float("beta", 0.4f);
  gelu_tanh.set_string("approximate", "tanh");
  std::vector<Case> cases = {
      {"Relu", {}, "Relu", {}, ""},           {"Sigmoid", {}, "Sigmoid", {}, ""},
      {"Tanh", {}, "Tanh", {}, ""},           {"Gelu", {}, "Gelu", {}, kTandemDomain},
      {"GeluTanh", {}, "Gelu", gelu_tanh, kTandemDomain},
      {"LeakyRelu", {0.2f}, "LeakyRelu", leaky, ""},
      {"HardSigmoid", {0.3f, 0.4f}, "HardSigmoid", hsig, ""},
      {"HardSwish", {}, "HardSwish", {}, ""},
      {"Silu", {}, "Silu", {}, kTandemDomain},
  };
  for (const Case& c : cases) {
    Result<Activation> act = Activation::parse(c.name, c.params);
    ASSERT_TRUE(act.is_ok()) << c.name;
    Result<Tensor> op = run1(c.op, {x}, c.attrs, 17, c.domain);
    ASSERT_TRUE(op.is_ok()) << c.op << ": " << op.status().to_string();
    Tensor bulk = x.clone();
    act->apply_inplace(bulk.data<float>(), bulk.numel());
    for (int64_t i = 0; i < x.numel(); ++i) {
      ASSERT_EQ(op->data<float>()[i], act->apply(x.data<float>()[i])) << c.name << " at " << i;
      ASSERT_EQ(bulk.data<float>()[i], op->data<float>()[i]) << c.name << " at " << i;
    }
  }
  // Clip through inputs (opset 13) against the fused Clip.
  Result<Activation> clip = Activation::parse("Clip", {-1.5f, 2.5f});
  ASSERT_TRUE(clip.is_ok());
  Result<Tensor> op = run1("Clip", {x, Tensor::scalar<float>(-1.5f), Tensor::scalar<float>(2.5f)});
  ASSERT_TRUE(op.is_ok());
  for (int64_t i = 0; i < x.numel(); ++i) ASSERT_EQ(op->data<float>()[i], clip->apply(x.data<float>()[i]));
}

// apply_inplace runs Sigmoid, Silu and Gelu sixteen at a time (AVX-512, elementwise_math_x16.h) and must still give
// the scalar functions' bits over the whole range: both saturated ends, the clamps, NaN, infinities, denormals.
TEST(ActivationFusion, VectorFormsMatchScalarEverywhere) {
  Tensor x = grid(-120.0f, 120.0f, 240001);
  std::vector<float> special = {NAN, -NAN, INFINITY, -INFINITY, 0.0f, -0.0f, 1e-40f, -1e-40f, 89.0f, 89.5f,
                                -104.0f, -104.5f, 88.72f, -87.33f, 1e30f, -1e30f, 16.0f, -16.0f};
  for (size_t i = 0; i < special.size(); ++i) x.data<float>()[i * 7] = special[i];  // spread over lanes
  for (const char* name : {"Sigmoid", "Silu", "Gelu"}) {
    Result<Activation> act = Activation::parse(name, {});
    ASSERT_TRUE(act.is_ok());
    Tensor bulk = x.clone();
    act->apply_inplace(bulk.data<float>(), bulk.numel());
    for (int64_t i = 0; i < x.numel(); ++i) {
      const float want = act->apply(x.data<float>()[i]), got = bulk.data<float>()[i];
      if (std::isnan(want)) {
        ASSERT_TRUE(std::isnan(got)) << name << " x=" << x.data<float>()[i];
      } else {
        ASSERT_EQ(std::bit_cast<uint32_t>(got), std::bit_cast<uint32_t>(want)) << name << " x=" << x.data<float>()[i];
      }
    }
  }
}

// apply_to_bf16 (a bf16 stage's activation on the way out) is apply_inplace's result through float_to_bfloat16,
// bit for bit, for every kind; so is floats_to_bfloat16 (AVX-512) on its own, over ties, NaN, infinities and
// denormals.
TEST(ActivationFusion, ApplyToBf16IsApplyThenRound) {
  Tensor x = grid(-30.0f, 30.0f, 50001);
  const std::vector<float> special = {NAN, INFINITY, -INFINITY, 0.0f, -0.0f, 1e-40f, -1e-40f, 3.4e38f, -3.4e38f,
                                      std::bit_cast<float>(0x3f808000u), std::bit_cast<float>(0x3f818000u),
                                      std::bit_cast<float>(0x3f80ffffu)};  // ties to even either way, just below
  for (size_t i = 0; i < special.size(); ++i) x.data<float>()[i * 5] = special[i];
  std::vector<uint16_t> bulk(static_cast<size_t>(x.numel()));
  floats_to_bfloat16(x.data<float>(), bulk.data(), x.numel());
  for (int64_t i = 0; i < x.numel(); ++i)
    ASSERT_EQ(bulk[static_cast<size_t>(i)], float_to_bfloat16(x.data<float>()[i])) << "x=" << x.data<float>()[i];
  for (const char* name : {"Relu", "Sigmoid", "Tanh", "Gelu", "GeluTanh", "HardSwish", "Silu", "None"}) {
    Result<Activation> act = Activation::parse(name, {});
    ASSERT_TRUE(act.is_ok());
    Tensor want = x.clone();
    act->apply_inplace(want.data<float>(), want.numel());
    std::vector<uint16_t> got(static_cast<size_t>(x.numel()));
    act->apply_to_bf16(x.data<float>(), got.data(), x.numel());
    for (int64_t i = 0; i < x.numel(); ++i)
      ASSERT_EQ(got[static_cast<size_t>(i)], float_to_bfloat16(want.data<float>()[i])) << name << " x=" << x.data<float>()[i];
  }
}

}  // namespace
}  // namespace tandem
