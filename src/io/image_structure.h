// Checks on an image file's structure that Debian's stb_image (2.27) does not make, run on the file's bytes
// before it decodes them (JPEG is not stb's: jpeg_decoder.h): PNG chunks cut off or empty, PNM headers with numbers that overflow int or 16-bit samples (which stb converts with its 8-bit converter,
// overrunning its buffer), and BMP/TGA/PNM files too short for the pixels their header declares (stb would
// decode all of them from zeros first, seconds and hundreds of megabytes for a 200-byte file).
#pragma once

#include <string>

#include "core/status.h"

namespace tandem {

// Before stb sees the file (its header probe is where the PNM flaws are). OK for what it does not
// recognise, which stb then reports itself. For PNG only the chunk list is checked (an empty IDAT, a chunk past
// the end); the allocation bound in image.cpp stops a stream that inflates past its pixels.
Status check_image_structure(const std::string& bytes);

}  // namespace tandem
