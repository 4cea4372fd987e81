// The strided copy engine shared by the data-movement ops, and small byte-level helpers.
#include "ops/tensor_copy.h"

#include <omp.h>

#include <algorithm>
#include <cstring>

#include "ops/shape_ops.h"

#if defined(__SSE2__)
#include <immintrin.h>
#endif

namespace tandem {
namespace {

constexpr int64_t kParallelMin = 1 << 15;  // elements below which threads cost more than they save
constexpr int64_t kTile = 32;              // 32x32 elements of 4 bytes: 4 KiB, the tile stays in L1

// One row of n elements from a source with element stride s (s != 1).
void copy_row(const uint8_t* src, int64_t s, int64_t n, uint8_t* dst, size_t es) {
  bool done = dispatch_width(es, [&](auto tag) {
    using T = decltype(tag);
    const T* sp = reinterpret_cast<const T*>(src);
    T* dp = reinterpret_cast<T*>(dst);
    if (s == 0) {
      std::fill(dp, dp + n, *sp);
    } else {
      for (int64_t i = 0; i < n; ++i) dp[i] = sp[i * s];
    }
  });
  if (!done) {
    for (int64_t i = 0; i < n; ++i)
      std::memcpy(dst + i * static_cast<int64_t>(es), src + i * s * static_cast<int64_t>(es), es);
  }
}

#if defined(__SSE2__)
// dst[c][r] = src[c + r*sc] for r, c < 16. Row r of the source is one 16-byte load; after stage k every lane of
// 2^k bytes holds one column's bytes from 2^k consecutive rows, so after four stages register c is column c.
template <typename T>
void transpose_16x16_bytes(const T* src, int64_t sc, T* dst, int64_t ldd) {
  __m128i a[16], b[16];
  for (int r = 0; r < 16; ++r) a[r] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + r * sc));
  for (int k = 0; k < 8; ++k) {  // rows 2k, 2k+1: columns 0-7, then 8-15
    b[2 * k] = _mm_unpacklo_epi8(a[2 * k], a[2 * k + 1]);
    b[2 * k + 1] = _mm_unpackhi_epi8(a[2 * k], a[2 * k + 1]);
  }
  for (int m = 0; m < 4; ++m) {  // rows 4m..4m+3: columns 0-3, 4-7, 8-11, 12-15
    a[4 * m] = _mm_unpacklo_epi16(b[4 * m], b[4 * m + 2]);
    a[4 * m + 1] = _mm_unpackhi_epi16(b[4 * m], b[4 * m + 2]);
    a[4 * m + 2] = _mm_unpacklo_epi16(b[4 * m + 1], b[4 * m + 3]);
    a[4 * m + 3] = _mm_unpackhi_epi16(b[4 * m + 1], b[4 * m + 3]);
  }
  for (int q = 0; q < 2; ++q)  // rows 8q..8q+7: register 8q + t holds columns 2t, 2t+1
    for (int j = 0; j < 4; ++j) {
      b[8 * q + 2 * j] = _mm_unpacklo_epi32(a[8 * q + j], a[8 * q + 4 + j]);
      b[8 * q + 2 * j + 1] = _mm_unpackhi_epi32(a[8 * q + j], a[8 * q + 4 + j]);
    }
  for (int t = 0; t < 8; ++t) {  // rows 0-7 with rows 8-15: one register per column
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + (2 * t) * ldd), _mm_unpacklo_epi64(b[t], b[8 + t]));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + (2 * t + 1) * ldd), _mm_unpackhi_epi64(b[t], b[8 + t]));
  }
}
#endif

