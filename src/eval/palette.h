// Colours for pictures of predictions: the Cityscapes class palette and the inferno colour map for depth.
#pragma once

#include <cstdint>

namespace tandem {

struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
  bool operator==(const Rgb&) const = default;
};

// The Cityscapes colour of train id 0..18 (road (128,64,128) ... bicycle (119,11,32)); black for 255 and anything else.
Rgb cityscapes_color(int train_id);

// matplotlib's inferno at t in [0, 1] (clamped; NaN reads as 0): black -> purple -> orange -> pale yellow. It is
// perceptually uniform and its lightness rises monotonically, so depth order survives greyscale printing and the
// common colour-vision deficiencies, which turbo and jet do not guarantee.
Rgb inferno_color(float t);

}  // namespace tandem
