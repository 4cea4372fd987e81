// Sliding-window geometry shared by Conv, FusedConv and the pools: output sizes and pads resolved from
// kernel_shape / strides / dilations / pads / auto_pad / ceil_mode, validated once at build time.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "ir/attribute.h"

namespace tandem {

// Kernels are written for a fixed upper bound of spatial dims so index math needs no heap.
inline constexpr size_t kMaxSpatialRank = 6;

// Per spatial dimension (all vectors have the same length, the spatial rank).
struct WindowGeometry {
  std::vector<int64_t> in;      // input spatial sizes
  std::vector<int64_t> kernel;  // window taps per dim
  std::vector<int64_t> strides;
  std::vector<int64_t> dilations;
  std::vector<int64_t> pad_begin;  // resolved pads (auto_pad already applied)
  std::vector<int64_t> pad_end;
  std::vector<int64_t> out;  // output spatial sizes

  size_t rank() const { return in.size(); }
  int64_t in_size() const { return shape_numel(in); }
  int64_t out_size() const { return shape_numel(out); }
  int64_t kernel_size() const { return shape_numel(kernel); }
};

struct WindowOptions {
  bool ceil_mode = false;  // pools only (ceil_mode attribute)
};

// Walks the receptive field of one kernel tap: for each row q of output positions (every spatial dim but the
// last fixed), calls f(q, base, inside, lo, hi). Output column ow of that row reads input element
// base + ow * strides.back() of the plane when `inside` and lo <= ow < hi; every other column reads padding.
// im2col (Conv) and its adjoint col2im (ConvTranspose) share this walk.
template <typename F>
void for_each_tap_row(const WindowGeometry& w, int64_t tap, F&& f) {
  const int64_t rank = static_cast<int64_t>(w.rank());
  int64_t k[kMaxSpatialRank], in_stride[kMaxSpatialRank];
  for (int64_t d = rank - 1, rem = tap, stride = 1; d >= 0; --d) {
    const size_t du = static_cast<size_t>(d);
    k[d] = rem % w.kernel[du];
    rem /= w.kernel[du];
    in_stride[d] = stride;
    stride *= w.in[du];
  }
  const size_t last = static_cast<size_t>(rank - 1);
  const int64_t inner_out = w.out[last], inner_in = w.in[last], s = w.strides[last];
  const int64_t start = k[rank - 1] * w.dilations[last] - w.pad_begin[last];
  // Columns [lo, hi) land inside the row: 0 <= start + ow * s < inner_in.
  const int64_t lo = std::min(inner_out, start >= 0 ? 0 : (-start + s - 1) / s);
  const int64_t hi = std::max(lo, std::min(inner_out, inner_in - start > 0 ? (inner_in - start + s - 1) / s : 0));
  const int64_t rows = inner_out == 0 ? 0 : w.out_size() / inner_out;
  for (int64_t q = 0; q < rows; ++q) {
    int64_t base = start;
    bool inside = true;
    for (int64_t d = rank - 2, rem = q; d >= 0; --d) {
      const size_t du = static_cast<size_t>(d);
      const int64_t o = rem % w.out[du];
      rem /= w.out[du];
      const int64_t pos = o * w.strides[du] - w.pad_begin[du] + k[d] * w.dilations[du];
      inside = inside && pos >= 0 && pos < w.in[du];
      base += pos * in_stride[d];
    }
    f(q, base, inside, lo, hi);
  }
}

// An ints attribute of exactly `count` values, each >= `min`, defaulting to `count` copies of `def`.
Result<std::vector<int64_t>> window_ints(const Attributes& attrs, const char* name, size_t count, int64_t def,
                                         int64_t min);

// Reads strides/dilations/pads/auto_pad from `attrs` for a window of `kernel` taps over `in_spatial`.
// Errors name the attribute and the shapes involved.
Result<WindowGeometry> window_geometry(const Attributes& attrs, const std::vector<int64_t>& in_spatial,
                                       const std::vector<int64_t>& kernel, const WindowOptions& options);

}  // namespace tandem
