// The quantisation library: every quantize kernel against numpy's np.clip(np.rint(x / scale), -128, 127) (ties,
// saturation, NaN, tails, threads), the histogram collector (binning, power-of-two growth, non-finite values), the
// calibrators on hand-checkable histograms and against numbers from a numpy port of pytorch-quantization's
// histogram.py, and the TensorRT calibration cache (round trip, a hand-written cache, every malformed case).
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "quant/calibration_cache.h"
#include "quant/calibrators.h"
#include "quant/histogram.h"
#include "quant/quantize_kernels.h"

namespace tandem {
namespace {

namespace fs = std::filesystem;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

uint32_t bits_of(float f) {
  uint32_t b;
  std::memcpy(&b, &f, sizeof(b));
  return b;
}

float float_of(uint32_t b) {
  float f;
  std::memcpy(&f, &b, sizeof(f));
  return f;
}

// numpy's np.clip(np.rint(x / scale), -128, 127) in float32, in numpy's order (round, then clip); NaN -> 0 as TensorRT.
int8_t reference_quantize(float x, float scale) {
  const float q = x / scale;
  if (std::isnan(q)) return 0;
  const float r = std::rint(q);
  return static_cast<int8_t>(r < -128.0f ? -128.0f : (r > 127.0f ? 127.0f : r));
}

// What a kernel multiplying by 1 / scale would give: the wrong answer the next test looks for.
int8_t reciprocal_quantize(float x, float scale) {
  const float r = std::rint(x * (1.0f / scale));
  return static_cast<int8_t>(r < -128.0f ? -128.0f : (r > 127.0f ? 127.0f : r));
}

std::vector<float> random_floats(size_t n, float sigma, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, sigma);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

// Runs `kernel` on x (at element offset `offset`, to test unaligned pointers) and compares with the reference.
void expect_matches_reference(const QuantizeKernel& kernel, const std::vector<float>& x, float scale,
                              size_t offset = 0) {
  const size_t n = x.size() - offset;
  std::vector<int8_t> y(n + 64, 55);  // 55: a canary past the end
  kernel.fn(x.data() + offset, y.data(), static_cast<int64_t>(n), scale);
  for (size_t i = 0; i < n; ++i) {
    ASSERT_EQ(y[i], reference_quantize(x[offset + i], scale))
        << kernel.name << " x=" << x[offset + i] << " scale=" << scale << " i=" << i << " n=" << n;
  }
  for (size_t i = n; i < y.size(); ++i) ASSERT_EQ(y[i], 55) << kernel.name << " wrote past the end, n=" << n;
}

// ---- quantize kernels -------------------------------------------------------------------------------------------

TEST(QuantizeKernels, TheBuildHasEveryKernelItsIsaAllowsScalarFirst) {
  std::vector<std::string> names;
  for (const QuantizeKernel& k : quantize_kernels()) names.push_back(k.name);
  ASSERT_FALSE(names.empty());
  EXPECT_EQ(names.front(), "scalar");
#if defined(__AVX2__)
  EXPECT_NE(std::find(names.begin(), names.end(), "avx2"), names.end());
#endif
#if defined(__AVX512F__)
  EXPECT_EQ(names.back(), "avx512");
#endif
}

TEST(QuantizeKernels, RandomDataEveryLengthAndAlignmentMatchesNumpy) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> scale_dist(0.002f, 3.0f);
  for (const QuantizeKernel& k : quantize_kernels()) {
    for (size_t n : {0, 1, 7, 31, 32, 33, 63, 64, 65, 127, 200, 1001}) {
      const float scale = scale_dist(rng);
      std::vector<float> x = random_floats(n + 3, 80.0f * scale, static_cast<uint32_t>(n) + 1);  // ~10% saturate
      for (size_t offset : {0, 1, 3}) expect_matches_reference(k, x, scale, offset);
    }
  }
}

TEST(QuantizeKernels, TiesRoundToEvenThenSaturate) {
  // scale 0.25: (k + 0.5) * scale and its quotient are exact, so every x is a tie.
  std::vector<float> x;
  for (int k = -140; k <= 140; ++k) x.push_back((static_cast<float>(k) + 0.5f) * 0.25f);
  for (const QuantizeKernel& k : quantize_kernels()) {
    expect_matches_reference(k, x, 0.25f);
    std::vector<int8_t> y(x.size());
    k.fn(x.data(), y.data(), static_cast<int64_t>(x.size()), 0.25f);
    auto at = [&](float q) { return y[static_cast<size_t>((q - 0.5f) + 140.0f)]; };  // y for x / scale == q
    EXPECT_EQ(at(0.5f), 0) << k.name;
    EXPECT_EQ(at(1.5f), 2) << k.name;
    EXPECT_EQ(at(2.5f), 2) << k.name;
    EXPECT_EQ(at(-0.5f), 0) << k.name;
    EXPECT_EQ(at(-1.5f), -2) << k.name;
    EXPECT_EQ(at(-2.5f), -2) << k.name;
    EXPECT_EQ(at(126.5f), 126) << k.name;
    EXPECT_EQ(at(127.5f), 127) << k.name;    // rint gives 128: saturates
    EXPECT_EQ(at(-127.5f), -128) << k.name;  // rint gives -128
    EXPECT_EQ(at(-128.5f), -128) << k.name;
  }
  // Ties under scales that are not powers of two: per scale, keep the k * s whose quotient is exactly k + 0.5.
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> scale_dist(0.001f, 10.0f);
  for (int run = 0; run < 50; ++run) {
    const float s = scale_dist(rng);
    std::vector<float> ties;
    for (int k = -140; k <= 140; ++k) {
      const float q = static_cast<float>(k) + 0.5f;
      if ((q * s) / s == q) ties.push_back(q * s);
    }
    ASSERT_GT(ties.size(), 100u) << s;
    for (const QuantizeKernel& k : quantize_kernels()) expect_matches_reference(k, ties, s);
  }
}

TEST(QuantizeKernels, DivideNotMultiplyByTheReciprocal) {
  // x * (1 / scale) can round to the other side of a .5 tie; TensorRT and numpy divide. Look a few ulps around
  // every tie of 100 scales for x where the two disagree, and check every kernel gives the quotient's rounding.
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> scale_dist(0.01f, 1.0f);
  int found = 0;
  for (int run = 0; run < 100; ++run) {
    const float s = scale_dist(rng);
    std::vector<float> xs;
    for (int k = -128; k <= 127; ++k) {
      float x = (static_cast<float>(k) + 0.5f) * s;
      for (int i = 0; i < 3; ++i) x = std::nextafter(x, -kInf);
      for (int ulp = -3; ulp <= 3; ++ulp, x = std::nextafter(x, kInf)) {
        if (reference_quantize(x, s) != reciprocal_quantize(x, s)) xs.push_back(x);
      }
    }
    found += static_cast<int>(xs.size());
    for (const QuantizeKernel& k : quantize_kernels()) {
      std::vector<int8_t> y(xs.size());
      k.fn(xs.data(), y.data(), static_cast<int64_t>(xs.size()), s);
      for (size_t i = 0; i < xs.size(); ++i) {
        ASSERT_EQ(y[i], reference_quantize(xs[i], s)) << k.name << " x=" << xs[i] << " scale=" << s;
      }
    }
  }
  EXPECT_GT(found, 10) << "too few x where the reciprocal differs; the test would prove little";
}

TEST(QuantizeKernels, NanIsZeroInfinitiesAndHugeValuesSaturate) {
  std::vector<float> x = {kNaN, -kNaN, kInf, -kInf, 3e38f, -3e38f, -0.0f, 0.0f, 1e-40f, 1000.0f, -1000.0f};
  x.resize(70, kNaN);  // enough to reach the vector body of every kernel
  for (const QuantizeKernel& k : quantize_kernels()) {
    std::vector<int8_t> y(x.size(), 99);
    k.fn(x.data(), y.data(), static_cast<int64_t>(x.size()), 0.5f);
    const std::vector<int8_t> want = {0, 0, 127, -128, 127, -128, 0, 0, 0, 127, -128};
    for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(y[i], want[i]) << k.name << " x=" << x[i];
    for (size_t i = want.size(); i < x.size(); ++i) EXPECT_EQ(y[i], 0) << k.name;
  }
}

TEST(QuantizeKernels, ThreadedDriverAndPublicEntryMatchOneThread) {
  const int64_t n = (int64_t{1} << 20) + 13;  // above the parallel threshold, with a tail
  std::vector<float> x = random_floats(static_cast<size_t>(n), 10.0f, 5);
  const float scale = 0.0731f;
  std::vector<int8_t> want(static_cast<size_t>(n));
  quantize_f32_s8_scalar(x.data(), want.data(), n, scale);
  for (const QuantizeKernel& k : quantize_kernels()) {
    for (int threads : {1, 2, 3, 8}) {
      std::vector<int8_t> y(static_cast<size_t>(n), 99);
      quantize_f32_to_s8_using(k.fn, x.data(), y.data(), n, scale, threads);
      ASSERT_EQ(y, want) << k.name << " threads=" << threads;
    }
  }
  std::vector<int8_t> y(static_cast<size_t>(n));
  quantize_f32_to_s8(x.data(), y.data(), n, scale);
  EXPECT_EQ(y, want);
  quantize_f32_to_s8(x.data(), y.data(), 100, scale);  // small: the single-thread path
  EXPECT_TRUE(std::equal(y.begin(), y.begin() + 100, want.begin()));
}

TEST(QuantizeKernels, DequantizeIsOneMultiply) {
  std::vector<int8_t> q(256 * 300);
  for (size_t i = 0; i < q.size(); ++i) q[i] = static_cast<int8_t>(static_cast<int>(i % 256) - 128);
  const float scale = 0.0371f;
  std::vector<float> y(q.size());
  dequantize_s8_to_f32(q.data(), y.data(), static_cast<int64_t>(q.size()), scale);
  for (size_t i = 0; i < q.size(); ++i) ASSERT_EQ(bits_of(y[i]), bits_of(static_cast<float>(q[i]) * scale));
  // Quantize(dequantize(q)) == q for every q: the pair is consistent.
  std::vector<int8_t> back(q.size());
  quantize_f32_to_s8(y.data(), back.data(), static_cast<int64_t>(y.size()), scale);
  EXPECT_EQ(back, q);
}

// ---- histogram collector ----------------------------------------------------------------------------------------

TEST(HistogramCollector, BinsAbsoluteValuesWithAClosedLastBin) {
  HistogramCollector c;
  const std::vector<float> x = {0.0f, 0.25f, 0.5f, 0.75f, 1.0f, -1.0f, -0.3f};
  c.add(x.data(), static_cast<int64_t>(x.size()));
  const Histogram& h = c.histogram();
  EXPECT_EQ(h.bins(), 2048);
  EXPECT_EQ(h.range, 1.0);
  EXPECT_EQ(h.total(), 7u);
  EXPECT_EQ(h.counts[0], 1u);
  EXPECT_EQ(h.counts[512], 1u);
  EXPECT_EQ(h.counts[1024], 1u);
  EXPECT_EQ(h.counts[1536], 1u);
  EXPECT_EQ(h.counts[614], 1u);   // 0.3 * 2048 = 614.4
  EXPECT_EQ(h.counts[2047], 2u);  // |x| == range
  EXPECT_EQ(c.min(), -1.0f);
  EXPECT_EQ(c.max(), 1.0f);
  EXPECT_EQ(c.amax(), 1.0f);
  EXPECT_EQ(c.count(), 7);
}

TEST(HistogramCollector, NonFiniteValuesAreCountedButNotBinned) {
  HistogramCollector c;
  std::vector<float> x = {kNaN, kInf, -kInf, 1.0f, -2.0f};
  for (int i = 0; i < 40; ++i) x.push_back(kNaN);  // through the vector loops too
  c.add(x.data(), static_cast<int64_t>(x.size()));
  EXPECT_EQ(c.count(), 2);
  EXPECT_EQ(c.nonfinite_count(), 43);
  EXPECT_EQ(c.min(), -2.0f);
  EXPECT_EQ(c.max(), 1.0f);
  EXPECT_EQ(c.histogram().range, 2.0);
  EXPECT_EQ(c.histogram().total(), 2u);
  EXPECT_EQ(c.histogram().counts[1024], 1u);
  EXPECT_EQ(c.histogram().counts[2047], 1u);
}

TEST(HistogramCollector, DenormalRangesBinInDouble) {
  HistogramCollector c;  // 2048 / 1e-40 overflows float: the collector must not turn 0 * inf into NaN
  const std::vector<float> x = {1e-40f, 0.0f, -5e-41f, kNaN};
  c.add(x.data(), static_cast<int64_t>(x.size()));
  EXPECT_EQ(c.histogram().total(), 3u);
  EXPECT_EQ(c.histogram().counts[0], 1u);
  EXPECT_EQ(c.histogram().counts[2047], 1u);
  EXPECT_EQ(c.histogram().counts[1023] + c.histogram().counts[1024], 1u);  // 5e-41 is not exactly half of 1e-40
}

TEST(HistogramCollector, ZerosBeforeTheFirstNonZeroBatchStayInBinZero) {
  HistogramCollector c;
  std::vector<float> zeros(100, 0.0f);
  c.add(zeros.data(), 100);
  EXPECT_EQ(c.histogram().range, 0.0);
  EXPECT_EQ(c.amax(), 0.0f);
  const std::vector<float> x = {0.5f, -1.0f};
  c.add(x.data(), 2);
  EXPECT_EQ(c.histogram().range, 1.0);
  EXPECT_EQ(c.histogram().counts[0], 100u);
  EXPECT_EQ(c.histogram().counts[1024], 1u);
  EXPECT_EQ(c.histogram().counts[2047], 1u);
}

// Three batches whose max |x| grows 1 -> ~3 -> ~7.5: TensorRT-style growth doubles the range to 4, then 8. The
// merged histogram must equal one collected over [0, 8] from the start, except for the first batch's maximum (1.0
// exactly): it sat in the closed last bin of [0, 1], which merges into [0.99609375, 1) instead of [1, 1.00390625).
TEST(HistogramCollector, PowerOfTwoGrowthIsExactBinMerging) {
  std::vector<std::vector<float>> batches;
  batches.push_back(random_floats(50000, 0.3f, 1));
  for (float& v : batches[0]) v = std::clamp(v, -0.999f, 0.999f);
  batches[0][123] = -1.0f;
  batches.push_back(random_floats(70000, 0.9f, 2));
  for (float& v : batches[1]) v = std::clamp(v, -2.9f, 2.9f);
  batches.push_back(random_floats(90000, 2.0f, 3));
  for (float& v : batches[2]) v = std::clamp(v, -7.5f, 7.5f);

  HistogramCollector grown;
  HistogramCollector fixed(8.0f);
  for (const auto& b : batches) {
    grown.add(b.data(), static_cast<int64_t>(b.size()));
    fixed.add(b.data(), static_cast<int64_t>(b.size()));
  }
  ASSERT_EQ(grown.histogram().range, 8.0);
  ASSERT_EQ(fixed.histogram().range, 8.0);
  std::vector<uint64_t> want = fixed.histogram().counts;
  want[256] -= 1;  // 1.0 in the one-shot histogram: 1.0 * 2048 / 8 = bin 256
  want[255] += 1;
  EXPECT_EQ(grown.histogram().counts, want);
  EXPECT_EQ(grown.amax(), 7.5f);
  for (CalibrationMethod m : {CalibrationMethod::kMinMax, CalibrationMethod::kEntropy, CalibrationMethod::kPercentile,
                              CalibrationMethod::kMse}) {
    EXPECT_NEAR(calibrate_amax(grown, m).value(), calibrate_amax(fixed, m).value(), grown.histogram().width())
        << calibration_method_name(m);
  }
}

// The same data in growing batches or in one batch over [0, max]: the calibrators agree to within a bin (mse two).
// The batches are arranged so that the grown range (first max * 4) is just above the overall max, the one-shot range;
// after a growth that overshoots (up to 2x) the grown histogram has coarser bins, as TensorRT documents.
TEST(HistogramCollector, GrowingBatchesCalibrateLikeOneBatch) {
  std::vector<float> all;
  HistogramCollector grown;
  const float limits[] = {1.0f, 2.2f, 3.99f};
  for (int b = 0; b < 3; ++b) {
    std::vector<float> x = random_floats(200000, 1.0f, 10 + b);
    float m = 0.0f;
    for (float v : x) m = std::max(m, std::fabs(v));
    for (float& v : x) v *= limits[b] / m;  // this batch's max |x| is the limit, without a spike there
    grown.add(x.data(), static_cast<int64_t>(x.size()));
    all.insert(all.end(), x.begin(), x.end());
  }
  HistogramCollector once;
  once.add(all.data(), static_cast<int64_t>(all.size()));
  ASSERT_EQ(grown.histogram().range, 4.0);
  ASSERT_FLOAT_EQ(once.histogram().range, 3.99f);
  const double bin = grown.histogram().width();
  for (CalibrationMethod m : {CalibrationMethod::kMinMax, CalibrationMethod::kEntropy, CalibrationMethod::kPercentile,
                              CalibrationMethod::kMse}) {
    Result<float> a = calibrate_amax(grown, m), b = calibrate_amax(once, m);
    ASSERT_TRUE(a.is_ok() && b.is_ok());
    // mse's minimum is flat and the two grids differ by 0.25 % in width: measured 1.8 bins apart here. The others
    // measured 0 (minmax), 0.5 (entropy) and 0.14 (percentile) bins.
    EXPECT_NEAR(*a, *b, (m == CalibrationMethod::kMse ? 2 : 1) * bin) << calibration_method_name(m);
  }
}

// ---- calibrators ------------------------------------------------------------------------------------------------

Histogram make_histogram(std::vector<uint64_t> counts, double range) {
  Histogram h;
  h.counts = std::move(counts);
  h.range = range;
  return h;
}

// floor(scale * exp(-((j + 0.5) / sigma)^2 / 2)): a half-Gaussian of |x| in bin units, the same formula as the numpy
// script that produced the expected numbers (it checked no value lies within 1e-6 of an integer, so std::exp and
// numpy's exp agree on every floor).
std::vector<uint64_t> half_gaussian_counts(double sigma, double scale = 1e6) {
  std::vector<uint64_t> c(2048);
  for (int j = 0; j < 2048; ++j)
    c[j] = static_cast<uint64_t>(std::floor(scale * std::exp(-0.5 * std::pow((j + 0.5) / sigma, 2))));
  return c;
}

TEST(Calibrators, MethodNamesParseAndPrint) {
  for (CalibrationMethod m : {CalibrationMethod::kMinMax, CalibrationMethod::kEntropy, CalibrationMethod::kPercentile,
                              CalibrationMethod::kMse}) {
    Result<CalibrationMethod> back = parse_calibration_method(calibration_method_name(m));
    ASSERT_TRUE(back.is_ok());
    EXPECT_EQ(*back, m);
  }
  EXPECT_STREQ(calibration_method_name(CalibrationMethod::kEntropy), "entropy");
  Result<CalibrationMethod> bad = parse_calibration_method("kl");
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
  EXPECT_TRUE(contains(bad.status().message(), "'kl'"));
}

// Expected bins from a numpy port of pytorch-quantization's _compute_amax_entropy (np.digitize, Counter, scipy's
// entropy written out), run on the same counts with range 2.0 (edges = i / 1024). In each case the best KL beats the
// runner-up by > 5e-5 relative, far above rounding differences in the summation order.
TEST(Calibrators, EntropyMatchesPytorchQuantizationOnClosedFormHistograms) {
  struct Case {
    const char* name;
    std::vector<uint64_t> counts;
    int bin_flattened, bin_raw;
  };
  std::vector<uint64_t> relu = half_gaussian_counts(200.0);
  relu[0] += 5000000;  // the exact zeros after a ReLU
  relu[1500] += 3;
  relu[2047] += 3;
  std::vector<uint64_t> laplace(2048);
  for (int j = 0; j < 2048; ++j) laplace[j] = static_cast<uint64_t>(std::floor(1e6 * std::exp(-j / 150.0)));
  laplace[1800] += 10;
  laplace[2047] += 1;
  const Case cases[] = {
      {"half_gaussian_350", half_gaussian_counts(350.0), 1665, 1665},
      {"relu_like", relu, 951, 768},
      {"laplace_150", laplace, 1664, 1664},
      {"uniform", std::vector<uint64_t>(2048, 1000), 2048, 2048},  // Q == P exactly at i = 2048: KL 0
  };
  for (const Case& c : cases) {
    const Histogram h = make_histogram(c.counts, 2.0);
    EXPECT_EQ(entropy_amax(h, 128, true), static_cast<float>(c.bin_flattened / 1024.0)) << c.name;
    EXPECT_EQ(entropy_amax(h, 128, false), static_cast<float>(c.bin_raw / 1024.0)) << c.name;
  }
}

TEST(Calibrators, EntropyPicksTheLargestThresholdAmongEqualDivergences) {
  // 100 equal bins, nothing above: every candidate i >= 128 reproduces P exactly (KL 0); histogram.py's
  // `last_argmin` takes the largest, the full range.
  std::vector<uint64_t> counts(2048, 0);
  for (int j = 0; j < 100; ++j) counts[j] = 100;
  EXPECT_EQ(entropy_amax(make_histogram(counts, 4.0), 128, true), 4.0f);
  EXPECT_EQ(entropy_amax(make_histogram(std::vector<uint64_t>(2048, 0), 4.0)), 0.0f);
}

TEST(Calibrators, EntropyOfGaussianSamplesIsAboutFourPointSixSigma) {
  // numpy port on 2^20 N(0, 1) samples (three seeds): 4.73, 4.45, 4.87; the sparse tail moves it, so a wide band.
  std::vector<float> x = random_floats(1 << 20, 1.0f, 42);
  HistogramCollector c;
  c.add(x.data(), static_cast<int64_t>(x.size()));
  Result<float> amax = calibrate_amax(c, CalibrationMethod::kEntropy);
  ASSERT_TRUE(amax.is_ok());
  EXPECT_GT(*amax, 4.2f);
  EXPECT_LT(*amax, 5.1f);
  EXPECT_LE(*amax, c.amax());
}

TEST(Calibrators, PercentileIsTheUpperEdgeOfTheBinWhereTheCdfReachesP) {
  const Histogram flat = make_histogram(std::vector<uint64_t>(2048, 1), 2.0);
  EXPECT_EQ(percentile_amax(flat, 50.0), 1.0f);  // bin 1023 holds the 1024th count: its upper edge
  EXPECT_EQ(percentile_amax(flat, 100.0), 2.0f);
  std::vector<uint64_t> counts(2048, 0);
  counts[0] = 10000;
  counts[2047] = 1;
  EXPECT_EQ(percentile_amax(make_histogram(counts, 2.0), 99.99), 1.0f / 1024.0f);  // 10000 / 10001 >= 99.99 %
  counts[0] = 9998;
  counts[5] = 1;  // 9999 / 10000 reaches 99.99 % exactly, at bin 5
  EXPECT_EQ(percentile_amax(make_histogram(counts, 2.0), 99.99), 6.0f / 1024.0f);
  // All data in the last bin: the range itself (histogram.py's lower edge would give range - width).
  std::vector<uint64_t> top(2048, 0);
  top[2047] = 7;
  EXPECT_EQ(percentile_amax(make_histogram(top, 2.0), 99.99), 2.0f);
}

TEST(Calibrators, PercentileOfGaussianSamplesIsTheTwoSidedQuantile) {
  // P(|x| > t) = 1e-4 for N(0, 1) at t = 3.8906.
  std::vector<float> x = random_floats(1 << 21, 1.0f, 9);
  HistogramCollector c;
  c.add(x.data(), static_cast<int64_t>(x.size()));
  Result<float> amax = calibrate_amax(c, CalibrationMethod::kPercentile);
  ASSERT_TRUE(amax.is_ok());
  EXPECT_NEAR(*amax, 3.8906f, 0.04f);
}

TEST(Calibrators, MseOfASpikeIsItsCentre) {
  // All counts in bin 200 (width 1): candidate i = 200 puts them exactly on level 127. No other candidate i <= 2047
  // puts 200.5 on a level, since 127 * 401 (401 prime) has no divisor d < 127 but 1; all earlier ones clip it.
  std::vector<uint64_t> counts(2048, 0);
  counts[200] = 1000000;
  EXPECT_EQ(mse_amax(make_histogram(counts, 2048.0)), 200.5f);
  EXPECT_EQ(mse_amax(make_histogram(std::vector<uint64_t>(2048, 0), 1.0)), 0.0f);
}

// Expected centres from a numpy port of pytorch-quantization's _compute_amax_mse (float32, as torch runs it, and
// float64: both pick the same bin; the runner-up is > 2e-4 relative behind).
TEST(Calibrators, MseMatchesPytorchQuantization) {
  std::vector<uint64_t> outlier(2048, 0);
  outlier[200] = 1000000;
  outlier[2047] = 1;  // clipped: 1958.5 puts the bulk at 13 * 15.42 = 200.48 and leaves the outlier 89 away
  EXPECT_EQ(mse_amax(make_histogram(outlier, 2048.0)), 1958.5f);
  EXPECT_EQ(mse_amax(make_histogram(half_gaussian_counts(350.0), 2.0)), static_cast<float>(1371.5 / 1024.0));
  std::vector<uint64_t> laplace(2048);
  for (int j = 0; j < 2048; ++j) laplace[j] = static_cast<uint64_t>(std::floor(1e6 * std::exp(-j / 150.0)));
  laplace[1800] += 10;
  laplace[2047] += 1;
  EXPECT_EQ(mse_amax(make_histogram(laplace, 2.0)), static_cast<float>(1460.5 / 1024.0));
}

TEST(Calibrators, CalibrateAmaxValidatesOptionsAndCapsAtTheDataMax) {
  HistogramCollector empty;
  Result<float> none = calibrate_amax(empty, CalibrationMethod::kEntropy);
  ASSERT_TRUE(none.is_ok());
  EXPECT_EQ(*none, 0.0f);
  for (double p : {0.0, -1.0, 100.5, std::nan("")}) {
    CalibrationOptions o;
    o.percentile = p;
    Result<float> r = calibrate_amax(empty, CalibrationMethod::kPercentile, o);
    ASSERT_FALSE(r.is_ok()) << p;
    EXPECT_TRUE(contains(r.status().message(), "percentile")) << r.status().message();
  }
  CalibrationOptions o;
  o.start_bin = 0;
  EXPECT_FALSE(calibrate_amax(empty, CalibrationMethod::kEntropy, o).is_ok());

  // First batch max 1, second 1.5: the range grows to 2, the data max stays 1.5.
  HistogramCollector c;
  std::vector<float> x(1000);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i) / 999.0f;
  c.add(x.data(), 1000);
  const float big = 1.5f;
  c.add(&big, 1);
  ASSERT_EQ(c.histogram().range, 2.0);
  for (CalibrationMethod m : {CalibrationMethod::kMinMax, CalibrationMethod::kEntropy, CalibrationMethod::kPercentile,
                              CalibrationMethod::kMse}) {
    CalibrationOptions all;
    all.percentile = 100.0;
    Result<float> r = calibrate_amax(c, m, all);
    ASSERT_TRUE(r.is_ok());
    EXPECT_LE(*r, 1.5f) << calibration_method_name(m);
  }
  EXPECT_EQ(calibrate_amax(c, CalibrationMethod::kMinMax).value(), 1.5f);
}

