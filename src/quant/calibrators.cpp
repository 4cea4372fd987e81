// The four calibrators. The histogram methods follow pytorch-quantization's calib/histogram.py (NVIDIA/TensorRT,
// tools/pytorch-quantization; the same code is ModelOpt's modelopt/torch/quantization/calib/histogram.py), which
// implements TensorRT's entropy method of GTC'17 S7310; each function notes where and why Tandem differs.
#include "quant/calibrators.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace tandem {
namespace {

constexpr int kLevels = 128;  // int8 magnitudes: 128 levels + sign
constexpr double kInf = std::numeric_limits<double>::infinity();

struct MethodName {
  CalibrationMethod method;
  const char* name;
};
constexpr MethodName kMethodNames[] = {
    {CalibrationMethod::kMinMax, "minmax"},
    {CalibrationMethod::kEntropy, "entropy"},
    {CalibrationMethod::kPercentile, "percentile"},
    {CalibrationMethod::kMse, "mse"},
};

// KL(P || Q) for the candidate that keeps the first i bins (S7310's pseudo-code, histogram.py's loop body):
// P = bins[0, i) with the tail mass bins[i, n) added to bin i-1; Q = bins[0, i) merged into 128 levels, bin j in
// level floor(j * 128 / i) (np.digitize over np.linspace(0, i, 129); i/128 is dyadic, so the integer form is exact),
// each level's mass spread evenly over its non-zero bins and zero bins kept at zero. Both normalised, natural log,
// as scipy.stats.entropy. P > 0 where Q == 0 (bin i-1 empty but a tail) is infinite divergence, as scipy's rel_entr.
double kl_divergence(const std::vector<double>& bins, int i, double tail, double total) {
  const double q_total = total - tail;  // Q's mass before normalising: bins [0, i) only
  if (q_total <= 0) return kInf;        // no mass below the threshold: scipy would give NaN; we reject it
  double kl = 0.0;
  for (int k = 0; k < kLevels; ++k) {
    const int lo = (k * i + kLevels - 1) / kLevels;  // bins j with floor(j * 128 / i) == k
    const int hi = ((k + 1) * i + kLevels - 1) / kLevels;
    double level_sum = 0.0;
    int nonzero = 0;
    for (int j = lo; j < hi; ++j) {
      level_sum += bins[j];
      nonzero += bins[j] > 0 ? 1 : 0;
    }
    const double q = nonzero > 0 ? level_sum / nonzero / q_total : 0.0;
    for (int j = lo; j < hi; ++j) {
      const double p = (bins[j] + (j == i - 1 ? tail : 0.0)) / total;
      if (p == 0) continue;
      if (bins[j] == 0) return kInf;
      kl += p * std::log(p / q);
    }
  }
  return kl;
}

}  // namespace

const char* calibration_method_name(CalibrationMethod method) {
  for (const MethodName& m : kMethodNames)
    if (m.method == method) return m.name;
  return "unknown";
}

Result<CalibrationMethod> parse_calibration_method(const std::string& name) {
  for (const MethodName& m : kMethodNames)
    if (name == m.name) return m.method;
  return Status(Code::kInvalidArgument,
                format("unknown calibration method '%s' (want minmax, entropy, percentile or mse)", name.c_str()));
}

// Threshold = edge(i) = i * width: the upper edge of the last bin P keeps, as histogram.py returns
// `calib_bin_edges[i]`. S7310's slides write (m + 0.5) * width, half a bin higher; we follow the code, which is
// what ModelOpt ships and what a numpy check can reproduce. Ties go to the largest i (histogram.py's `last_argmin`).
float entropy_amax(const Histogram& hist, int start_bin, bool flatten_zero_bin) {
  const int n = hist.bins();
  if (n == 0 || hist.total() == 0) return 0.0f;
  std::vector<double> bins(hist.counts.begin(), hist.counts.end());
  if (flatten_zero_bin && n > 1) bins[0] = bins[1];
  double total = 0.0;
  for (double b : bins) total += b;
  // tail = bins[i, n), grown downwards from i = n.
  std::vector<double> tail(static_cast<size_t>(n) + 1, 0.0);
  for (int i = n - 1; i >= 0; --i) tail[i] = tail[i + 1] + bins[i];
  int best = n;
  double best_kl = kInf;
  for (int i = std::clamp(start_bin, 1, n); i <= n; ++i) {
    const double kl = kl_divergence(bins, i, tail[i], total);
    if (kl <= best_kl && kl < kInf) {
      best_kl = kl;
      best = i;
    }
  }
  return static_cast<float>(hist.edge(best));
}

