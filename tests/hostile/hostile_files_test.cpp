// Hostile input files and flags for `tandem run M --input FILE` (M takes x[1,3,8,8]): .npy headers and sizes that
// lie, .pb tensors that overflow or leave their folder, truncated, corrupt and 0x0 images (BMP, PNM, TGA, PNG,
// JPEG), a PNG decompression bomb, GIF, FIFOs and devices given as files, and out-of-range flags.
#include <zlib.h>

#include <cstdint>
#include <cstdio>  // before jpeglib.h, which uses FILE
#include <cstdlib>
#include <string>
#include <vector>

#include <jpeglib.h>

#include "hostile_harness.h"
#include "hostile_models.h"

namespace hostile {
namespace {

constexpr int kSide = 8;  // the model's input is [1,3,8,8]
constexpr size_t kInputBytes = 3 * kSide * kSide * sizeof(float);

class HostileInput : public HostileTest {
 protected:
  void SetUp() override {
    HostileTest::SetUp();
    model_ = write_bytes("m.onnx", small_model().model().SerializeAsString());
  }
  HostileResult run_on(const std::string& input) { return run_tandem({"run", model_, "--input", input}); }
  HostileResult run_with(const std::vector<std::string>& flags) {
    std::vector<std::string> args{"run", model_};
    args.insert(args.end(), flags.begin(), flags.end());
    return run_tandem(args);
  }

