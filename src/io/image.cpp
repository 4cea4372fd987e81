// Image loading (stb_image: PNG, JPEG, BMP, ...), PNG writing and model preprocessing.
#include "io/image.h"

#include <algorithm>
#include <cmath>

#define STB_IMAGE_IMPLEMENTATION
#define STBI_FAILURE_USERMSG
#include <stb/stb_image.h>
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>

namespace tandem {

Result<ImageU8> load_image(const std::string& path) {
  int w = 0, h = 0, c = 0;
  unsigned char* data = stbi_load(path.c_str(), &w, &h, &c, 3);
  if (!data) return Status(Code::kInvalidArgument, "cannot read image '" + path + "': " + stbi_failure_reason());
  ImageU8 img;
  img.width = w;
  img.height = h;
  img.rgb.assign(data, data + static_cast<size_t>(w) * h * 3);
  stbi_image_free(data);
  return img;
}

Status save_png(const ImageU8& image, const std::string& path) {
  int ok = stbi_write_png(path.c_str(), image.width, image.height, 3, image.rgb.data(), image.width * 3);
  TANDEM_CHECK_OR_RETURN(ok, kIoError, "cannot write '%s'", path.c_str());
  return Status::ok();
}

Tensor preprocess_imagenet(const ImageU8& image, int64_t height, int64_t width) {
  static const float kMean[3] = {123.675f, 116.28f, 103.53f};
  static const float kStd[3] = {58.395f, 57.12f, 57.375f};
  Tensor t = Tensor::make(DType::kFloat32, {1, 3, height, width});
  float* out = t.data<float>();
  float sy = static_cast<float>(image.height) / static_cast<float>(height);
  float sx = static_cast<float>(image.width) / static_cast<float>(width);
  for (int64_t y = 0; y < height; ++y) {
    // half-pixel centres, as PyTorch's bilinear with align_corners=False
    float fy = std::clamp((static_cast<float>(y) + 0.5f) * sy - 0.5f, 0.0f, static_cast<float>(image.height - 1));
    int y0 = static_cast<int>(fy), y1 = std::min(y0 + 1, image.height - 1);
    float wy = fy - static_cast<float>(y0);
    for (int64_t x = 0; x < width; ++x) {
      float fx = std::clamp((static_cast<float>(x) + 0.5f) * sx - 0.5f, 0.0f, static_cast<float>(image.width - 1));
      int x0 = static_cast<int>(fx), x1 = std::min(x0 + 1, image.width - 1);
      float wx = fx - static_cast<float>(x0);
      for (int c = 0; c < 3; ++c) {
        auto px = [&](int yy, int xx) { return static_cast<float>(image.rgb[(static_cast<size_t>(yy) * image.width + xx) * 3 + c]); };
        float v = (1 - wy) * ((1 - wx) * px(y0, x0) + wx * px(y0, x1)) + wy * ((1 - wx) * px(y1, x0) + wx * px(y1, x1));
        out[(c * height + y) * width + x] = (v - kMean[c]) / kStd[c];
      }
    }
  }
  return t;
}

}  // namespace tandem