TEST(Calibrators, WeightScalesPerOutputChannel) {
  const std::vector<float> w = {
      1.0f,  -2.0f, 0.5f,   // amax 2
      0.0f,  0.0f,  0.0f,   // a zero channel: the floor
      kNaN,  3.0f,  -1.0f,  // NaN ignored
      1e-6f, 0.0f,  0.0f,   // below the floor's reach: floored too
  };
  const std::vector<float> s = weight_scales(w.data(), 4, 3);
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s[0], 2.0f / 127.0f);
  EXPECT_EQ(s[1], kMinWeightScale);
  EXPECT_EQ(s[2], 3.0f / 127.0f);
  EXPECT_EQ(s[3], kMinWeightScale);
  EXPECT_EQ(kMinWeightScale, std::numeric_limits<float>::epsilon());
  std::vector<int8_t> q(3);
  quantize_f32_to_s8(w.data() + 9, q.data(), 3, s[3]);  // a floored channel still fits without saturating
  EXPECT_EQ(q[0], 8);
  EXPECT_EQ(scale_from_amax(127.0f), 1.0f);
}

// ---- calibration cache ------------------------------------------------------------------------------------------

class CalibrationCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tandem_quant_test_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write_text(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  fs::path dir_;
};

TEST_F(CalibrationCacheTest, WriteThenReadGivesIdenticalBits) {
  CalibrationCache cache;
  cache.algorithm = cache_algorithm_name(CalibrationMethod::kEntropy);
  std::mt19937 rng(1);
  for (int i = 0; i < 200; ++i) {
    // Any float in [2^-32, 2^32): exponent bits 95..158, any mantissa.
    const uint32_t bits = ((95u + rng() % 64u) << 23) | (rng() & 0x7fffffu);
    cache.scales["/encoder/block" + std::to_string(i) + "/Conv_output_0"] = float_of(bits);
  }
  cache.scales["input.72"] = kMinActivationScale;
  cache.scales["a: b: c"] = kMaxActivationScale;
  cache.scales["(Unnamed Layer* 3) [Shuffle]_output"] = 1.0f;
  const std::string path = (dir_ / "rt.cache").string();
  ASSERT_TRUE(write_cache(cache, path).is_ok());
  Result<CalibrationCache> back = read_cache(path);
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  EXPECT_EQ(back->version, "8601");
  EXPECT_EQ(back->algorithm, "EntropyCalibration2");
  ASSERT_EQ(back->scales.size(), cache.scales.size());
  for (const auto& [name, scale] : cache.scales) {
    ASSERT_EQ(back->scales.count(name), 1u) << name;
    EXPECT_EQ(bits_of(back->scales.at(name)), bits_of(scale)) << name;
  }
  std::ifstream f(path);
  std::string first, line;
  std::getline(f, first);
  EXPECT_EQ(first, "TRT-8601-EntropyCalibration2");
  while (std::getline(f, line)) {
    if (line.rfind("input.72: ", 0) == 0) {
      EXPECT_EQ(line, "input.72: 2f800000");
    }
    if (line.rfind("(Unnamed", 0) == 0) {
      EXPECT_EQ(line, "(Unnamed Layer* 3) [Shuffle]_output: 3f800000");
    }
  }
}