// The upper edge of the bin where the CDF reaches p: the fraction of counts below the returned amax is >= p.
// histogram.py returns `calib_bin_edges[idx]` for that bin idx, its *lower* edge, below which the fraction is < p
// (one bin less; for data that all sits in the last bin it returns range - width instead of range). The comparison
// is on integer counts (cum * 100 >= p * total), not on a cumulative sum of fractions, so "exactly p" is reached.
float percentile_amax(const Histogram& hist, double percentile) {
  const double total = static_cast<double>(hist.total());
  if (total == 0) return 0.0f;
  uint64_t cum = 0;
  for (int j = 0; j < hist.bins(); ++j) {
    cum += hist.counts[j];
    if (static_cast<double>(cum) * 100.0 >= percentile * total) return static_cast<float>(hist.edge(j + 1));
  }
  return static_cast<float>(hist.range);
}

// Candidates amax = centre of bin i for i in [start_bin, n - 1] (histogram.py's `range(start_bin, len(centers))`,
// which leaves out the last centre); each bin's centre is quantized as Tandem's quantizer does it, clamp(rint(c / s),
// -128, 127) * s with s = amax / 127 (histogram.py multiplies by 127 / amax; the two differ only in the last bit),
// and the candidate with least sum of count * (q - c)^2 wins, the first on a tie (np.argmin).
float mse_amax(const Histogram& hist, int start_bin) {
  const int n = hist.bins();
  if (n == 0 || hist.total() == 0) return 0.0f;
  const double width = hist.width();
  std::vector<int> occupied;
  for (int j = 0; j < n; ++j)
    if (hist.counts[j] > 0) occupied.push_back(j);
  int best = n - 1;
  double best_err = kInf;
  for (int i = std::clamp(start_bin, 0, n - 1); i < n; ++i) {
    const double scale = (i + 0.5) * width / 127.0;
    double err = 0.0;
    for (int j : occupied) {
      const double c = (j + 0.5) * width;
      const double q = std::min(std::rint(c / scale), 127.0) * scale;  // c >= 0: only the top clamp can act
      err += static_cast<double>(hist.counts[j]) * (q - c) * (q - c);
    }
    if (err < best_err) {
      best_err = err;
      best = i;
    }
  }
  return static_cast<float>((best + 0.5) * width);
}

// The histogram methods can return a threshold above the largest |x| seen (the range may be up to twice that after a
// power-of-two growth); clipping above the data only wastes levels, so their result is capped at max |x|.
Result<float> calibrate_amax(const HistogramCollector& stats, CalibrationMethod method,
                             const CalibrationOptions& options) {
  TANDEM_CHECK_OR_RETURN(options.percentile > 0 && options.percentile <= 100, kInvalidArgument,
                         "percentile %g is outside (0, 100]", options.percentile);
  TANDEM_CHECK_OR_RETURN(options.start_bin >= 1 && options.start_bin < HistogramCollector::kBins, kInvalidArgument,
                         "start bin %d is outside [1, %d)", options.start_bin, HistogramCollector::kBins);
  if (stats.count() == 0) return 0.0f;
  const Histogram& h = stats.histogram();
  float amax = 0.0f;
  switch (method) {
    case CalibrationMethod::kMinMax:
      return stats.amax();
    case CalibrationMethod::kEntropy:
      amax = entropy_amax(h, options.start_bin, options.entropy_flatten_zero_bin);
      break;
    case CalibrationMethod::kPercentile:
      amax = percentile_amax(h, options.percentile);
      break;
    case CalibrationMethod::kMse:
      amax = mse_amax(h, options.start_bin);
      break;
  }
  return std::min(amax, stats.amax());
}

std::vector<float> weight_scales(const float* w, int64_t out_channels, int64_t per_channel) {
  std::vector<float> scales(static_cast<size_t>(std::max<int64_t>(out_channels, 0)));
  for (int64_t o = 0; o < out_channels; ++o) {
    const float* c = w + o * per_channel;
    float amax = 0.0f;
    for (int64_t k = 0; k < per_channel; ++k) {
      const float a = std::fabs(c[k]);
      amax = a > amax ? a : amax;  // false for NaN: ignored
    }
    scales[o] = std::max(scale_from_amax(amax), kMinWeightScale);
  }
  return scales;
}

}  // namespace tandem
