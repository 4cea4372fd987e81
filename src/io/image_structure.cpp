// Minimal parsers of the BMP, TGA and PNM headers: just enough to check what
// image_structure.h lists, each read bounded by the bytes present.
#include "io/image_structure.h"

#include <cstdint>

namespace tandem {
namespace {

Status bad(const std::string& what) { return Status(Code::kInvalidArgument, what); }

uint32_t le16(const std::string& b, size_t at) {
  return static_cast<uint8_t>(b[at]) | static_cast<uint32_t>(static_cast<uint8_t>(b[at + 1])) << 8;
}
uint32_t le32(const std::string& b, size_t at) { return le16(b, at) | le16(b, at + 2) << 16; }
uint32_t be32(const std::string& b, size_t at) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = v << 8 | static_cast<uint8_t>(b[at + i]);
  return v;
}

Status need_bytes(const std::string& bytes, uint64_t needed, const char* format) {
  if (bytes.size() >= needed) return Status::ok();
  return bad(std::string("the ") + format + " file is truncated: its header needs " + std::to_string(needed) +
             " bytes, the file has " + std::to_string(bytes.size()));
}

// The chunk list up to IEND: every chunk inside the file, and no empty IDAT (stb 2.27 then copies 0 bytes to its
// still-null data buffer, undefined behaviour; no encoder writes one).
Status check_png(const std::string& b) {
  size_t at = 8;
  while (at + 8 <= b.size()) {
    const uint64_t length = be32(b, at);
    const std::string type = b.substr(at + 4, 4);
    if (length > 0x7fffffffu || at + 12 + length > b.size()) return bad("the PNG file is truncated inside a chunk");
    if (type == "IDAT" && length == 0) return bad("PNG with an empty IDAT chunk");
    if (type == "IEND") return Status::ok();
    at += 12 + length;
  }
  return bad("the PNG file is truncated (no IEND chunk)");
}

// P5/P6 header: magic, then width, height and maxval as decimal numbers separated by whitespace and # comments,
// then one whitespace byte; maxval at most 255 (16-bit PNM is refused).
Status check_pnm(const std::string& b) {
  size_t at = 2;
  auto number = [&](uint32_t& out) -> bool {
    for (;;) {
      while (at < b.size() && (b[at] == ' ' || b[at] == '\t' || b[at] == '\n' || b[at] == '\r' || b[at] == '\v' ||
                               b[at] == '\f'))
        ++at;
      if (at < b.size() && b[at] == '#') {
        while (at < b.size() && b[at] != '\n' && b[at] != '\r') ++at;
        continue;
      }
      break;
    }
    uint64_t v = 0;
    size_t digits = 0;
    while (at < b.size() && b[at] >= '0' && b[at] <= '9' && digits < 10) {
      v = v * 10 + static_cast<uint64_t>(b[at++] - '0');
      ++digits;
    }
    if (digits == 0 || digits >= 10 || (at < b.size() && b[at] >= '0' && b[at] <= '9')) return false;
    out = static_cast<uint32_t>(v);
    return true;
  };
  uint32_t w = 0, h = 0, maxval = 0;
  if (!number(w) || !number(h) || !number(maxval)) return bad("bad PNM header (its numbers are not all under 10^9)");
  if (maxval == 0 || maxval > 255) return bad("PNM with maxval " + std::to_string(maxval) + ": only 8-bit PNM is supported");
  const uint64_t channels = b[1] == '6' ? 3 : 1;
  return need_bytes(b, at + 1 + uint64_t{w} * h * channels, "PNM");
}

Status check_bmp(const std::string& b) {
  if (b.size() < 30) return Status::ok();  // stb rejects it
  const uint64_t offset = le32(b, 10), header = le32(b, 14);
  // The OS/2 header has 16-bit sizes; the others 32-bit, the height negative for top-down rows.
  const uint64_t width = header == 12 ? le16(b, 18) : le32(b, 18);
  const int64_t signed_height = header == 12 ? le16(b, 20) : static_cast<int32_t>(le32(b, 22));
  const uint64_t height = static_cast<uint64_t>(signed_height < 0 ? -signed_height : signed_height);
  const uint32_t bpp = header == 12 ? le16(b, 24) : le16(b, 28);
  const uint32_t compression = header >= 40 && b.size() >= 34 ? le32(b, 30) : 0;
  if (compression != 0 && compression != 3) return Status::ok();  // stb refuses RLE BMPs
  if (width > (1u << 24) || height > (1u << 24)) return Status::ok();  // stb rejects it (STBI_MAX_DIMENSIONS)
  const uint64_t row = (width * bpp + 31) / 32 * 4;
  return need_bytes(b, offset + row * height, "BMP");
}

Status check_tga(const std::string& b) {
  if (b.size() < 18) return Status::ok();
  const uint64_t width = le16(b, 12), height = le16(b, 14);
  const uint64_t id_length = static_cast<uint8_t>(b[0]), colormap_type = static_cast<uint8_t>(b[1]);
  const uint32_t type = static_cast<uint8_t>(b[2]);
  const uint64_t colormap_length = le16(b, 5), colormap_bits = static_cast<uint8_t>(b[7]);
  const uint32_t bits = static_cast<uint8_t>(b[16]);
  // Only what looks like a TGA header (as stb's own test has it): anything else is stb's to reject.
  if (colormap_type > 1 || width == 0 || height == 0 ||
      (bits != 8 && bits != 15 && bits != 16 && bits != 24 && bits != 32))
    return Status::ok();
  const uint64_t pixel_bytes = (bits + 7u) / 8u;
  const uint64_t data = 18 + id_length + (colormap_type ? colormap_length * ((colormap_bits + 7) / 8) : 0);
  const uint64_t pixels = width * height;
  if (type >= 1 && type <= 3) return need_bytes(b, data + pixels * pixel_bytes, "TGA");
  // Run-length encoded: each packet (a header byte and one pixel at least) covers at most 128 pixels.
  if (type >= 9 && type <= 11) return need_bytes(b, data + (pixels + 127) / 128 * (1 + pixel_bytes), "TGA");
  return Status::ok();
}

}  // namespace

Status check_image_structure(const std::string& bytes) {
  if (bytes.size() >= 2 && bytes[0] == 'P' && (bytes[1] == '5' || bytes[1] == '6')) return check_pnm(bytes);
  if (bytes.size() >= 2 && bytes[0] == 'B' && bytes[1] == 'M') return check_bmp(bytes);
  if (bytes.size() >= 8 && bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0) return check_png(bytes);
  return check_tga(bytes);  // TGA has no magic: what is left over
}

}  // namespace tandem