TEST_F(CalibrationCacheTest, ReadsAHandWrittenTensorRtCache) {
  const std::string path = write_text("trt.cache",
                                      "TRT-8601-EntropyCalibration2\n"
                                      "input.1: 3c010a14\n"
                                      "/encoder/Conv_output_0: 3D8F5C29\r\n"  // upper case, CRLF
                                      "onnx::Conv_123: 3f800000\n"
                                      "name: with: colons: 3e000000\n"
                                      "\n"
                                      "smallest: 2f800000\n");  // 2^-32

  Result<CalibrationCache> c = read_cache(path);
  ASSERT_TRUE(c.is_ok()) << c.status().to_string();
  EXPECT_EQ(c->version, "8601");
  EXPECT_EQ(c->algorithm, "EntropyCalibration2");
  ASSERT_EQ(c->scales.size(), 5u);
  EXPECT_EQ(bits_of(c->scales.at("input.1")), 0x3c010a14u);
  EXPECT_EQ(bits_of(c->scales.at("/encoder/Conv_output_0")), 0x3d8f5c29u);
  EXPECT_EQ(c->scales.at("onnx::Conv_123"), 1.0f);
  EXPECT_EQ(c->scales.at("name: with: colons"), 0.125f);
  EXPECT_EQ(c->scales.at("smallest"), kMinActivationScale);

  Result<CalibrationCache> minmax = parse_cache("TRT-100100-MinMaxCalibration\nx: 3c000000\n", "mem");
  ASSERT_TRUE(minmax.is_ok());
  EXPECT_EQ(minmax->version, "100100");
  EXPECT_EQ(minmax->algorithm, "MinMaxCalibration");
}