  std::string model_;
};

// ---- .npy ----

std::string le(uint64_t v, int bytes) {
  std::string s;
  for (int i = 0; i < bytes; ++i) s += static_cast<char>(v >> (8 * i) & 0xff);
  return s;
}

// A .npy file: magic, version, header length (2 bytes in version 1, 4 after), the dict padded with spaces to a
// multiple of 64 as numpy writes it, then `data`. `header_len` overrides the length field when not 0.
std::string npy(const std::string& dict, const std::string& data, int version = 1, uint64_t header_len = 0) {
  const size_t prefix = version == 1 ? 10 : 12;
  std::string header = dict;
  header += std::string((64 - (prefix + header.size() + 1) % 64) % 64, ' ') + "\n";
  std::string out = std::string("\x93NUMPY", 6) + static_cast<char>(version) + '\0';
  out += le(header_len ? header_len : header.size(), version == 1 ? 2 : 4);
  return out + header + data;
}

std::string npy_dict(const std::string& shape, const std::string& descr = "<f4", const char* fortran = "False") {
  return "{'descr': '" + descr + "', 'fortran_order': " + fortran + ", 'shape': " + shape + ", }";
}

const std::string kInputShape = "(1, 3, 8, 8)";

TEST_F(HostileInput, NpyValidIsAccepted) {
  expect_accepted(run_on(write_bytes("ok.npy", npy(npy_dict(kInputShape), std::string(kInputBytes, '\0')))),
                  "[1,4,8,8]");
}

// Legitimately valid: format version 3 is version 2 with a UTF-8 header (numpy >= 1.17 writes it).
TEST_F(HostileInput, NpyVersion3IsAccepted) {
  expect_accepted(run_on(write_bytes("v3.npy", npy(npy_dict(kInputShape), std::string(kInputBytes, '\0'), 3))),
                  "[1,4,8,8]");
}

TEST_F(HostileInput, NpyBadMagic) {
  std::string bytes = npy(npy_dict(kInputShape), std::string(kInputBytes, '\0'));
  bytes[1] = 'X';
  expect_rejected(run_on(write_bytes("magic.npy", bytes)), "magic.npy");
}

TEST_F(HostileInput, NpyUnknownVersion) {
  expect_rejected(run_on(write_bytes("v9.npy", npy(npy_dict(kInputShape), std::string(kInputBytes, '\0'), 9))),
                  "version");
}

TEST_F(HostileInput, NpyHeaderLengthBeyondFile) {
  expect_rejected(run_on(write_bytes("long.npy", npy(npy_dict(kInputShape), "", 1, 60000))), "long.npy");
}

TEST_F(HostileInput, NpyHeaderLength4GiB) {
  expect_rejected(run_on(write_bytes("huge.npy", npy(npy_dict(kInputShape), "", 2, 0xffffffff))), "huge.npy");
}

TEST_F(HostileInput, NpyShapeWithLetters) {
  expect_rejected(run_on(write_bytes("letters.npy", npy(npy_dict("(1abc, 4xyz)"), std::string(16, '\0')))),
                  "letters.npy");
}

TEST_F(HostileInput, NpyShapeProductOverflows) {
  expect_rejected(run_on(write_bytes("product.npy", npy(npy_dict("(4611686018427387904, 4)"), ""))), "product.npy");
}

TEST_F(HostileInput, NpyShapeDimOverflows) {
  expect_rejected(run_on(write_bytes("digits.npy", npy(npy_dict("(99999999999999999999, 1)"), ""))), "digits.npy");
}

TEST_F(HostileInput, NpyNegativeDim) {
  expect_rejected(run_on(write_bytes("negative.npy", npy(npy_dict("(-1, 3, 8, 8)"), ""))), "negative.npy");
}

TEST_F(HostileInput, NpyDataShorterThanShape) {
  expect_rejected(run_on(write_bytes("short.npy", npy(npy_dict(kInputShape), std::string(kInputBytes / 2, '\0')))),
                  "short.npy");
}

TEST_F(HostileInput, NpyDataLongerThanShape) {
  expect_rejected(run_on(write_bytes("long.npy", npy(npy_dict(kInputShape), std::string(kInputBytes * 2, '\0')))),
                  "long.npy");
}

TEST_F(HostileInput, NpyFortranOrder) {
  expect_rejected(
      run_on(write_bytes("fortran.npy", npy(npy_dict(kInputShape, "<f4", "True"), std::string(kInputBytes, '\0')))),
      "fortran.npy");
}

TEST_F(HostileInput, NpyUnknownDescr) {
  expect_rejected(run_on(write_bytes("descr.npy", npy(npy_dict(kInputShape, "<c32"), std::string(kInputBytes, '\0')))),
                  "descr.npy");
}

TEST_F(HostileInput, NpyFifo) { expect_rejected(run_on(make_fifo("pipe.npy")), "regular file"); }

TEST_F(HostileInput, NpySymlinkToDevZero) { expect_rejected(run_on(make_symlink("zero.npy", "/dev/zero")), "regular file"); }

// ---- .pb (TensorProto) ----

onnx::TensorProto pb_tensor(const Dims& dims, const std::string& raw) {
  onnx::TensorProto t;
  t.set_name("x");
  t.set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims) t.add_dims(d);
  t.set_raw_data(raw);
  return t;
}

TEST_F(HostileInput, PbValidIsAccepted) {
  const std::string pb = write_bytes("ok.pb", pb_tensor({1, 3, 8, 8}, std::string(kInputBytes, '\0')).SerializeAsString());
  expect_accepted(run_on(pb), "[1,4,8,8]");
}

TEST_F(HostileInput, PbDimsOverflow) {
  const std::string pb = write_bytes("overflow.pb", pb_tensor({kTwoTo62, 4}, "").SerializeAsString());
  expect_rejected(run_on(pb), "overflow.pb");
}

TEST_F(HostileInput, PbRawDataMismatch) {
  const std::string pb = write_bytes("raw.pb", pb_tensor({1, 3, 8, 8}, std::string(100, '\0')).SerializeAsString());
  expect_rejected(run_on(pb), "raw.pb");
}

TEST_F(HostileInput, PbExternalDataOutsideItsFolder) {
  write_bytes("secret.bin", std::string(kInputBytes, '\0'));  // exists, but outside the .pb's folder
  make_dir("sub");
  onnx::TensorProto t = pb_tensor({1, 3, 8, 8}, "");
  t.clear_raw_data();
  t.set_data_location(onnx::TensorProto::EXTERNAL);
  onnx::StringStringEntryProto* e = t.add_external_data();
  e->set_key("location");
  e->set_value("../secret.bin");
  expect_rejected(run_on(write_bytes("sub/ext.pb", t.SerializeAsString())), "folder");
}

// ---- images ----

std::string be32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16 & 0xff), static_cast<char>(v >> 8 & 0xff),
          static_cast<char>(v & 0xff)};
}

