// Per-image depth errors (double accumulators: a 512x1024 image has half a million terms) and their mean.
#include "eval/depth_metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace tandem {

DepthErrors depth_errors(const float* gt, const float* pred, int64_t n, int64_t* valid_pixels) {
  constexpr double kT1 = 1.25, kT2 = 1.25 * 1.25, kT3 = 1.25 * 1.25 * 1.25;
  DepthErrors e;
  double sq_sum = 0, sq_log_sum = 0;
  int64_t valid = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (!(gt[i] > kMinDepth && gt[i] <= kMaxDepth)) continue;
    double g = gt[i];
    double p = std::fmin(std::fmax(pred[i], kMinDepth), kMaxDepth);  // fmax drops a NaN
    double d = g - p, ratio = std::max(g / p, p / g), dlog = std::log(g) - std::log(p);
    e.abs_rel += std::fabs(d) / g;
    e.sq_rel += d * d / g;
    sq_sum += d * d;
    sq_log_sum += dlog * dlog;
    e.delta1 += ratio < kT1;
    e.delta2 += ratio < kT2;
    e.delta3 += ratio < kT3;
    ++valid;
  }
  if (valid_pixels) *valid_pixels = valid;
  if (valid == 0) return e;
  double inv = 1.0 / static_cast<double>(valid);
  e.abs_rel *= inv;
  e.sq_rel *= inv;
  e.rmse = std::sqrt(sq_sum * inv);
  e.rmse_log = std::sqrt(sq_log_sum * inv);
  e.delta1 *= inv;
  e.delta2 *= inv;
  e.delta3 *= inv;
  return e;
}

void DepthAccumulator::add(const float* gt, const float* pred, int64_t n) {
  int64_t valid = 0;
  DepthErrors e = depth_errors(gt, pred, n, &valid);
  if (valid == 0) {
    ++skipped_;
    return;
  }
  sum_.abs_rel += e.abs_rel;
  sum_.sq_rel += e.sq_rel;
  sum_.rmse += e.rmse;
  sum_.rmse_log += e.rmse_log;
  sum_.delta1 += e.delta1;
  sum_.delta2 += e.delta2;
  sum_.delta3 += e.delta3;
  ++images_;
}

DepthErrors DepthAccumulator::mean() const {
  double inv = images_ > 0 ? 1.0 / static_cast<double>(images_) : std::numeric_limits<double>::quiet_NaN();
  return {sum_.abs_rel * inv, sum_.sq_rel * inv, sum_.rmse * inv,  sum_.rmse_log * inv,
          sum_.delta1 * inv,  sum_.delta2 * inv, sum_.delta3 * inv};
}

}  // namespace tandem
