// Accumulating reference-vs-candidate differences over frames (double sums; the tensors hold millions of values).
#include "eval/compare.h"

#include <algorithm>
#include <cmath>

#include "eval/depth_metrics.h"

namespace tandem {
namespace {

double cosine_of(double dot, double norm_a, double norm_b) {
  if (norm_a == 0 && norm_b == 0) return 1;
  if (norm_a == 0 || norm_b == 0) return 0;
  return dot / std::sqrt(norm_a * norm_b);
}

// max/min that keep a NaN: a NaN anywhere in an output must show in the report, not vanish in std::max.
double max_or_nan(double a, double b) { return std::isnan(a) || std::isnan(b) ? std::nan("") : std::max(a, b); }
double min_or_nan(double a, double b) { return std::isnan(a) || std::isnan(b) ? std::nan("") : std::min(a, b); }

}  // namespace

double cosine_similarity(const float* a, const float* b, int64_t n) {
  double dot = 0, na = 0, nb = 0;
  for (int64_t i = 0; i < n; ++i) {
    dot += static_cast<double>(a[i]) * b[i];
    na += static_cast<double>(a[i]) * a[i];
    nb += static_cast<double>(b[i]) * b[i];
  }
  return cosine_of(dot, na, nb);
}

Status ComparisonAccumulator::add_tensor(const Tensor& a, const Tensor& b, const char* name, TensorSums& sums) {
  TANDEM_CHECK_OR_RETURN(a.dtype() == DType::kFloat32 && b.dtype() == DType::kFloat32 && a.shape() == b.shape(),
                         kInvalidArgument, "output '%s': reference is %s %s, candidate %s %s", name,
                         dtype_name(a.dtype()), shape_to_string(a.shape()).c_str(), dtype_name(b.dtype()),
                         shape_to_string(b.shape()).c_str());
  const float *pa = a.data<float>(), *pb = b.data<float>();
  double dot = 0, na = 0, nb = 0, max_abs = sums.max_abs;
  for (int64_t i = 0; i < a.numel(); ++i) {
    dot += static_cast<double>(pa[i]) * pb[i];
    na += static_cast<double>(pa[i]) * pa[i];
    nb += static_cast<double>(pb[i]) * pb[i];
    max_abs = max_or_nan(max_abs, std::fabs(static_cast<double>(pa[i]) - pb[i]));
  }
  sums.dot += dot;
  sums.norm_a += na;
  sums.norm_b += nb;
  sums.max_abs = max_abs;
  sums.min_cosine = min_or_nan(sums.min_cosine, cosine_of(dot, na, nb));
  return Status::ok();
}

Status ComparisonAccumulator::add(const TaskOutputs& reference, const Prediction& reference_pred,
                                  const TaskOutputs& candidate, const Prediction& candidate_pred) {
  TANDEM_CHECK_OR_RETURN(reference_pred.height == candidate_pred.height && reference_pred.width == candidate_pred.width,
                         kInvalidArgument, "predictions differ in size: %dx%d vs %dx%d", reference_pred.height,
                         reference_pred.width, candidate_pred.height, candidate_pred.width);
  TANDEM_RETURN_IF_ERROR(add_tensor(reference.seg_logits, candidate.seg_logits, kSegLogitsName, seg_));
  TANDEM_RETURN_IF_ERROR(add_tensor(reference.depth, candidate.depth, kDepthName, depth_));
  for (size_t i = 0; i < reference_pred.labels.size(); ++i)
    same_class_ += reference_pred.labels[i] == candidate_pred.labels[i];
  pixels_ += static_cast<int64_t>(reference_pred.labels.size());
  // Depth errors on the raw outputs: both configurations produce them at the same (model input) size.
  const float *dr = reference.depth.data<float>(), *dc = candidate.depth.data<float>();
  for (int64_t i = 0; i < reference.depth.numel(); ++i) {
    double d = std::fabs(static_cast<double>(dc[i]) - dr[i]);
    depth_rel_sum_ += d / std::max(static_cast<double>(dr[i]), static_cast<double>(kMinDepth));
    depth_max_abs_ = max_or_nan(depth_max_abs_, d);
  }
  depth_pixels_ += reference.depth.numel();
  ++frames_;
  return Status::ok();
}

Comparison ComparisonAccumulator::result() const {
  Comparison c;
  c.frames = frames_;
  c.seg_agreement = pixels_ > 0 ? static_cast<double>(same_class_) / static_cast<double>(pixels_) : 1;
  c.depth_mean_rel_error = depth_pixels_ > 0 ? depth_rel_sum_ / static_cast<double>(depth_pixels_) : 0;
  c.depth_max_abs_error = depth_max_abs_;
  auto agreement = [](const TensorSums& s) {
    return TensorAgreement{s.max_abs, cosine_of(s.dot, s.norm_a, s.norm_b), s.min_cosine};
  };
  c.seg_logits = agreement(seg_);
  c.depth = agreement(depth_);
  return c;
}

}  // namespace tandem
