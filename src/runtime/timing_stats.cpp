// TimingStats: trtexec's percentile and median conventions.
#include "runtime/timing_stats.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace tandem {

double percentile_sorted(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto n = static_cast<int64_t>(sorted.size());
  const auto k = static_cast<int64_t>(std::floor((1.0 - p / 100.0) * static_cast<double>(n)));
  return sorted[static_cast<size_t>(std::max<int64_t>(n - 1 - k, 0))];
}

TimingStats summarize(std::vector<double> values) {
  TimingStats s;
  s.count = static_cast<int64_t>(values.size());
  if (values.empty()) return s;
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  s.min = values.front();
  s.max = values.back();
  double sum = 0;
  for (double v : values) sum += v;
  s.mean = sum / static_cast<double>(n);
  s.median = n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
  s.p90 = percentile_sorted(values, 90);
  s.p95 = percentile_sorted(values, 95);
  s.p99 = percentile_sorted(values, 99);
  double var = 0;
  for (double v : values) var += (v - s.mean) * (v - s.mean);
  s.stddev = std::sqrt(var / static_cast<double>(n));
  return s;
}

}  // namespace tandem
