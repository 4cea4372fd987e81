// How far a deployment's outputs are from the reference's on the same inputs: what the user sees (argmax agreement,
// depth error in metres) and what the tensors say (max abs error, cosine similarity per output).
#pragma once

#include <cstdint>

#include "core/status.h"
#include "eval/postprocess.h"
#include "eval/task_outputs.h"

namespace tandem {

struct TensorAgreement {
  double max_abs_error = 0;
  double cosine = 1;            // over every element of every frame, as one long vector
  double min_frame_cosine = 1;  // the worst single frame
};

struct Comparison {
  int64_t frames = 0;
  double seg_agreement = 1;         // fraction of pixels whose argmax class is the same in both
  double depth_mean_rel_error = 0;  // mean over pixels of |d - d_ref| / d_ref (d_ref clamped to >= kMinDepth)
  double depth_max_abs_error = 0;   // metres
  TensorAgreement seg_logits, depth;
};

// Cosine similarity of two vectors; 1 when both are zero, 0 when only one is.
double cosine_similarity(const float* a, const float* b, int64_t n);

class ComparisonAccumulator {
 public:
  // One frame: raw outputs and their post-processed predictions, reference first. Shapes must agree.
  Status add(const TaskOutputs& reference, const Prediction& reference_pred, const TaskOutputs& candidate,
             const Prediction& candidate_pred);
  Comparison result() const;

 private:
  struct TensorSums {
    double dot = 0, norm_a = 0, norm_b = 0, max_abs = 0, min_cosine = 1;
  };
  static Status add_tensor(const Tensor& a, const Tensor& b, const char* name, TensorSums& sums);

  int64_t frames_ = 0;
  int64_t pixels_ = 0, same_class_ = 0;
  int64_t depth_pixels_ = 0;
  double depth_rel_sum_ = 0, depth_max_abs_ = 0;
  TensorSums seg_, depth_;
};

}  // namespace tandem
