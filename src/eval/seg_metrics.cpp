// Confusion-matrix accumulation and the IoU family of scores derived from it.
#include "eval/seg_metrics.h"

#include <limits>

namespace tandem {

Status ConfusionMatrix::add(const uint8_t* label, const uint8_t* pred, int64_t n) {
  // Validate everything first so a bad frame leaves no partial counts behind.
  for (int64_t i = 0; i < n; ++i) {
    TANDEM_CHECK_OR_RETURN(label[i] < kNumCityscapesClasses || label[i] == kIgnoreLabel, kInvalidArgument,
                           "label %d at pixel %lld is neither a train id (0..18) nor 255 (ignore)", label[i],
                           static_cast<long long>(i));
    TANDEM_CHECK_OR_RETURN(pred[i] < kNumCityscapesClasses, kInvalidArgument,
                           "predicted class %d at pixel %lld is not a train id (0..18)", pred[i],
                           static_cast<long long>(i));
  }
  for (int64_t i = 0; i < n; ++i)
    if (label[i] != kIgnoreLabel) ++counts_[static_cast<size_t>(label[i]) * kNumCityscapesClasses + pred[i]];
  return Status::ok();
}

SegmentationScores ConfusionMatrix::scores() const {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  SegmentationScores s;
  int64_t correct = 0;
  for (int c = 0; c < kNumCityscapesClasses; ++c) {
    ClassScore& cs = s.classes[static_cast<size_t>(c)];
    for (int k = 0; k < kNumCityscapesClasses; ++k) {
      cs.gt_pixels += at(c, k);
      cs.pred_pixels += at(k, c);
    }
    cs.intersection = at(c, c);
    cs.union_ = cs.gt_pixels + cs.pred_pixels - cs.intersection;
    correct += cs.intersection;
    s.labelled_pixels += cs.gt_pixels;
  }
  double iou_sum = 0;
  for (ClassScore& cs : s.classes) {
    if (cs.gt_pixels == 0) {
      cs.iou = kNaN;
      continue;
    }
    cs.iou = static_cast<double>(cs.intersection) / static_cast<double>(cs.union_);
    iou_sum += cs.iou;
    ++s.classes_present;
  }
  s.miou = s.classes_present > 0 ? iou_sum / s.classes_present : kNaN;
  s.pixel_accuracy =
      s.labelled_pixels > 0 ? static_cast<double>(correct) / static_cast<double>(s.labelled_pixels) : kNaN;
  return s;
}

}  // namespace tandem
