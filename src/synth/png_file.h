// PNG files written by our own small encoder: 8-bit gray/RGB and 16-bit gray (the KITTI depth-map container,
// which stb_image_write cannot write). Reading goes through io/image's guarded decoder (stb_image), which decodes 16-bit PNGs exactly.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace tandem {

struct Gray16Image {
  int width = 0, height = 0;
  std::vector<uint16_t> pixels;  // height * width, row-major
};

// `pixels`: height * width * channels bytes, row-major; channels 1 (gray) or 3 (RGB).
Status write_png_u8(const std::string& path, int width, int height, int channels, const uint8_t* pixels);
Status write_png_gray16(const std::string& path, const Gray16Image& image);
// Fails (naming the file) unless it is a 16-bit single-channel PNG.
Result<Gray16Image> read_png_gray16(const std::string& path);

}  // namespace tandem