// Uncompressed 24-bit images of w x h grey pixels; each returns {file, bytes before the pixel data}.
struct Image {
  std::string bytes;
  size_t header;
  std::string truncated_halfway() const { return bytes.substr(0, header + (bytes.size() - header) / 2); }
};

Image bmp(int32_t w, int32_t h) {
  const uint32_t row = (static_cast<uint32_t>(w) * 3 + 3) / 4 * 4, data = row * static_cast<uint32_t>(h);
  std::string s = "BM" + le(54 + data, 4) + le(0, 4) + le(54, 4);
  s += le(40, 4) + le(static_cast<uint32_t>(w), 4) + le(static_cast<uint32_t>(h), 4) + le(1, 2) + le(24, 2) +
       le(0, 4) + le(data, 4) + le(2835, 4) + le(2835, 4) + le(0, 4) + le(0, 4);
  return {s + std::string(data, '\x80'), s.size()};
}

Image ppm(int w, int h) {
  const std::string header = "P6\n" + std::to_string(w) + " " + std::to_string(h) + "\n255\n";
  return {header + std::string(static_cast<size_t>(w * h * 3), '\x80'), header.size()};
}

Image tga(int w, int h) {
  std::string s = std::string("\0\0\x02", 3) + std::string(5, '\0') + le(0, 2) + le(0, 2) + le(w, 2) + le(h, 2) +
                  "\x18" + std::string(1, '\0');
  return {s + std::string(static_cast<size_t>(w * h * 3), '\x80'), s.size()};
}

std::string png_chunk(const std::string& type, const std::string& data) {
  const std::string body = type + data;
  const uLong crc = crc32(0, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()));
  return be32(static_cast<uint32_t>(data.size())) + body + be32(static_cast<uint32_t>(crc));
}

// An 8-bit RGB PNG declaring w x h, with `idat` as its compressed data.
std::string png(uint32_t w, uint32_t h, const std::string& idat) {
  return std::string("\x89PNG\r\n\x1a\n", 8) + png_chunk("IHDR", be32(w) + be32(h) + std::string("\x08\x02\0\0\0", 5)) +
         png_chunk("IDAT", idat) + png_chunk("IEND", "");
}

std::string zlib_compress(const std::string& raw) {
  uLongf n = compressBound(static_cast<uLong>(raw.size()));
  std::string out(n, '\0');
  compress(reinterpret_cast<Bytef*>(out.data()), &n, reinterpret_cast<const Bytef*>(raw.data()),
           static_cast<uLong>(raw.size()));
  out.resize(n);
  return out;
}

// A zlib stream of 1 + 258 * matches zero bytes, written by hand: one fixed-Huffman block holding a literal 0 and
// then `matches` copies of (length 258, distance 1), 13 bits each, so 2.5 GiB inflate from 16 MB.
std::string zero_bomb(uint64_t matches) {
  std::string out = "\x78\x01";
  uint64_t bits = 0;
  int n = 0;
  auto put = [&](uint32_t value, int count) {  // LSB first
    bits |= static_cast<uint64_t>(value) << n;
    n += count;
    while (n >= 8) {
      out += static_cast<char>(bits & 0xff);
      bits >>= 8;
      n -= 8;
    }
  };
  auto huffman = [&](uint32_t code, int count) {  // Huffman codes go MSB first
    uint32_t reversed = 0;
    for (int i = 0; i < count; ++i) reversed |= (code >> i & 1) << (count - 1 - i);
    put(reversed, count);
  };
  put(1, 1);             // BFINAL
  put(1, 2);             // BTYPE 01: fixed Huffman
  huffman(0x30, 8);      // literal 0
  for (uint64_t i = 0; i < matches; ++i) {
    huffman(0xc5, 8);    // length symbol 285: 258 bytes
    huffman(0, 5);       // distance code 0: 1 byte back
  }
  huffman(0, 7);         // end of block
  if (n > 0) put(0, 8 - n);
  const uint64_t total = 1 + 258 * matches;
  return out + be32(static_cast<uint32_t>((total % 65521) << 16 | 1));  // Adler-32 of `total` zeros
}

