// A SynthFrame on disk: NAME_rgb.png (8-bit RGB), NAME_label.png (8-bit gray, Cityscapes train ids, 255 = ignore)
// and NAME_depth.png (16-bit gray, value = round(metres * 256), 0 = no depth: the KITTI convention).
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"
#include "synth/synth_frame.h"

namespace tandem {

// Metres to the KITTI 16-bit value; depths that do not fit (>= 65535.5 / 256 m), negative or NaN give 0 (none).
uint16_t encode_depth_kitti(float metres);
inline float decode_depth_kitti(uint16_t v) { return static_cast<float>(v) / 256.0f; }

// Writes the three files into `dir` (which must exist).
Status write_synth_frame(const SynthFrame& frame, const std::string& dir, const std::string& name);
// Reads them back; depth comes back quantised to 1/256 m. Intrinsics are not stored and stay 0.
Result<SynthFrame> read_synth_frame(const std::string& dir, const std::string& name);

}  // namespace tandem
