// Per-tensor calibration statistics: running min/max and a 2048-bin histogram of |x| whose range grows with the data.
#pragma once

#include <cstdint>
#include <vector>

namespace tandem {

// Counts of |x| in equal bins over [0, range]; bin j holds [j*w, (j+1)*w) with w = range / bins, the last bin also
// holds |x| == range (numpy's closed last bin). edge(j) is the lower edge of bin j, edge(bins) == range.
struct Histogram {
  std::vector<uint64_t> counts;
  double range = 0.0;

  int bins() const { return static_cast<int>(counts.size()); }
  double width() const { return counts.empty() ? 0.0 : range / static_cast<double>(counts.size()); }
  double edge(int j) const { return width() * j; }
  uint64_t total() const;
};

// Fed float32 batches of one tensor during calibration; the calibrators (calibrators.h) turn it into an amax.
//
// Range growth follows TensorRT, not pytorch-quantization. TensorRT's developer guide ("INT8 Calibration Using C++",
// on calibration batch size) says: when a batch holds a value above the current histogram max, "the histogram range
// is increased by a power of two to accommodate the new maximum value", keeping 2048 bins. So the first non-zero
// batch sets range = its max |x|, and a later batch with max |x| > range multiplies range by the least 2^k that
// covers it; each new bin is then exactly the union of 2^k old bins, so counts stay exact integers and no mass is
// smeared across bins. The cost (which TensorRT documents) is resolution: after a late growth up to half the bins
// may be empty, and the result depends on batch order. pytorch-quantization's and ModelOpt's HistogramCalibrator
// (calib/histogram.py, torch_hist branch) instead keep the first batch's bin width and append bins up to the new max
// (also exact, but the bin count is unbounded and a first batch of zeros gives zero width); PyTorch's
// HistogramObserver re-bins by interpolation (bounded, but inexact). Passing `initial_range` (e.g. the max |x| of a
// first min/max pass over the same data) fixes the range up front and removes the order dependence.
//
// Non-finite values (NaN, +-inf) are counted in nonfinite_count() and left out of min/max and the histogram: one
// inf would otherwise make the range infinite and every other bin empty.
class HistogramCollector {
 public:
  static constexpr int kBins = 2048;

  explicit HistogramCollector(float initial_range = 0.0f);

  void add(const float* data, int64_t n);

  // Over the finite values seen; min() > max() until one arrives.
  float min() const { return min_; }
  float max() const { return max_; }
  float amax() const;  // max |x|: the MinMax calibrator's threshold
  int64_t count() const { return count_; }
  int64_t nonfinite_count() const { return nonfinite_; }
  const Histogram& histogram() const { return hist_; }

 private:
  void grow_to(float amax);
  void bin(const float* data, int64_t n);

  Histogram hist_;
  float min_;
  float max_;
  int64_t count_ = 0;
  int64_t nonfinite_ = 0;
};

}  // namespace tandem
