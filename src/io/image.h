// 8-bit RGB images in, the model's input tensor out (the preprocessing the reference model was trained with).
#pragma once

#include <string>

#include "core/status.h"
#include "core/tensor.h"

namespace tandem {

struct ImageU8 {
  int width = 0, height = 0;
  std::vector<uint8_t> rgb;  // height * width * 3, row-major
};

Result<ImageU8> load_image(const std::string& path);
Status save_png(const ImageU8& image, const std::string& path);

// Bilinear resize to height x width, then ImageNet mean/std normalisation (mean 123.675/116.28/103.53,
// std 58.395/57.12/57.375 on 0-255 RGB, as the webinar's code), as float32 [1,3,H,W].
Tensor preprocess_imagenet(const ImageU8& image, int64_t height, int64_t width);

}  // namespace tandem