std::string png_rows(uint32_t w, uint32_t h) { return zlib_compress(std::string(h * (1 + 3 * w), '\0')); }

TEST_F(HostileInput, ValidImagesAreAccepted) {
  expect_accepted(run_on(write_bytes("ok.bmp", bmp(kSide, kSide).bytes)), "[1,4,8,8]");
  expect_accepted(run_on(write_bytes("ok.ppm", ppm(kSide, kSide).bytes)), "[1,4,8,8]");
  expect_accepted(run_on(write_bytes("ok.tga", tga(kSide, kSide).bytes)), "[1,4,8,8]");
  expect_accepted(run_on(write_bytes("ok.png", png(kSide, kSide, png_rows(kSide, kSide)))), "[1,4,8,8]");
}

TEST_F(HostileInput, Bmp0x0) { expect_rejected(run_on(write_bytes("zero.bmp", bmp(0, 0).bytes)), "zero.bmp"); }

TEST_F(HostileInput, BmpTruncatedInPixelData) {
  expect_rejected(run_on(write_bytes("cut.bmp", bmp(kSide, kSide).truncated_halfway())), "truncated");
}

TEST_F(HostileInput, PnmTruncatedInPixelData) {
  expect_rejected(run_on(write_bytes("cut.ppm", ppm(kSide, kSide).truncated_halfway())), "truncated");
}

TEST_F(HostileInput, TgaTruncatedInPixelData) {
  expect_rejected(run_on(write_bytes("cut.tga", tga(kSide, kSide).truncated_halfway())), "truncated");
}

TEST_F(HostileInput, PngHeaderDeclares100000x100000) {
  expect_rejected(run_on(write_bytes("bomb.png", png(100000, 100000, png_rows(1, 1)))), "bomb.png");
}

// 225 megapixels: under stb_image's own limit (2^30 bytes), over Tandem's pixel limit.
TEST_F(HostileInput, PngHeaderDeclares15000x15000) {
  expect_rejected(run_on(write_bytes("bomb.png", png(15000, 15000, png_rows(1, 1)))), "limit");
}

// An 8x8 PNG whose IDAT inflates to 2.5 GiB of zeros. A decoder may stop after the 200 bytes the image needs
// (exit 0) or refuse the extra data (exit 1); it must not inflate it all.
TEST_F(HostileInput, PngIdatInflatesTo2GiB) {
  expect_handled(run_on(write_bytes("idat_bomb.png", png(kSide, kSide, zero_bomb((uint64_t{5} << 29) / 258)))));
}

