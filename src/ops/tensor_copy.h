// An N-d strided copy planned once and run per frame: the one loop behind Transpose, Slice, Expand and Tile.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "ops/op_registry.h"

namespace tandem {

// Calls f(T{}) with an unsigned type of `size` bytes: moving bytes needs nothing more than their width.
template <typename F>
bool dispatch_width(size_t size, F&& f) {
  switch (size) {
    case 1: f(uint8_t{}); return true;
    case 2: f(uint16_t{}); return true;
    case 4: f(uint32_t{}); return true;
    case 8: f(uint64_t{}); return true;
    default: return false;
  }
}

// Copies a strided view of `src` into a contiguous `dst` of shape `shape`, in elements of `elem_size` bytes.
// View element (i_0, ..., i_n-1) is src element `offset + sum(i_k * strides[k])`. Strides may be negative
// (Slice with negative steps) or zero (Expand and Tile broadcast). plan() collapses dimensions that stay
// adjacent, then run() picks one of three loops:
//  - rows whose source is contiguous (most slices, [B,N,H,D]->[B,H,N,D]): one memcpy per row;
//  - a swap of the last two dimensions (2-D transpose, NCHW<->NHWC): cache-sized tiles, 4x4 SSE blocks
//    for 4-byte elements;
//  - anything else: an element loop per row with an odometer over the outer dimensions.
class StridedCopy {
 public:
  static constexpr int kMaxDims = 16;  // after collapsing; ONNX tensors in practice have rank <= 8

  [[nodiscard]] Status plan(const Shape& shape, const std::vector<int64_t>& strides, int64_t offset,
                            size_t elem_size);
  void run(const void* src, void* dst) const;

  // For tests and `inspect`: "rows", "tiles" or "elements".
  const char* loop_name() const;

 private:
  void run_rows(const uint8_t* src, uint8_t* dst, int64_t row_begin, int64_t row_end) const;
  void run_tiles(const uint8_t* src, uint8_t* dst, int64_t item_begin, int64_t item_end) const;
  int64_t outer_offset(int64_t outer_index, int outer_rank) const;

  std::vector<int64_t> dims_;     // collapsed shape
  std::vector<int64_t> strides_;  // source strides of dims_, in elements
  int64_t offset_ = 0;
  size_t esize_ = 0;
  int64_t numel_ = 0;
  bool tiled_ = false;
};

// A kernel whose whole run is one strided copy of input 0 into output 0, planned in prepare()
// (Transpose, Slice, Expand, Tile): subclasses only plan `copy_`.
class StridedCopyKernel : public Kernel {
 public:
  Status run(std::span<const Tensor> in, std::span<Tensor> out) override {
    copy_.run(in[0].raw(), out[0].raw());
    return Status::ok();
  }
  std::string impl_name() const override { return std::string("reference:") + copy_.loop_name(); }

 protected:
  StridedCopy copy_;
};

}  // namespace tandem
