// Semantic segmentation scores the Cityscapes / mmseg way: one confusion matrix over the whole set, then per-class
// IoU, mIoU and pixel accuracy.
#pragma once

#include <array>
#include <cstdint>

#include "core/status.h"
#include "eval/cityscapes_classes.h"

namespace tandem {

struct ClassScore {
  int64_t intersection = 0;  // pixels labelled c and predicted c
  int64_t union_ = 0;        // labelled c or predicted c (ignored pixels never count)
  int64_t gt_pixels = 0;     // labelled c
  int64_t pred_pixels = 0;   // predicted c, on non-ignored pixels
  double iou = 0;            // intersection / union; NaN when the class has no ground-truth pixels in the set
};

struct SegmentationScores {
  std::array<ClassScore, kNumCityscapesClasses> classes;
  int classes_present = 0;    // classes with ground-truth pixels somewhere in the set
  double miou = 0;            // mean IoU over those classes (NaN if none)
  double pixel_accuracy = 0;  // correct / labelled pixels (NaN if none)
  int64_t labelled_pixels = 0;
};

// Rows: ground truth, columns: prediction, summed over every frame added.
class ConfusionMatrix {
 public:
  // `label`: n train ids (0..18, or 255 = ignore); `pred`: n predicted ids (0..18). Any other value is an error and
  // leaves the matrix unchanged.
  Status add(const uint8_t* label, const uint8_t* pred, int64_t n);
  int64_t at(int gt, int pred) const { return counts_[static_cast<size_t>(gt) * kNumCityscapesClasses + pred]; }

  // IoU per class; mIoU as the NaN-mean over classes that appear in the ground truth of the whole set. A class that is
  // only predicted (no ground-truth pixel anywhere) is left out of the mean rather than counted as IoU 0.
  SegmentationScores scores() const;

 private:
  std::array<int64_t, kNumCityscapesClasses * kNumCityscapesClasses> counts_{};
};

}  // namespace tandem
