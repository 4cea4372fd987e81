// A 5x7 bitmap font for labels on generated pictures (tick values, titles), so no font library is needed.
#pragma once

#include <string>

#include "eval/palette.h"
#include "io/image.h"

namespace tandem {

inline constexpr int kGlyphWidth = 5, kGlyphHeight = 7, kGlyphAdvance = 6;  // font pixels

// Draws `text` with its top-left corner at (x, y), each font pixel a scale x scale block, clipped to the image.
// Glyphs: digits, A-Z, lower-case m (metres), space and . , : - % / ( ); other lower-case letters use their capitals,
// anything else is drawn as a blank.
void draw_text(ImageU8& image, int x, int y, const std::string& text, int scale, Rgb color);
// Width in pixels of `text` at `scale` (no trailing gap).
int text_width(const std::string& text, int scale);

}  // namespace tandem
