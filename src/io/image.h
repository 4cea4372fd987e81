// 8-bit RGB images in, the model's input tensor out (the preprocessing the reference model was trained with),
// and the one guarded decoder every image Tandem reads goes through.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"

namespace tandem {

// Image files are untrusted too: a PNG of a few kilobytes can declare 100000 x 100000 pixels (a decompression
// bomb), so the pixel count is checked from the header before anything is decoded.
inline constexpr int64_t kMaxImagePixels = int64_t{1} << 27;  // 134 megapixels, e.g. 16384 x 8192
inline constexpr uint64_t kMaxImageFileBytes = uint64_t{1} << 30;

struct ImageU8 {
  int width = 0, height = 0;
  std::vector<uint8_t> rgb;  // height * width * 3, row-major
};

// Pixels as decoded: width * height * channels samples, row-major, 8 or 16 bits each.
struct DecodedImage {
  int width = 0, height = 0, channels = 0;
  bool sixteen_bit = false;           // as the file stores it
  std::vector<uint8_t> u8;            // filled when decoded to 8 bits
  std::vector<uint16_t> u16;          // filled when decoded to 16 bits
};

// Decodes PNG, JPEG, BMP, PNM or TGA. `channels` 1..4 converts to that many, 0 keeps the file's; `sixteen_bit`
// decodes to 16-bit samples. Only a regular file of at most kMaxImageFileBytes; a 0x0 image, one over
// kMaxImagePixels, and a file that ends before its pixels do (a truncated BMP would otherwise come back
// zero-filled) are errors. `expect_channels` / `expect_16bit` (when >= 0) make a file with other properties an
// error instead of converting it.
struct ImageDecodeOptions {
  int channels = 0;
  bool sixteen_bit = false;
  int expect_channels = -1;
  int expect_16bit = -1;
};
Result<DecodedImage> decode_image_file(const std::string& path, const ImageDecodeOptions& options);

Result<ImageU8> load_image(const std::string& path);
Status save_png(const ImageU8& image, const std::string& path);

// Bilinear resize to height x width, then ImageNet mean/std normalisation (mean 123.675/116.28/103.53,
// std 58.395/57.12/57.375 on 0-255 RGB, as the webinar's code), as float32 [1,3,H,W].
Result<Tensor> preprocess_imagenet(const ImageU8& image, int64_t height, int64_t width);

}  // namespace tandem
