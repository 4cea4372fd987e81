// Composing the three-panel picture and its footer (titles, class swatches, depth colour bar with ticks in metres).
#include "eval/visualize.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <string>

#include "eval/bitmap_font.h"
#include "eval/cityscapes_classes.h"

namespace tandem {
namespace {

constexpr Rgb kFooterBackground{24, 24, 24};
constexpr Rgb kText{235, 235, 235};
constexpr Rgb kDimText{170, 170, 170};

// Footer geometry in units of the font scale s: a title row, then one row of swatches / the colour bar, then tick
// labels. Everything is a multiple of s so the picture looks the same at any resolution.
struct FooterLayout {
  int s = 1;
  int pad() const { return 3 * s; }
  int title_y() const { return pad(); }
  int bar_y() const { return title_y() + kGlyphHeight * s + 3 * s; }
  int bar_height() const { return 8 * s; }
  int tick_length() const { return 3 * s; }
  int label_y() const { return bar_y() + bar_height() + tick_length() + s; }
  int height() const { return label_y() + kGlyphHeight * s + pad(); }
};

uint8_t* pixel(ImageU8& image, int x, int y) {
  return image.rgb.data() + (static_cast<size_t>(y) * image.width + x) * 3;
}

void fill_rect(ImageU8& image, int x0, int y0, int x1, int y1, Rgb c) {
  for (int y = std::max(y0, 0); y < std::min(y1, image.height); ++y)
    for (int x = std::max(x0, 0); x < std::min(x1, image.width); ++x) {
      uint8_t* p = pixel(image, x, y);
      p[0] = c.r;
      p[1] = c.g;
      p[2] = c.b;
    }
}

void paste(ImageU8& canvas, const ImageU8& panel, int x0) {
  for (int y = 0; y < panel.height; ++y)
    std::copy_n(panel.rgb.data() + static_cast<size_t>(y) * panel.width * 3, static_cast<size_t>(panel.width) * 3,
                pixel(canvas, x0, y));
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// Swatch + name of the predicted classes, most frequent first, in the two footer rows as far as they fit.
void draw_class_legend(ImageU8& canvas, const std::vector<uint8_t>& labels, int x0, int width, int y0,
                       const FooterLayout& f) {
  std::array<int64_t, kNumCityscapesClasses> counts{};
  for (uint8_t l : labels)
    if (l < kNumCityscapesClasses) ++counts[l];
  std::array<int, kNumCityscapesClasses> order;
  for (int c = 0; c < kNumCityscapesClasses; ++c) order[static_cast<size_t>(c)] = c;
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return counts[a] > counts[b]; });
  const int s = f.s, swatch = kGlyphHeight * s, rows[2] = {y0 + f.bar_y(), y0 + f.label_y()};
  int row = 0, x = x0 + 4 * s;
  for (int c : order) {
    if (counts[static_cast<size_t>(c)] == 0) break;
    std::string name = upper(cityscapes_class_name(c));
    int item = swatch + 2 * s + text_width(name, s);
    if (x + item > x0 + width - 4 * s) {
      if (++row == 2) break;
      x = x0 + 4 * s;
      if (x + item > x0 + width - 4 * s) break;
    }
    fill_rect(canvas, x, rows[row], x + swatch, rows[row] + swatch, cityscapes_color(c));
    draw_text(canvas, x + swatch + 2 * s, rows[row], name, s, kText);
    x += item + 5 * s;
  }
}

// A horizontal colour bar from near (left) to far (right) with ticks at round distances, labelled in metres; y0 is
// the footer's top.
void draw_depth_legend(ImageU8& canvas, const DepthScale& scale, int x0, int width, int y0, const FooterLayout& f) {
  const int s = f.s;
  const int margin = std::max(4 * s, text_width("80", s) / 2 + 2 * s);
  const int bx0 = x0 + margin, bx1 = x0 + width - margin;  // bar columns [bx0, bx1)
  if (bx1 - bx0 < 2) return;
  const int bar_top = y0 + f.bar_y(), bar_bottom = bar_top + f.bar_height();
  const float log_span = std::log(scale.far_m / scale.near_m);
  for (int x = bx0; x < bx1; ++x) {
    float pos = static_cast<float>(x - bx0) / static_cast<float>(bx1 - bx0 - 1);
    fill_rect(canvas, x, bar_top, x + 1, bar_bottom, scale.color(scale.near_m * std::exp(pos * log_span)));
  }
  static const float kTicks[] = {0.5f, 1, 2, 5, 10, 20, 40, 80, 100, 200};
  int last_label_end = x0;
  for (float t : kTicks) {
    if (t < scale.near_m * 0.999f || t > scale.far_m * 1.001f) continue;
    int x = bx0 + static_cast<int>(std::lround(scale.position(t) * static_cast<float>(bx1 - bx0 - 1)));
    fill_rect(canvas, x - s / 2, bar_bottom, x - s / 2 + s, bar_bottom + f.tick_length(), kText);
    char buf[16];
    std::snprintf(buf, sizeof buf, t < 1 ? "%.1f" : "%.0f", static_cast<double>(t));
    int w = text_width(buf, s), lx = std::clamp(x - w / 2, x0 + s, x0 + width - w - s);
    if (lx < last_label_end + 2 * s) continue;  // crowded at small widths: skip rather than overlap
    draw_text(canvas, lx, y0 + f.label_y(), buf, s, kText);
    last_label_end = lx + w;
  }
}

}  // namespace

