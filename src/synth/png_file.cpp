// The PNG encoder: signature, IHDR, one IDAT (zlib), IEND, each chunk with its CRC-32; samples big-endian.
// Each row gets the filter (None, Sub, Up or Paeth) with the smallest sum of |signed bytes| (libpng's heuristic),
// and zlib runs at level 1: a frame's three files take ~10 ms instead of ~40 ms with stb_image_write, and come out
// smaller (the sensor noise makes harder deflate levels buy little).
#include "synth/png_file.h"

#include <array>
#include <cstdlib>
#include <fstream>

#include <zlib.h>

#include "io/image.h"

namespace tandem {
namespace {

void put_u32(std::vector<uint8_t>& out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(v >> s));
}

void put_chunk(std::vector<uint8_t>& out, const char* type, const uint8_t* data, size_t n) {
  put_u32(out, static_cast<uint32_t>(n));
  size_t start = out.size();
  out.insert(out.end(), type, type + 4);
  if (n > 0) out.insert(out.end(), data, data + n);
  put_u32(out, static_cast<uint32_t>(crc32(0L, out.data() + start, static_cast<uInt>(n + 4))));
}

uint8_t paeth(uint8_t a, uint8_t b, uint8_t c) {
  int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
  return pa <= pb && pa <= pc ? a : (pb <= pc ? b : c);
}

// Filtered scanlines of `raw` (height rows of row_bytes, bpp bytes per pixel), each prefixed by its filter type.
std::vector<uint8_t> filter_rows(const std::vector<uint8_t>& raw, size_t row_bytes, int height, size_t bpp) {
  std::vector<uint8_t> out;
  out.reserve((row_bytes + 1) * height);
  std::vector<uint8_t> zero(row_bytes, 0);
  std::array<std::vector<uint8_t>, 4> cand;
  for (auto& c : cand) c.resize(row_bytes);
  for (int y = 0; y < height; ++y) {
    const uint8_t* row = raw.data() + y * row_bytes;
    const uint8_t* up = y > 0 ? row - row_bytes : zero.data();
    uint64_t best_cost = UINT64_MAX;
    int best = 0;
    for (int f = 0; f < 4; ++f) {
      uint64_t cost = 0;
      for (size_t i = 0; i < row_bytes; ++i) {
        uint8_t left = i >= bpp ? row[i - bpp] : 0, up_left = i >= bpp ? up[i - bpp] : 0;
        uint8_t pred = f == 0 ? 0 : (f == 1 ? left : (f == 2 ? up[i] : paeth(left, up[i], up_left)));
        uint8_t b = static_cast<uint8_t>(row[i] - pred);
        cand[f][i] = b;
        cost += b < 128 ? b : 256 - b;
      }
      if (cost < best_cost) best_cost = cost, best = f;
    }
    out.push_back(static_cast<uint8_t>(best == 3 ? 4 : best));  // PNG filter types: 0 None 1 Sub 2 Up 4 Paeth
    out.insert(out.end(), cand[best].begin(), cand[best].end());
  }
  return out;
}

// `raw`: rows of big-endian samples. color_type 0 = gray, 2 = RGB.
Status write_png(const std::string& path, int width, int height, int color_type, int bit_depth, int channels,
                 const std::vector<uint8_t>& raw) {
  TANDEM_CHECK_OR_RETURN(width > 0 && height > 0, kInvalidArgument, "cannot write '%s': bad image size %dx%d",
                         path.c_str(), height, width);
  size_t bpp = static_cast<size_t>(channels) * (bit_depth / 8);
  std::vector<uint8_t> rows = filter_rows(raw, bpp * width, height, bpp);
  uLongf zlen = compressBound(static_cast<uLong>(rows.size()));
  std::vector<uint8_t> z(zlen);
  TANDEM_CHECK_OR_RETURN(compress2(z.data(), &zlen, rows.data(), static_cast<uLong>(rows.size()), 1) == Z_OK, kInternal,
                         "cannot compress '%s'", path.c_str());
  std::vector<uint8_t> png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  std::vector<uint8_t> ihdr;
  put_u32(ihdr, static_cast<uint32_t>(width));
  put_u32(ihdr, static_cast<uint32_t>(height));
  // bit depth, colour type, deflate, adaptive filtering, no interlace
  ihdr.insert(ihdr.end(), {static_cast<uint8_t>(bit_depth), static_cast<uint8_t>(color_type), 0, 0, 0});
  put_chunk(png, "IHDR", ihdr.data(), ihdr.size());
  put_chunk(png, "IDAT", z.data(), zlen);
  put_chunk(png, "IEND", nullptr, 0);
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(png.data()), static_cast<std::streamsize>(png.size()));
  TANDEM_CHECK_OR_RETURN(f.good(), kIoError, "cannot write '%s'", path.c_str());
  return Status::ok();
}

}  // namespace

Status write_png_u8(const std::string& path, int width, int height, int channels, const uint8_t* pixels) {
  TANDEM_CHECK_OR_RETURN(channels == 1 || channels == 3, kInvalidArgument, "cannot write '%s': %d channels",
                         path.c_str(), channels);
  std::vector<uint8_t> raw(pixels, pixels + static_cast<size_t>(width) * height * channels);
  return write_png(path, width, height, channels == 1 ? 0 : 2, 8, channels, raw);
}

Status write_png_gray16(const std::string& path, const Gray16Image& img) {
  TANDEM_CHECK_OR_RETURN(img.pixels.size() == static_cast<size_t>(img.width) * img.height, kInvalidArgument,
                         "cannot write '%s': %zu pixels for %dx%d", path.c_str(), img.pixels.size(), img.height,
                         img.width);
  std::vector<uint8_t> raw(img.pixels.size() * 2);
  for (size_t i = 0; i < img.pixels.size(); ++i) {
    raw[2 * i] = static_cast<uint8_t>(img.pixels[i] >> 8);  // PNG samples are big-endian
    raw[2 * i + 1] = static_cast<uint8_t>(img.pixels[i]);
  }
  return write_png(path, img.width, img.height, 0, 16, 1, raw);
}

Result<Gray16Image> read_png_gray16(const std::string& path) {
  TANDEM_ASSIGN_OR_RETURN(DecodedImage d, decode_image_file(path, {.channels = 1, .sixteen_bit = true,
                                                                    .expect_channels = 1, .expect_16bit = 1}));
  Gray16Image img;
  img.width = d.width;
  img.height = d.height;
  img.pixels = std::move(d.u16);
  return img;
}

}  // namespace tandem
