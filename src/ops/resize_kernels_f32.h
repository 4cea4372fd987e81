// The resize kernels behind Resize's fast paths: float32 output rows of NCHW planes and of channels-last (NHWC)
// images, each optionally adding a same-shaped Z as it stores (FusedResize = Resize + Add in one pass), and
// int8 channels-last rows (a requantised int8 map between two int8 convolutions).
#pragma once

#include <cstdint>

#include "ops/resize_plan.h"

namespace tandem {

// Linear x2 upsampling along a row, the decoders' common case: away from the two edge outputs on each side,
// output 2i + p reads inputs i - 1 + p and i + p with weights that depend on the phase p only. Found from the
// axis table at build time, so it is exactly the table's arithmetic with the gather replaced by contiguous
// loads (the loop vectorises).
struct Upsample2x {
  bool ok = false;
  float w[2][2] = {};  // [phase][tap]

  static Upsample2x detect(const AxisTable& t);
};

// Output rows [oy0, oy1) of one [H, W] plane sampled with kh x kw taps (1, 2 or 4 each): input rows
// [row_lo, row_hi] are resampled along W into `tmp` ((row_hi - row_lo + 1) * out_w floats), then blended along H.
struct PlaneRowsF32 {
  const float* src = nullptr;  // the input plane [in_h, in_w]
  float* dst = nullptr;        // the output plane [out_h, out_w]
  const float* z = nullptr;    // null, or a plane like dst added to each output element
  float* tmp = nullptr;
  int64_t in_w = 0, out_w = 0, oy0 = 0, oy1 = 0, row_lo = 0, row_hi = 0;
  int kh = 1, kw = 1;
  const int64_t* hy = nullptr;  // [out_h * kh] input rows
  const float* wy = nullptr;    // [out_h * kh]
  const int64_t* hx = nullptr;  // [out_w * kw] input columns
  const float* wx = nullptr;    // [out_w * kw]
  Upsample2x x2;
};
void resize_plane_rows_f32(const PlaneRowsF32& a);

// One output row of a channels-last [H, W, C] image: each output pixel blends whole C-vectors of its kh x kw
// input pixels. `yoff`/`wy` hold this row's kh input row offsets (in elements) and weights, `xoff`/`wx` each
// output column's kw input column offsets and weights; `z` is null or a row like `dst` added as it is stored.
template <typename T>
struct NhwcRow {
  const T* src = nullptr;  // the input image
  T* dst = nullptr;        // the output row [out_w, c]
  const T* z = nullptr;
  int64_t out_w = 0, c = 0;
  int kh = 1, kw = 1;
  const int64_t* yoff = nullptr;
  const float* wy = nullptr;
  const int64_t* xoff = nullptr;
  const float* wx = nullptr;
};
using NhwcRowF32 = NhwcRow<float>;
using NhwcRowS8 = NhwcRow<int8_t>;  // a requantised int8 map: blended in float, rounded to nearest even; no z
void resize_row_nhwc_f32(const NhwcRowF32& a);
void resize_row_nhwc_s8(const NhwcRowS8& a);

}  // namespace tandem