TEST_F(CalibrationCacheTest, EveryMalformedCaseNamesTheFileAndLine) {
  struct Case {
    const char* text;
    int line;
    const char* what;
  };
  const Case cases[] = {
      {"", 1, "empty file"},
      {"\n\n", 1, "empty file"},
      {"input: 3c010a14\n", 1, "missing header"},
      {"TRT-abc-EntropyCalibration2\n", 1, "malformed header"},
      {"TRT-8601-\n", 1, "malformed header"},
      {"TRT-8601\n", 1, "malformed header"},
      {"TRT-8601-EntropyCalibration2\na: 3c010a14\nno separator here\n", 3, "malformed line"},
      {"TRT-8601-EntropyCalibration2\na:3c010a14\n", 2, "malformed line"},
      {"TRT-8601-EntropyCalibration2\n: 3c010a14\n", 2, "empty tensor name"},
      {"TRT-8601-EntropyCalibration2\na: 3g010a14\n", 2, "bad hex"},
      {"TRT-8601-EntropyCalibration2\na: 123456789\n", 2, "bad hex"},
      {"TRT-8601-EntropyCalibration2\na: 0x3c01\n", 2, "bad hex"},
      {"TRT-8601-EntropyCalibration2\na: \n", 2, "malformed line"},
      {"TRT-8601-EntropyCalibration2\na: -3c01\n", 2, "bad hex"},
      {"TRT-8601-EntropyCalibration2\na: 7f800000\n", 2, "outside [2^-32, 2^32]"},
      {"TRT-8601-EntropyCalibration2\na: 7fc00000\n", 2, "outside [2^-32, 2^32]"},
      {"TRT-8601-EntropyCalibration2\na: bf800000\n", 2, "outside [2^-32, 2^32]"},
      {"TRT-8601-EntropyCalibration2\na: 0\n", 2, "outside [2^-32, 2^32]"},
      {"TRT-8601-EntropyCalibration2\na: 1\n", 2, "outside [2^-32, 2^32]"},  // a denormal
      {"TRT-8601-EntropyCalibration2\na: 800000\n", 2, "outside [2^-32, 2^32]"},  // FLT_MIN
      {"TRT-8601-EntropyCalibration2\na: 7f7fffff\n", 2, "outside [2^-32, 2^32]"},  // FLT_MAX
      {"TRT-8601-EntropyCalibration2\na: 3c010a14\nb: 3c010a14\n\na: 3c010a15\n", 5, "listed twice (first on line 2)"},
  };
  int i = 0;
  for (const Case& c : cases) {
    const std::string path = write_text("bad" + std::to_string(i++) + ".cache", c.text);
    Result<CalibrationCache> r = read_cache(path);
    ASSERT_FALSE(r.is_ok()) << c.text;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << c.text;
    const std::string want = path + ":" + std::to_string(c.line) + ": ";
    EXPECT_TRUE(contains(r.status().message(), want)) << r.status().message() << " (want " << want << ")";
    EXPECT_TRUE(contains(r.status().message(), c.what)) << r.status().message() << " (want " << c.what << ")";
  }
  Result<CalibrationCache> missing = read_cache((dir_ / "nope.cache").string());
  ASSERT_FALSE(missing.is_ok());
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  EXPECT_TRUE(contains(missing.status().message(), "nope.cache"));
}

