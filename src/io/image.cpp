// Image loading (libjpeg-turbo for JPEG; stb_image for PNG, BMP, PNM and TGA), PNG writing and model preprocessing.
#include "io/image.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>

// stb_image allocates as its decoders ask, and its zlib grows an output buffer for as long as the compressed
// stream goes on: a PNG of 8x8 pixels whose IDAT inflates to gigabytes would be inflated in full before the
// size mismatch is noticed. Every stb allocation goes through here, and none may pass the bound the image's own
// header gives (decode_image_file sets it), so such a stream fails at its first growth instead.
namespace {
thread_local size_t g_stbi_max_alloc = SIZE_MAX;
void* stbi_bounded_malloc(size_t n) { return n > g_stbi_max_alloc ? nullptr : std::malloc(n); }
void* stbi_bounded_realloc(void* p, size_t n) { return n > g_stbi_max_alloc ? nullptr : std::realloc(p, n); }
}  // namespace
#define STBI_MALLOC(sz) stbi_bounded_malloc(sz)
#define STBI_REALLOC(p, newsz) stbi_bounded_realloc(p, newsz)
#define STBI_FREE(p) std::free(p)

// Only the formats Tandem documents: each decoder is attack surface, and GIF/PSD/PIC/HDR are not camera formats.
// JPEG goes to libjpeg-turbo instead (jpeg_decoder.h says why).
#define STB_IMAGE_IMPLEMENTATION
#define STBI_FAILURE_USERMSG
#define STBI_ONLY_PNG
#define STBI_ONLY_BMP
#define STBI_ONLY_PNM
#define STBI_ONLY_TGA
#include <stb/stb_image.h>
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>

#include "core/checked_size.h"
#include "core/memory_limit.h"
#include "core/regular_file.h"
#include "io/image_structure.h"
#include "io/jpeg_decoder.h"

namespace tandem {
namespace {

// stb_image's callbacks over a file's bytes, noticing when a decoder reads past the end: stb answers such reads
// with zeros, so a truncated BMP, PNM, TGA or JPEG would decode "successfully" with its missing rows black.
// stb asks for bytes two ways: refilling its own 128-byte buffer (a short answer is normal at the end; an empty
// one means the decoder wants a byte the file does not have) and reading straight into its caller's buffer
// (stbi__getn: any short answer leaves the rest of that buffer unwritten).
class TruncationWatch {
 public:
  TruncationWatch(const std::string& bytes, const stbi__context* ctx) : bytes_(bytes), ctx_(ctx) {}
  static stbi_io_callbacks callbacks() { return {&read, &skip, &eof}; }
  bool read_past_end() const { return past_end_; }

 private:
  static int read(void* user, char* data, int size) {
    auto* w = static_cast<TruncationWatch*>(user);
    const size_t left = w->bytes_.size() - w->pos_;
    const size_t n = std::min(left, static_cast<size_t>(std::max(size, 0)));
    std::memcpy(data, w->bytes_.data() + w->pos_, n);
    w->pos_ += n;
    const bool refill = reinterpret_cast<const unsigned char*>(data) == w->ctx_->buffer_start;
    if (size > 0 && (n == 0 || (!refill && n < static_cast<size_t>(size)))) w->past_end_ = true;
    return static_cast<int>(n);
  }
  static void skip(void* user, int n) {
    auto* w = static_cast<TruncationWatch*>(user);
    const int64_t to = static_cast<int64_t>(w->pos_) + n;
    w->pos_ = static_cast<size_t>(std::clamp<int64_t>(to, 0, static_cast<int64_t>(w->bytes_.size())));
  }
  static int eof(void* user) {
    auto* w = static_cast<TruncationWatch*>(user);
    return w->pos_ >= w->bytes_.size();
  }

