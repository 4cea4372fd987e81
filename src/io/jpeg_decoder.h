// JPEG decoding through libjpeg-turbo (Debian's libjpeg62-turbo): the decoder most camera pipelines and ONNX
// Runtime's tooling use, fuzzed continuously upstream. stb_image 2.27's JPEG decoder read past its Huffman
// tables on corrupt entropy-coded data (found by fuzz/fuzz_image), which no check of the headers can prevent.
#pragma once

#include <functional>
#include <string>

#include "core/status.h"
#include "io/image.h"

namespace tandem {

// True when `bytes` start like a JPEG (SOI, possibly after 0xFF fill bytes).
bool looks_like_jpeg(const std::string& bytes);

// Decodes to options.channels (1 or 3; 0 keeps the file's, 1 or 3; 4 adds an opaque alpha) samples of 8 bits,
// or 16 with options.sixteen_bit (v * 257, as stb_image widens). `check_header` sees the image's size,
// channels and bit depth before any pixel is decoded, and its error stops the decoding. Corrupt or truncated
// data is an error, never a partly grey image: libjpeg's warnings ("Premature end of JPEG file") count as errors.
Result<DecodedImage> decode_jpeg(const std::string& bytes, const ImageDecodeOptions& options,
                                 const std::function<Status(const DecodedImage&)>& check_header);

}  // namespace tandem
