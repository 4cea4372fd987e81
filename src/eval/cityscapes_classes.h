// The 19 Cityscapes train ids that segmentation heads predict, their names, and the ignore label.
#pragma once

#include <cstdint>

namespace tandem {

inline constexpr int kNumCityscapesClasses = 19;
inline constexpr uint8_t kIgnoreLabel = 255;

// "road", "sidewalk", ... "bicycle" for train ids 0..18; "?" otherwise.
const char* cityscapes_class_name(int train_id);

}  // namespace tandem