  const std::string& bytes_;
  const stbi__context* ctx_;
  size_t pos_ = 0;
  bool past_end_ = false;
};

}  // namespace

Result<DecodedImage> decode_image_file(const std::string& path, const ImageDecodeOptions& options) {
  TANDEM_ASSIGN_OR_RETURN(std::string bytes, read_regular_file(path, kMaxImageFileBytes, "image"));
  auto error = [&](const std::string& what) {
    return Status(Code::kInvalidArgument, "cannot read image '" + path + "': " + what);
  };
  // What every decoder's header must pass before a pixel is decoded.
  auto check_header = [&](const DecodedImage& h) -> Status {
    if (h.width <= 0 || h.height <= 0) return error(format("it is %dx%d pixels", h.width, h.height));
    if (static_cast<int64_t>(h.width) * h.height > kMaxImagePixels)
      return error(format("%dx%d pixels is over the limit of %lld", h.width, h.height,
                          static_cast<long long>(kMaxImagePixels)));
    if (options.expect_channels >= 0 && h.channels != options.expect_channels)
      return error(format("it has %d channel(s), expected %d", h.channels, options.expect_channels));
    if (options.expect_16bit >= 0 && h.sixteen_bit != (options.expect_16bit != 0))
      return error(h.sixteen_bit ? "it has 16-bit samples, expected 8-bit" : "it has 8-bit samples, expected 16-bit");
    const size_t channels = static_cast<size_t>(options.channels > 0 ? options.channels : h.channels);
    const size_t samples = static_cast<size_t>(h.width) * static_cast<size_t>(h.height) * channels;
    return check_size_within_limit(samples * (options.sixteen_bit ? 2 : 1), "image '" + path + "'");
  };
  if (looks_like_jpeg(bytes)) {
    Result<DecodedImage> jpeg = decode_jpeg(bytes, options, check_header);
    if (!jpeg.is_ok() && jpeg.status().message().rfind("cannot read image", 0) != 0)
      return error(jpeg.status().message());
    return jpeg;
  }
  TANDEM_RETURN_IF_ERROR_CTX(check_image_structure(bytes), "cannot read image '" + path + "'");
  const auto* data = reinterpret_cast<const stbi_uc*>(bytes.data());
  const int len = static_cast<int>(bytes.size());
  DecodedImage img;
  {
    stbi__context probe;
    stbi__start_mem(&probe, data, len);
    int w = 0, h = 0, c = 0;
    if (!stbi__info_main(&probe, &w, &h, &c)) return error(stbi_failure_reason());
    stbi__start_mem(&probe, data, len);
    img.sixteen_bit = stbi__is_16_main(&probe);
    img.width = w;
    img.height = h;
    img.channels = c;
  }
  TANDEM_RETURN_IF_ERROR(check_header(img));
  const int channels = options.channels > 0 ? options.channels : img.channels;
  const size_t samples = static_cast<size_t>(img.width) * static_cast<size_t>(img.height) * static_cast<size_t>(channels);

  // The largest buffer a decoder needs for this image: 4 channels of 16 bits (stb converts through such buffers),
  // one filter byte per row, and slack for headers and palettes.
  struct AllocBound {
    explicit AllocBound(size_t n) { g_stbi_max_alloc = n; }
    ~AllocBound() { g_stbi_max_alloc = SIZE_MAX; }
  } bound(static_cast<size_t>(img.width) * static_cast<size_t>(img.height) * 8 + static_cast<size_t>(img.height) * 8 +
          (size_t{1} << 20));
  stbi__context ctx;
  TruncationWatch watch(bytes, &ctx);
  stbi_io_callbacks cb = TruncationWatch::callbacks();
  stbi__start_callbacks(&ctx, &cb, &watch);
  int w = 0, h = 0, c = 0;
  void* pixels = options.sixteen_bit ? static_cast<void*>(stbi__load_and_postprocess_16bit(&ctx, &w, &h, &c, channels))
                                     : static_cast<void*>(stbi__load_and_postprocess_8bit(&ctx, &w, &h, &c, channels));
  if (!pixels) return error(stbi_failure_reason());
  if (watch.read_past_end() || w != img.width || h != img.height) {
    stbi_image_free(pixels);
    return error("the file is truncated (it ends before its pixel data does)");
  }
  img.channels = channels;
  if (options.sixteen_bit) {
    const auto* p = static_cast<const uint16_t*>(pixels);
    img.u16.assign(p, p + samples);
  } else {
    const auto* p = static_cast<const uint8_t*>(pixels);
    img.u8.assign(p, p + samples);
  }
  stbi_image_free(pixels);
  return img;
}

Result<ImageU8> load_image(const std::string& path) {
  TANDEM_ASSIGN_OR_RETURN(DecodedImage d, decode_image_file(path, {.channels = 3}));
  ImageU8 img;
  img.width = d.width;
  img.height = d.height;
  img.rgb = std::move(d.u8);
  return img;
}

Status save_png(const ImageU8& image, const std::string& path) {
  int ok = stbi_write_png(path.c_str(), image.width, image.height, 3, image.rgb.data(), image.width * 3);
  TANDEM_CHECK_OR_RETURN(ok, kIoError, "cannot write '%s'", path.c_str());
  return Status::ok();
}

Result<Tensor> preprocess_imagenet(const ImageU8& image, int64_t height, int64_t width) {
  static const float kMean[3] = {123.675f, 116.28f, 103.53f};
  static const float kStd[3] = {58.395f, 57.12f, 57.375f};
  TANDEM_CHECK_OR_RETURN(image.width > 0 && image.height > 0 &&
                             image.rgb.size() == static_cast<size_t>(image.width) * image.height * 3,
                         kInvalidArgument, "an image of %dx%d pixels cannot be a model input", image.width,
                         image.height);
  TANDEM_CHECK_OR_RETURN(height > 0 && width > 0, kInvalidArgument,
                         "the model input is %lldx%lld: an image cannot be resized to it",
                         static_cast<long long>(height), static_cast<long long>(width));
  TANDEM_ASSIGN_OR_RETURN(Tensor t, Tensor::allocate(DType::kFloat32, {1, 3, height, width}, "the image input"));
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
