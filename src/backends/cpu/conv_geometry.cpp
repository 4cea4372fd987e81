// ONNX convolution attributes → explicit geometry.
#include "backends/cpu/conv_geometry.h"

#include <algorithm>
#include <string>

namespace tandem {

bool conv_geometry(const OpContext& ctx, ConvGeometry& g) {
  const Attributes& a = ctx.attrs();
  const Shape& x = ctx.in(0).shape;
  const Shape& w = ctx.in(1).shape;
  const Shape& y = ctx.out(0).shape;
  size_t spatial = x.size() - 2;
  g.group = a.get_int("group", 1);
  g.strides = a.get_ints("strides", std::vector<int64_t>(spatial, 1));
  g.dilations = a.get_ints("dilations", std::vector<int64_t>(spatial, 1));
  std::vector<int64_t> pads = a.get_ints("pads", std::vector<int64_t>(2 * spatial, 0));
  if (g.strides.size() != spatial || g.dilations.size() != spatial || pads.size() != 2 * spatial) return false;
  std::string auto_pad = a.get_string("auto_pad", "NOTSET");
  g.pad_l.assign(spatial, 0);
  g.pad_r.assign(spatial, 0);
  for (size_t i = 0; i < spatial; ++i) {
    int64_t k = (w[i + 2] - 1) * g.dilations[i] + 1;
    if (auto_pad == "NOTSET") {
      g.pad_l[i] = pads[i];
      g.pad_r[i] = pads[i + spatial];
    } else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      int64_t total = std::max<int64_t>(0, (y[i + 2] - 1) * g.strides[i] + k - x[i + 2]);
      int64_t small = total / 2, big = total - small;
      g.pad_l[i] = auto_pad == "SAME_UPPER" ? small : big;
      g.pad_r[i] = auto_pad == "SAME_UPPER" ? big : small;
    }
    g.pad_r[i] = (y[i + 2] - 1) * g.strides[i] + k - x[i + 2] - g.pad_l[i];
  }
  return true;
}

}  // namespace tandem
