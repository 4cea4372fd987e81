// SynthDrive: procedurally generated driving frames with exact Cityscapes labels and metric depth.
//
// A frame is a pure function of (seed, height, width, options): the same arguments give the same bytes on any
// machine and any thread (own PRNG and elementary functions, no global state, no FMA contraction).
#pragma once

#include <cstdint>
#include <vector>

#include "synth/scene.h"

namespace tandem {

struct SynthFrame {
  int width = 0, height = 0;
  std::vector<uint8_t> rgb;    // height * width * 3, row-major, 8-bit (gamma-encoded)
  std::vector<uint8_t> label;  // height * width Cityscapes train ids (0..18), 255 = ignore
  std::vector<float> depth;    // height * width metres along the optical axis; 0 = none (sky, beyond max_depth)
  float fx = 0, fy = 0, cx = 0, cy = 0;  // pinhole intrinsics, pixels (pixel centres at integer coordinates)
};

// The frame of `seed`. height and width must be positive (an empty frame otherwise).
SynthFrame synth_frame(uint64_t seed, int height, int width, const SynthOptions& options = {});

// Renders a scene from synth::build_scene, possibly edited (tests place objects at known positions).
SynthFrame render_scene(const synth::Scene& scene);

}  // namespace tandem
