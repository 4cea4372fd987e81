// A picture of one prediction: the input, the segmentation over it in the Cityscapes palette, and the depth in a colour
// map, side by side at the input's resolution, with a footer of titles, the main classes and a depth colour bar.
#pragma once

#include <cstdint>
#include <vector>

#include "core/status.h"
#include "eval/palette.h"
#include "eval/postprocess.h"
#include "io/image.h"

namespace tandem {

// Depth to colour on a log scale between near_m and far_m (near bright, far dark): equal ratios get equal steps, so
// the first metres in front of the car are not squeezed into one shade the way a linear 0..80 m scale would.
struct DepthScale {
  float near_m = 1.0f;
  float far_m = 80.0f;
  // 0 at near_m, 1 at far_m, clamped (NaN and non-positive depths read as far).
  float position(float metres) const;
  Rgb color(float metres) const;
};

// The labels' palette colours blended over the image with weight `alpha` (0: image only, 1: colours only).
ImageU8 blend_segmentation(const ImageU8& image, const std::vector<uint8_t>& labels, float alpha);
// Each depth value coloured by `scale`.
ImageU8 colorize_depth(const std::vector<float>& depth, int height, int width, const DepthScale& scale);

// The three panels (input | segmentation blended 50 % | depth) and the footer below them. `prediction` must have the
// image's size.
Result<ImageU8> render_prediction_panels(const ImageU8& image, const Prediction& prediction,
                                         const DepthScale& scale = {});

}  // namespace tandem
