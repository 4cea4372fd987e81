// Summary statistics of a list of times, with trtexec's conventions: percentile p of n sorted times is
// t[max(n - 1 - floor((1 - p/100) * n), 0)], an even-n median averages the two middle values, and the
// coefficient of variation flags unstable measurements.
#pragma once

#include <cstdint>
#include <vector>

namespace tandem {

struct TimingStats {
  int64_t count = 0;
  double min = 0, max = 0, mean = 0, median = 0, p90 = 0, p95 = 0, p99 = 0;
  double stddev = 0;
  double cv() const { return mean > 0 ? stddev / mean : 0; }  // coefficient of variation
};

TimingStats summarize(std::vector<double> values);
// trtexec's percentile on sorted values.
double percentile_sorted(const std::vector<double>& sorted, double p);

}  // namespace tandem
