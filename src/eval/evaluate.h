// Scoring configurations on a frame source: segmentation and depth metrics for each, and, with a reference, how far
// the candidate's outputs are from the reference's on identical inputs.
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "core/status.h"
#include "eval/compare.h"
#include "eval/configuration.h"
#include "eval/depth_metrics.h"
#include "eval/frame_source.h"
#include "eval/input_size.h"
#include "eval/seg_metrics.h"

namespace tandem {

struct ConfigurationScores {
  SegmentationScores segmentation;
  DepthErrors depth;
  int64_t depth_images = 0;          // frames in the depth means
  int64_t depth_images_skipped = 0;  // frames without a valid ground-truth depth pixel
  std::vector<double> run_ms;        // per frame, time inside the configuration (the first includes engine builds)
};

struct EvalOptions {
  std::optional<ImageSize> input_size;  // model input H x W; default: each frame's own size
};

struct EvalReport {
  int64_t frames = 0;
  ConfigurationScores candidate;
  std::optional<ConfigurationScores> reference;
  std::optional<Comparison> comparison;  // reference vs candidate
  double seconds = 0;                    // wall time of the whole loop (frames, runs, scoring)
};

// Called after each frame with (frames done, total).
using ProgressCallback = std::function<void(int64_t done, int64_t total)>;

// Runs every frame of `source` through `candidate` (and `reference` on the same input tensor, when not null),
// post-processes to the frame's size and scores against its labels and depth. Stops at the first error, naming the
// frame.
Result<EvalReport> evaluate(const FrameSource& source, const Configuration& candidate, const Configuration* reference,
                            const EvalOptions& options, const ProgressCallback& progress = {});

// The median of per-frame times (the mean of the middle two for an even count; 0 for none).
double median_ms(std::vector<double> times);

}  // namespace tandem
