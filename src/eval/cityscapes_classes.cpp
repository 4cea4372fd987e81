// Cityscapes train-id names, in train-id order (cityscapesscripts' labels.py).
#include "eval/cityscapes_classes.h"

namespace tandem {

const char* cityscapes_class_name(int train_id) {
  static const char* const kNames[kNumCityscapesClasses] = {
      "road", "sidewalk", "building", "wall", "fence", "pole", "traffic light", "traffic sign", "vegetation", "terrain",
      "sky",  "person",   "rider",    "car",  "truck", "bus",  "train",         "motorcycle",   "bicycle"};
  return train_id >= 0 && train_id < kNumCityscapesClasses ? kNames[train_id] : "?";
}

}  // namespace tandem