// dst[i][j] = src[i + j*sc] over a tile of rows [i0,i1) and columns [j0,j1); dst rows are ldd elements apart.
template <typename T>
void transpose_tile(const T* src, int64_t sc, T* dst, int64_t ldd, int64_t i0, int64_t i1, int64_t j0, int64_t j1) {
  int64_t i = i0;
#if defined(__SSE2__)
  if constexpr (sizeof(T) == 4) {
    // 4x4 register transposes: four contiguous source loads become four contiguous destination stores.
    for (; i + 4 <= i1; i += 4) {
      int64_t j = j0;
      for (; j + 4 <= j1; j += 4) {
        const float* s = reinterpret_cast<const float*>(src + i + j * sc);
        __m128 r0 = _mm_loadu_ps(s);
        __m128 r1 = _mm_loadu_ps(s + sc);
        __m128 r2 = _mm_loadu_ps(s + 2 * sc);
        __m128 r3 = _mm_loadu_ps(s + 3 * sc);
        _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
        float* d = reinterpret_cast<float*>(dst + i * ldd + j);
        _mm_storeu_ps(d, r0);
        _mm_storeu_ps(d + ldd, r1);
        _mm_storeu_ps(d + 2 * ldd, r2);
        _mm_storeu_ps(d + 3 * ldd, r3);
      }
      for (int64_t p = i; p < i + 4; ++p)
        for (int64_t q = j; q < j1; ++q) dst[p * ldd + q] = src[p + q * sc];
    }
  }
  if constexpr (sizeof(T) == 1) {
    // 16x16 byte transposes in four unpack stages (8, 16, 32, 64 bits): int8 feature maps (a quantised
    // boundary tensor turned channels-last) went one byte at a time, 10x slower per byte than float32.
    for (; i + 16 <= i1; i += 16) {
      int64_t j = j0;
      for (; j + 16 <= j1; j += 16) transpose_16x16_bytes(src + i + j * sc, sc, dst + i * ldd + j, ldd);
      for (int64_t p = i; p < i + 16; ++p)
        for (int64_t q = j; q < j1; ++q) dst[p * ldd + q] = src[p + q * sc];
    }
  }
#endif
  for (; i < i1; ++i)
    for (int64_t j = j0; j < j1; ++j) dst[i * ldd + j] = src[i + j * sc];
}

}  // namespace

Status StridedCopy::plan(const Shape& shape, const std::vector<int64_t>& strides, int64_t offset,
                         size_t elem_size) {
  if (shape.size() != strides.size())
    return Status(Code::kInternal, format("strided copy: %zu strides for shape %s", strides.size(),
                                          shape_to_string(shape).c_str()));
  esize_ = elem_size;
  offset_ = offset;
  numel_ = shape_numel(shape);
  dims_.clear();
  strides_.clear();
  tiled_ = false;
  if (numel_ == 0) return Status::ok();
  // Collapse from the innermost dimension out: size-1 dimensions vanish, and an outer dimension merges into
  // its inner neighbour when stepping it equals stepping past the whole neighbour.
  for (size_t k = shape.size(); k-- > 0;) {
    if (shape[k] == 1) continue;
    if (!dims_.empty() && strides[k] == strides_.back() * dims_.back()) {
      dims_.back() *= shape[k];
      continue;
    }
    dims_.push_back(shape[k]);
    strides_.push_back(strides[k]);
  }
  if (dims_.empty()) {
    dims_.push_back(1);
    strides_.push_back(1);
  }
  std::reverse(dims_.begin(), dims_.end());
  std::reverse(strides_.begin(), strides_.end());
  if (dims_.size() > static_cast<size_t>(kMaxDims))
    return Status(Code::kUnsupported, format("copy of shape %s needs %zu strided dimensions, more than %d",
                                             shape_to_string(shape).c_str(), dims_.size(), kMaxDims));
  size_t r = dims_.size();
  // A swap of the last two dimensions: reading rows would stride through memory, so copy in tiles.
  tiled_ = r >= 2 && strides_[r - 2] == 1 && strides_[r - 1] != 1 && strides_[r - 1] != 0 && dims_[r - 1] >= 4 &&
           dims_[r - 2] >= 4;
  return Status::ok();
}

const char* StridedCopy::loop_name() const {
  if (tiled_) return "tiles";
  return !strides_.empty() && strides_.back() != 1 ? "elements" : "rows";
}

int64_t StridedCopy::outer_offset(int64_t outer_index, int outer_rank) const {
  int64_t off = offset_;
  for (int k = outer_rank - 1; k >= 0; --k) {
    off += (outer_index % dims_[static_cast<size_t>(k)]) * strides_[static_cast<size_t>(k)];
    outer_index /= dims_[static_cast<size_t>(k)];
  }
  return off;
}

void StridedCopy::run(const void* src, void* dst) const {
  if (numel_ == 0) return;
  const auto* s = static_cast<const uint8_t*>(src);
  auto* d = static_cast<uint8_t*>(dst);
  int64_t items;
  if (tiled_) {
    size_t r = dims_.size();
    items = numel_ / (dims_[r - 1] * dims_[r - 2]) * ((dims_[r - 2] + kTile - 1) / kTile);
  } else {
    items = numel_ / dims_.back();
  }
  // Even split of rows (or tiles) per thread; each thread then walks its range with an odometer.
#pragma omp parallel if (numel_ > kParallelMin)
  {
    int64_t nt = omp_get_num_threads();
    int64_t t = omp_get_thread_num();
    int64_t begin = items * t / nt;
    int64_t end = items * (t + 1) / nt;
    if (tiled_) {
      run_tiles(s, d, begin, end);
    } else {
      run_rows(s, d, begin, end);
    }
  }
}

