// Depth errors the monodepth2 / KITTI Eigen way: seven metrics per image on valid pixels, then the mean over images.
#pragma once

#include <cstdint>

#include "core/status.h"

namespace tandem {

// Ground truth counts where it lies in (kMinDepth, kMaxDepth]; predictions are clamped to [kMinDepth, kMaxDepth].
inline constexpr float kMinDepth = 1e-3f;
inline constexpr float kMaxDepth = 80.0f;

struct DepthErrors {
  double abs_rel = 0;   // mean |g - p| / g
  double sq_rel = 0;    // mean (g - p)^2 / g
  double rmse = 0;      // sqrt(mean (g - p)^2), metres
  double rmse_log = 0;  // sqrt(mean (ln g - ln p)^2)
  double delta1 = 0;    // fraction with max(g/p, p/g) < 1.25
  double delta2 = 0;    // ... < 1.25^2
  double delta3 = 0;    // ... < 1.25^3
};

// The errors of one image over its valid pixels; `valid_pixels` gets their count (0: the errors are meaningless).
// A NaN prediction is clamped to kMinDepth, so it counts as a bad prediction instead of poisoning the means.
DepthErrors depth_errors(const float* gt, const float* pred, int64_t n, int64_t* valid_pixels);

// Averages per-image errors (each image weighs the same, however many valid pixels it has).
class DepthAccumulator {
 public:
  // Adds one image; one without valid pixels is counted in images_skipped() and left out of the means.
  void add(const float* gt, const float* pred, int64_t n);
  int64_t images() const { return images_; }
  int64_t images_skipped() const { return skipped_; }
  // Means over the images added (all NaN if none had valid pixels).
  DepthErrors mean() const;

 private:
  DepthErrors sum_;
  int64_t images_ = 0, skipped_ = 0;
};

}  // namespace tandem