// A JPEG of w x h noise (so its entropy-coded data is long), encoded by libjpeg itself.
std::string jpeg(int w, int h, bool progressive, J_COLOR_SPACE space = JCS_RGB, int components = 3) {
  jpeg_compress_struct c;
  jpeg_error_mgr err;
  c.err = jpeg_std_error(&err);
  jpeg_create_compress(&c);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&c, &buffer, &size);
  c.image_width = static_cast<JDIMENSION>(w);
  c.image_height = static_cast<JDIMENSION>(h);
  c.input_components = components;
  c.in_color_space = space;
  jpeg_set_defaults(&c);
  if (progressive) jpeg_simple_progression(&c);
  jpeg_start_compress(&c, TRUE);
  std::vector<unsigned char> row(static_cast<size_t>(w * components));
  uint32_t state = 12345;
  while (c.next_scanline < c.image_height) {
    for (unsigned char& v : row) v = static_cast<unsigned char>((state = state * 1103515245u + 12345u) >> 24);
    JSAMPROW r = row.data();
    jpeg_write_scanlines(&c, &r, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  std::string out(reinterpret_cast<char*>(buffer), size);
  std::free(buffer);
  return out;
}

TEST_F(HostileInput, JpegBaselineAndProgressiveAreAccepted) {
  expect_accepted(run_on(write_bytes("ok.jpg", jpeg(37, 29, false))), "[1,4,8,8]");
  expect_accepted(run_on(write_bytes("prog.jpg", jpeg(37, 29, true))), "[1,4,8,8]");
  expect_accepted(run_on(write_bytes("gray.jpg", jpeg(37, 29, false, JCS_GRAYSCALE, 1))), "[1,4,8,8]");
}

TEST_F(HostileInput, JpegTruncatedInScanData) {
  const std::string j = jpeg(64, 64, false);
  expect_rejected(run_on(write_bytes("cut.jpg", j.substr(0, j.size() / 2))), "Premature end");
  const std::string p = jpeg(64, 64, true);
  expect_rejected(run_on(write_bytes("cut_prog.jpg", p.substr(0, p.size() / 2))), "Premature end");
}

TEST_F(HostileInput, JpegCorruptScanData) {
  std::string j = jpeg(64, 64, false);
  for (size_t i = j.size() / 2; i < j.size() / 2 + 64; ++i) j[i] = static_cast<char>(0xA5 ^ static_cast<uint8_t>(i));
  expect_rejected(run_on(write_bytes("corrupt.jpg", j)), "corrupt.jpg");
}

TEST_F(HostileInput, JpegCmykIsNotSupported) {
  expect_rejected(run_on(write_bytes("cmyk.jpg", jpeg(16, 16, false, JCS_CMYK, 4))), "CMYK");
}

TEST_F(HostileInput, GifIsNotSupported) {
  const std::string gif("GIF89a\x01\0\x01\0\x80\0\0\0\0\0\xff\xff\xff!\xf9\x04\x01\0\0\0\0,\0\0\0\0\x01\0\x01\0\0\x02\x02"
                        "D\x01\0;",
                        43);
  expect_rejected(run_on(write_bytes("pic.gif", gif)), "pic.gif");
}

TEST_F(HostileInput, FifoAsInput) { expect_rejected(run_on(make_fifo("frame.png")), "regular file"); }

TEST_F(HostileInput, DevZeroAsInput) { expect_rejected(run_on("/dev/zero"), "regular file"); }

// ---- flags ----

TEST_F(HostileInput, ThreadsZero) { expect_rejected(run_with({"--threads", "0"}), "--threads"); }

TEST_F(HostileInput, Threads100000) { expect_rejected(run_with({"--threads", "100000"}), "--threads"); }

TEST_F(HostileInput, IterationsNegative) { expect_rejected(run_with({"--iterations", "-1"}), "--iterations"); }

TEST_F(HostileInput, ShapeFlagInt64Max) {
  expect_rejected(run_with({"--shape", "9223372036854775807x9223372036854775807"}), "shape");
}

TEST_F(HostileInput, ShapeFlagBeyondInt64) { expect_rejected(run_with({"--shape", "99999999999999999999x4"}), "shape"); }

TEST_F(HostileInput, ShapeFlagHuge) { expect_rejected(run_with({"--shape", "x=1x3x100000x100000"}), "'x'"); }

TEST_F(HostileInput, OutputDirIsAFile) {
  expect_rejected(run_with({"--output-dir", write_bytes("file", "")}), "file");
}

}  // namespace
}  // namespace hostile
