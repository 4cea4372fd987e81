// Image files (PNG, JPEG, BMP, PNM, TGA) through the one guarded decoder: once as 8-bit RGB (what models get),
// once as 16-bit gray (depth ground truth).
#include "fuzz_util.h"
#include "io/image.h"

TANDEM_FUZZ_INIT(image) {
  tandem_fuzz::init_process();
  // Images of a few megapixels at most: a 200-byte PNG can legitimately declare 100 megapixels of one colour,
  // and decoding those (slowly, correctly) would only cost executions.
  tandem::set_memory_limit(uint64_t{32} << 20);
  return 0;
}

TANDEM_FUZZ_ENTRY(image) {
  const std::string path = tandem_fuzz::temp_dir().write("input.img", data, size);
  try {
    tandem::ImageDecodeOptions rgb;
    rgb.channels = 3;
    (void)tandem::decode_image_file(path, rgb);
    tandem::ImageDecodeOptions gray16;
    gray16.channels = 1;
    gray16.sixteen_bit = true;
    (void)tandem::decode_image_file(path, gray16);
  } catch (const tandem::OutOfMemory&) {
  }
  return 0;
}