void StridedCopy::run_rows(const uint8_t* src, uint8_t* dst, int64_t row_begin, int64_t row_end) const {
  if (row_begin >= row_end) return;
  const int outer = static_cast<int>(dims_.size()) - 1;
  const int64_t n = dims_.back();
  const int64_t s = strides_.back();
  const auto es = static_cast<int64_t>(esize_);
  int64_t idx[kMaxDims] = {};
  int64_t rem = row_begin;
  for (int k = outer - 1; k >= 0; --k) {
    idx[k] = rem % dims_[static_cast<size_t>(k)];
    rem /= dims_[static_cast<size_t>(k)];
  }
  int64_t off = outer_offset(row_begin, outer);
  uint8_t* out = dst + row_begin * n * es;
  for (int64_t row = row_begin; row < row_end; ++row, out += n * es) {
    if (s == 1) {
      std::memcpy(out, src + off * es, static_cast<size_t>(n * es));
    } else {
      copy_row(src + off * es, s, n, out, esize_);
    }
    for (int k = outer - 1; k >= 0; --k) {
      off += strides_[static_cast<size_t>(k)];
      if (++idx[k] < dims_[static_cast<size_t>(k)]) break;
      off -= strides_[static_cast<size_t>(k)] * dims_[static_cast<size_t>(k)];
      idx[k] = 0;
    }
  }
}

void StridedCopy::run_tiles(const uint8_t* src, uint8_t* dst, int64_t item_begin, int64_t item_end) const {
  const size_t r = dims_.size();
  const int64_t rows = dims_[r - 2];
  const int64_t cols = dims_[r - 1];
  const int64_t sc = strides_[r - 1];
  const int64_t blocks = (rows + kTile - 1) / kTile;
  const auto es = static_cast<int64_t>(esize_);
  for (int64_t item = item_begin; item < item_end; ++item) {
    int64_t o = item / blocks;
    int64_t i0 = item % blocks * kTile;
    int64_t i1 = std::min(rows, i0 + kTile);
    const uint8_t* s = src + outer_offset(o, static_cast<int>(r) - 2) * es;
    uint8_t* d = dst + o * rows * cols * es;
    for (int64_t j0 = 0; j0 < cols; j0 += kTile) {
      int64_t j1 = std::min(cols, j0 + kTile);
      bool done = dispatch_width(esize_, [&](auto tag) {
        using T = decltype(tag);
        transpose_tile(reinterpret_cast<const T*>(s), sc, reinterpret_cast<T*>(d), cols, i0, i1, j0, j1);
      });
      if (!done) {
        for (int64_t i = i0; i < i1; ++i)
          for (int64_t j = j0; j < j1; ++j) std::memcpy(d + (i * cols + j) * es, s + (i + j * sc) * es, esize_);
      }
    }
  }
}

bool store_scalar(DType t, double v, void* dst) {
  switch (t) {
    case DType::kBool: *static_cast<uint8_t*>(dst) = v != 0.0 ? 1 : 0; return true;
    case DType::kFloat16: *static_cast<uint16_t*>(dst) = float_to_half(static_cast<float>(v)); return true;
    case DType::kBFloat16: *static_cast<uint16_t*>(dst) = float_to_bfloat16(static_cast<float>(v)); return true;
    default:
      return dispatch_numeric(t, [&](auto tag) { *static_cast<decltype(tag)*>(dst) = static_cast<decltype(tag)>(v); });
  }
}

void fill_elements(void* dst, int64_t count, const void* value, size_t elem_size) {
  if (count <= 0) return;
  bool done = dispatch_width(elem_size, [&](auto tag) {
    using T = decltype(tag);
    T v;
    std::memcpy(&v, value, sizeof(T));
    std::fill(static_cast<T*>(dst), static_cast<T*>(dst) + count, v);
  });
  if (!done) {
    for (int64_t i = 0; i < count; ++i)
      std::memcpy(static_cast<uint8_t*>(dst) + i * static_cast<int64_t>(elem_size), value, elem_size);
  }
}

}  // namespace tandem
