// HistogramCollector: one min/max scan, then bin indices computed in vector-friendly blocks and counted into four
// interleaved sub-histograms (so consecutive equal bins, e.g. the zeros after a ReLU, do not serialise on one counter).
#include "quant/histogram.h"

#include <algorithm>
#include <array>
#include <cfloat>
#include <cmath>
#include <limits>

namespace tandem {
namespace {

struct BatchStats {
  float min = std::numeric_limits<float>::infinity();
  float max = -std::numeric_limits<float>::infinity();
  int64_t nonfinite = 0;
};

// Min/max over the finite values. Written as independent lanes of plain selects, which GCC turns into vminps/vmaxps
// and blends; a single running std::min would be a loop-carried scalar dependence the compiler may not reorder.
BatchStats scan(const float* x, int64_t n) {
  constexpr int kLanes = 16;
  float lo[kLanes], hi[kLanes];
  int32_t bad[kLanes];
  for (int j = 0; j < kLanes; ++j) {
    lo[j] = std::numeric_limits<float>::infinity();
    hi[j] = -std::numeric_limits<float>::infinity();
    bad[j] = 0;
  }
  BatchStats s;
  // The lane counters are int32: fold them into s.nonfinite every 2^30 elements.
  constexpr int64_t kFlush = int64_t{1} << 30;
  const int64_t full = n - n % kLanes;
  for (int64_t c0 = 0; c0 < full; c0 += kFlush) {
    const int64_t c1 = std::min(full, c0 + kFlush);
    for (int64_t i = c0; i < c1; i += kLanes) {
      for (int j = 0; j < kLanes; ++j) {
        float v = x[i + j];
        bool finite = std::fabs(v) <= FLT_MAX;  // false for NaN and +-inf
        bad[j] += finite ? 0 : 1;
        lo[j] = finite && v < lo[j] ? v : lo[j];
        hi[j] = finite && v > hi[j] ? v : hi[j];
      }
    }
    for (int j = 0; j < kLanes; ++j) {
      s.nonfinite += bad[j];
      bad[j] = 0;
    }
  }
  for (int64_t i = full; i < n; ++i) {
    float v = x[i];
    if (!(std::fabs(v) <= FLT_MAX)) {
      ++s.nonfinite;
      continue;
    }
    lo[0] = std::min(lo[0], v);
    hi[0] = std::max(hi[0], v);
  }
  for (int j = 0; j < kLanes; ++j) {
    s.min = std::min(s.min, lo[j]);
    s.max = std::max(s.max, hi[j]);
  }
  return s;
}

}  // namespace

uint64_t Histogram::total() const {
  uint64_t t = 0;
  for (uint64_t c : counts) t += c;
  return t;
}

HistogramCollector::HistogramCollector(float initial_range)
    : min_(std::numeric_limits<float>::infinity()), max_(-std::numeric_limits<float>::infinity()) {
  hist_.counts.assign(kBins, 0);
  hist_.range = std::isfinite(initial_range) && initial_range > 0 ? initial_range : 0.0;
}

float HistogramCollector::amax() const { return count_ == 0 ? 0.0f : std::max(-min_, max_); }

void HistogramCollector::add(const float* data, int64_t n) {
  if (n <= 0) return;
  BatchStats s = scan(data, n);
  nonfinite_ += s.nonfinite;
  int64_t finite = n - s.nonfinite;
  if (finite == 0) return;
  min_ = std::min(min_, s.min);
  max_ = std::max(max_, s.max);
  count_ += finite;
  float batch_amax = std::max(-s.min, s.max);
  if (batch_amax > hist_.range) grow_to(batch_amax);
  if (hist_.range == 0.0) {
    hist_.counts[0] += static_cast<uint64_t>(finite);  // all zeros so far: bin 0 of whatever range comes later
    return;
  }
  bin(data, n);
  // bin() sends NaN and inf to the last bin (see there); take them back out.
  hist_.counts[kBins - 1] -= static_cast<uint64_t>(s.nonfinite);
}

void HistogramCollector::grow_to(float amax) {
  if (hist_.range == 0.0) {  // first non-zero data: zeros counted so far stay in bin 0
    hist_.range = amax;
    return;
  }
  // range is a double so that doubling from a float amax can neither round nor overflow.
  int64_t factor = 1;
  double range = hist_.range;
  while (range < amax) {
    range *= 2.0;
    if (factor < kBins) factor *= 2;  // beyond kBins everything merges into bin 0 anyway
  }
  hist_.range = range;
  std::vector<uint64_t>& c = hist_.counts;
  if (factor >= kBins) {
    uint64_t all = hist_.total();
    std::fill(c.begin(), c.end(), 0);
    c[0] = all;
    return;
  }
  // New bin j = old bins [j*factor, (j+1)*factor): in place, since j*factor >= j.
  const int new_used = kBins / static_cast<int>(factor);
  for (int j = 0; j < new_used; ++j) {
    uint64_t sum = 0;
    for (int k = 0; k < factor; ++k) sum += c[j * factor + k];
    c[j] = sum;
  }
  std::fill(c.begin() + new_used, c.end(), 0);
}

void HistogramCollector::bin(const float* data, int64_t n) {
  // Bin index in float32: (int)min(|x| * bins/range, bins-1). The select form makes NaN and inf land in the last bin
  // (the comparison is false for NaN), so the loop needs no branch and no out-of-range conversion; add() corrects the
  // last bin afterwards. A value within an ulp of a bin edge may land in the neighbouring bin (numpy decides in
  // float64 and then nudges by comparing with the edges); that moves single counts, not the shape.
  const double inv = kBins / hist_.range;
  if (inv > FLT_MAX) {  // a range below ~6e-36 (denormal data): bins/range overflows float, so index in double
    for (int64_t i = 0; i < n; ++i) {
      const double t = std::fabs(static_cast<double>(data[i])) * inv;
      ++hist_.counts[t < kBins - 1 ? static_cast<int>(t) : kBins - 1];  // NaN and inf: last bin, as below
    }
    return;
  }
  const float inv_width = static_cast<float>(inv);
  constexpr float kLast = static_cast<float>(kBins - 1);
  constexpr int kBlock = 4096;
  constexpr int kWays = 4;
  // Sub-histogram counters are uint32: flush them into the uint64 counts every 2^31 elements.
  constexpr int64_t kFlush = int64_t{1} << 31;
  std::array<uint32_t, kWays * kBins> sub;
  alignas(64) int32_t idx[kBlock];
  for (int64_t flush_start = 0; flush_start < n; flush_start += kFlush) {
    const int64_t flush_end = std::min(n, flush_start + kFlush);
    sub.fill(0);
    for (int64_t start = flush_start; start < flush_end; start += kBlock) {
      const int m = static_cast<int>(std::min<int64_t>(kBlock, flush_end - start));
      const float* x = data + start;
      for (int j = 0; j < m; ++j) {
        float t = std::fabs(x[j]) * inv_width;
        idx[j] = static_cast<int32_t>(t < kLast ? t : kLast);
      }
      int j = 0;
      for (; j + kWays <= m; j += kWays) {
        ++sub[0 * kBins + idx[j + 0]];
        ++sub[1 * kBins + idx[j + 1]];
        ++sub[2 * kBins + idx[j + 2]];
        ++sub[3 * kBins + idx[j + 3]];
      }
      for (; j < m; ++j) ++sub[idx[j]];
    }
    for (int b = 0; b < kBins; ++b) {
      hist_.counts[b] += uint64_t{sub[b]} + sub[kBins + b] + sub[2 * kBins + b] + sub[3 * kBins + b];
    }
  }
}

}  // namespace tandem
