// The palette tables. Inferno (CC0, van der Walt & Smith for matplotlib) is tabulated at every 8th of its 256 entries
// and interpolated linearly in between: at the sharpest bends (the start, the blue minimum near entry 200) the
// midpoints are within 1.5/255 of the full table, below what a colour bar lets the eye tell apart.
#include "eval/palette.h"

#include <algorithm>
#include <cmath>

#include "eval/cityscapes_classes.h"

namespace tandem {
namespace {

// Entries 0, 8, ..., 248 and 255 of matplotlib's 256-entry inferno table, as sRGB in [0, 1].
constexpr int kInfernoKnots = 33;
constexpr float kInferno[kInfernoKnots][3] = {
    {0.001462f, 0.000466f, 0.013866f}, {0.013995f, 0.011225f, 0.071862f}, {0.042253f, 0.028139f, 0.141141f},
    {0.081962f, 0.043328f, 0.215289f}, {0.129285f, 0.047293f, 0.290788f}, {0.183429f, 0.040329f, 0.354971f},
    {0.238273f, 0.036621f, 0.396353f}, {0.290763f, 0.045644f, 0.418637f}, {0.341500f, 0.062325f, 0.429425f},
    {0.391453f, 0.080927f, 0.433109f}, {0.441207f, 0.099338f, 0.431594f}, {0.491022f, 0.117179f, 0.425552f},
    {0.540920f, 0.134729f, 0.415123f}, {0.590734f, 0.152563f, 0.400290f}, {0.640135f, 0.171438f, 0.381065f},
    {0.688653f, 0.192239f, 0.357603f}, {0.735683f, 0.215906f, 0.330245f}, {0.780517f, 0.243327f, 0.299523f},
    {0.822386f, 0.275197f, 0.266085f}, {0.860533f, 0.311892f, 0.230606f}, {0.894305f, 0.353399f, 0.193584f},
    {0.923215f, 0.399359f, 0.155193f}, {0.946965f, 0.449191f, 0.115272f}, {0.965397f, 0.502249f, 0.073859f},
    {0.978422f, 0.557937f, 0.034931f}, {0.985952f, 0.615750f, 0.025592f}, {0.987874f, 0.675267f, 0.065257f},
    {0.984075f, 0.736087f, 0.129527f}, {0.974638f, 0.797692f, 0.206332f}, {0.960626f, 0.859069f, 0.298010f},
    {0.947594f, 0.917399f, 0.410665f}, {0.954529f, 0.965896f, 0.540361f}, {0.988362f, 0.998364f, 0.644924f},
};

// The table index (0..255) of knot k: every 8th entry, then the last one.
float knot_index(int k) { return static_cast<float>(std::min(8 * k, 255)); }

uint8_t to_byte(float v) { return static_cast<uint8_t>(std::clamp(std::lround(v * 255.0f), 0L, 255L)); }

}  // namespace

Rgb cityscapes_color(int train_id) {
  static const Rgb kPalette[kNumCityscapesClasses] = {{128, 64, 128},  {244, 35, 232},  {70, 70, 70},   {102, 102, 156},
                                                      {190, 153, 153}, {153, 153, 153}, {250, 170, 30}, {220, 220, 0},
                                                      {107, 142, 35},  {152, 251, 152}, {70, 130, 180}, {220, 20, 60},
                                                      {255, 0, 0},     {0, 0, 142},     {0, 0, 70},     {0, 60, 100},
                                                      {0, 80, 100},    {0, 0, 230},     {119, 11, 32}};
  return train_id >= 0 && train_id < kNumCityscapesClasses ? kPalette[train_id] : Rgb{};
}

Rgb inferno_color(float t) {
  float index = (t > 0 ? std::min(t, 1.0f) : 0.0f) * 255.0f;  // `t > 0` is false for NaN
  int k = std::min(static_cast<int>(index / 8.0f), kInfernoKnots - 2);
  float f = std::clamp((index - knot_index(k)) / (knot_index(k + 1) - knot_index(k)), 0.0f, 1.0f);
  const float* a = kInferno[k];
  const float* b = kInferno[k + 1];
  return {to_byte(a[0] + f * (b[0] - a[0])), to_byte(a[1] + f * (b[1] - a[1])), to_byte(a[2] + f * (b[2] - a[2]))};
}

}  // namespace tandem
