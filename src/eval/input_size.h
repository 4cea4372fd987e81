// The model input's H x W: parsed from "--shape HxW", or taken from the frame, and checked against the stride the
// model needs (MTNet: 32, the encoder's output stride).
#pragma once

#include <optional>
#include <string>

#include "core/status.h"

namespace tandem {

struct ImageSize {
  int height = 0, width = 0;
};

inline constexpr int kInputStride = 32;

// "HxW" with positive decimal integers, e.g. "256x512".
Result<ImageSize> parse_image_size(const std::string& text);

// Both sides multiples of kInputStride (the error names `--shape`: the only place a size is requested).
Status check_requested_input_size(const ImageSize& size);

// The input size for a frame of frame_height x frame_width: `requested` if given, else the frame's own size; either
// way both sides must be multiples of kInputStride (the error says which and what to pass instead).
Result<ImageSize> model_input_size(int frame_height, int frame_width, const std::optional<ImageSize>& requested);

}  // namespace tandem