TEST_F(CalibrationCacheTest, AlgorithmNamesAndWriteRefusals) {
  EXPECT_EQ(cache_algorithm_name(CalibrationMethod::kMinMax), "MinMaxCalibration");
  EXPECT_EQ(cache_algorithm_name(CalibrationMethod::kEntropy), "EntropyCalibration2");
  EXPECT_EQ(cache_algorithm_name(CalibrationMethod::kPercentile), "TandemPercentile99.99");
  EXPECT_EQ(cache_algorithm_name(CalibrationMethod::kPercentile, 99.9), "TandemPercentile99.9");
  EXPECT_EQ(cache_algorithm_name(CalibrationMethod::kMse), "TandemMSE");

  CalibrationCache c;
  c.algorithm = "TandemMSE";
  c.scales["ok"] = 1.0f;
  Result<std::string> text = format_cache(c);
  ASSERT_TRUE(text.is_ok());
  EXPECT_EQ(*text, "TRT-8601-TandemMSE\nok: 3f800000\n");
  c.scales["two\nlines"] = 1.0f;
  EXPECT_FALSE(write_cache(c, (dir_ / "x.cache").string()).is_ok());
  c.scales.erase("two\nlines");
  c.algorithm = "";
  EXPECT_FALSE(format_cache(c).is_ok());
  c.algorithm = "TandemMSE";
  c.version = "8.6";
  EXPECT_FALSE(format_cache(c).is_ok());
  c.version = "8601";
  Status unwritable = write_cache(c, (dir_ / "no_such_dir" / "x.cache").string());
  ASSERT_FALSE(unwritable.is_ok());
  EXPECT_EQ(unwritable.code(), Code::kIoError);
  EXPECT_TRUE(contains(unwritable.message(), "no_such_dir"));
}

}  // namespace
}  // namespace tandem