float DepthScale::position(float metres) const {
  if (!(metres > 0)) return 1.0f;
  float p = std::log(metres / near_m) / std::log(far_m / near_m);
  return std::clamp(p, 0.0f, 1.0f);
}

Rgb DepthScale::color(float metres) const { return inferno_color(1.0f - position(metres)); }

ImageU8 blend_segmentation(const ImageU8& image, const std::vector<uint8_t>& labels, float alpha) {
  ImageU8 out = image;
  const size_t n = std::min(labels.size(), static_cast<size_t>(image.width) * image.height);
  for (size_t i = 0; i < n; ++i) {
    Rgb c = cityscapes_color(labels[i]);
    const uint8_t col[3] = {c.r, c.g, c.b};
    for (int k = 0; k < 3; ++k) {
      float v = (1.0f - alpha) * image.rgb[i * 3 + k] + alpha * col[k];
      out.rgb[i * 3 + k] = static_cast<uint8_t>(std::clamp(std::lround(v), 0L, 255L));
    }
  }
  return out;
}

ImageU8 colorize_depth(const std::vector<float>& depth, int height, int width, const DepthScale& scale) {
  ImageU8 out;
  out.width = width;
  out.height = height;
  out.rgb.resize(static_cast<size_t>(width) * height * 3);
  const size_t n = std::min(depth.size(), static_cast<size_t>(width) * height);
  for (size_t i = 0; i < n; ++i) {
    Rgb c = scale.color(depth[i]);
    out.rgb[i * 3] = c.r;
    out.rgb[i * 3 + 1] = c.g;
    out.rgb[i * 3 + 2] = c.b;
  }
  return out;
}

Result<ImageU8> render_prediction_panels(const ImageU8& image, const Prediction& prediction, const DepthScale& scale) {
  const int w = image.width, h = image.height;
  const size_t n = static_cast<size_t>(w) * h;
  TANDEM_CHECK_OR_RETURN(w > 0 && h > 0 && image.rgb.size() == n * 3, kInvalidArgument, "empty or inconsistent image");
  TANDEM_CHECK_OR_RETURN(
      prediction.height == h && prediction.width == w && prediction.labels.size() == n && prediction.depth.size() == n,
      kInvalidArgument, "the prediction is %dx%d, the image %dx%d", prediction.height, prediction.width, h, w);
  TANDEM_CHECK_OR_RETURN(scale.near_m > 0 && scale.far_m > scale.near_m, kInvalidArgument, "bad depth scale %g..%g m",
                         static_cast<double>(scale.near_m), static_cast<double>(scale.far_m));
  FooterLayout f;
  f.s = std::clamp(w / 256, 1, 4);  // 2 at 512 wide: 14-pixel text
  ImageU8 canvas;
  canvas.width = 3 * w;
  canvas.height = h + f.height();
  canvas.rgb.resize(static_cast<size_t>(canvas.width) * canvas.height * 3);
  paste(canvas, image, 0);
  paste(canvas, blend_segmentation(image, prediction.labels, 0.5f), w);
  paste(canvas, colorize_depth(prediction.depth, h, w, scale), 2 * w);
  fill_rect(canvas, 0, h, canvas.width, canvas.height, kFooterBackground);
  // Thin separators, so panels with similar borders do not run into each other.
  for (int k = 1; k < 3; ++k) fill_rect(canvas, k * w - 1, 0, k * w + 1, h, kFooterBackground);
  const int y0 = h;  // the footer's top
  draw_text(canvas, 4 * f.s, y0 + f.title_y(), "INPUT", f.s, kText);
  draw_text(canvas, w + 4 * f.s, y0 + f.title_y(), "SEGMENTATION (50% OVER INPUT)", f.s, kText);
  draw_text(canvas, 2 * w + 4 * f.s, y0 + f.title_y(), "DEPTH (m, LOG SCALE)", f.s, kText);
  draw_text(canvas, 4 * f.s, y0 + f.bar_y(), std::to_string(h) + " X " + std::to_string(w), f.s, kDimText);
  draw_class_legend(canvas, prediction.labels, w, w, y0, f);
  draw_depth_legend(canvas, scale, 2 * w, w, y0, f);
  return canvas;
}

}  // namespace tandem
