// Pad in every mode (constant, reflect, edge, wrap), with negative pads cropping. Each output coordinate
// maps, per dimension, to an input coordinate or to "fill"; rows whose interior is plain input are memcpy'd.
#include <algorithm>

#include "core/checked_size.h"
#include "ops/broadcast.h"
#include "ops/shape_ops.h"
#include "ops/tensor_copy.h"

namespace tandem {
namespace {

constexpr int64_t kParallelMin = 1 << 15;

enum class PadMode { kConstant, kReflect, kEdge, kWrap };

struct PadParams {
  PadMode mode = PadMode::kConstant;
  std::vector<int64_t> pads;  // [begin_0..begin_n-1, end_0..end_n-1], one pair per input dimension
  Shape out;
};

// pads: attribute 'paddings' (opset 1), 'pads' (2-10), input 1 (11+), optionally on input 3's axes (18+).
Result<PadParams> pad_params(const OpContext& ctx) {
  const Shape& in = ctx.in(0).shape;
  auto rank = static_cast<int64_t>(in.size());
  PadParams p;
  std::string mode = ctx.attrs().get_string("mode", "constant");
  if (mode == "constant") {
    p.mode = PadMode::kConstant;
  } else if (mode == "reflect") {
    p.mode = PadMode::kReflect;
  } else if (mode == "edge") {
    p.mode = PadMode::kEdge;
  } else if (mode == "wrap") {
    p.mode = PadMode::kWrap;
  } else {
    return Status(Code::kUnsupported, format("attribute 'mode'='%s' is not supported", mode.c_str()));
  }
  std::vector<int64_t> given;
  if (ctx.opset < 11) {
    given = ctx.attrs().get_ints(ctx.opset < 2 ? "paddings" : "pads");
  } else {
    TANDEM_CHECK_OR_RETURN(ctx.has_input(1), kInvalidArgument, "Pad needs input 'pads'");
    TANDEM_ASSIGN_OR_RETURN(given, constant_ints(ctx, 1, "pads"));
  }
  std::vector<int64_t> axes;
  if (ctx.has_input(3)) {
    TANDEM_ASSIGN_OR_RETURN(axes, constant_ints(ctx, 3, "axes"));
  } else {
    for (int64_t i = 0; i < rank; ++i) axes.push_back(i);
  }
  TANDEM_CHECK_OR_RETURN(given.size() == 2 * axes.size(), kInvalidArgument, "pads %s do not fit %zu axes of input %s",
                         shape_to_string(given).c_str(), axes.size(), shape_to_string(in).c_str());
  p.pads.assign(static_cast<size_t>(2 * rank), 0);
  for (size_t i = 0; i < axes.size(); ++i) {
    TANDEM_ASSIGN_OR_RETURN(int64_t a, normalize_axis(axes[i], rank));
    p.pads[static_cast<size_t>(a)] = given[i];
    p.pads[static_cast<size_t>(a + rank)] = given[i + axes.size()];
  }
  p.out = in;
  for (size_t d = 0; d < in.size(); ++d) {
    int64_t b = p.pads[d], e = p.pads[d + in.size()];
    TANDEM_CHECK_OR_RETURN(add_dims(in[d], b, &p.out[d]) && add_dims(p.out[d], e, &p.out[d]), kInvalidArgument,
                           "pads %s of input %s overflow", shape_to_string(given).c_str(), shape_to_string(in).c_str());
    TANDEM_CHECK_OR_RETURN(p.out[d] >= 0, kInvalidArgument, "pads %s crop input %s below nothing",
                           shape_to_string(given).c_str(), shape_to_string(in).c_str());
    TANDEM_CHECK_OR_RETURN(in[d] > 0 || p.out[d] == 0 || p.mode == PadMode::kConstant, kInvalidArgument,
                           "mode '%s' cannot pad the empty axis %zu of input %s", mode.c_str(), d,
                           shape_to_string(in).c_str());
  }
  return p;
}

Status infer_pad(OpContext& ctx) {
  TANDEM_RETURN_IF_ERROR(check_fixed_size(ctx.in(0).dtype, "input 'data'"));
  TANDEM_ASSIGN_OR_RETURN(PadParams p, pad_params(ctx));
  if (ctx.has_input(2))
    TANDEM_CHECK_OR_RETURN(ctx.in(2).dtype == ctx.in(0).dtype, kInvalidArgument, "constant_value is %s, data is %s",
                           dtype_name(ctx.in(2).dtype), dtype_name(ctx.in(0).dtype));
  ctx.set_output(0, ctx.in(0).dtype, p.out);
  return Status::ok();
}

// Input coordinate of output coordinate o along an axis of n elements padded by b in front; -1 = fill.
int64_t source_index(PadMode mode, int64_t o, int64_t b, int64_t n) {
  int64_t i = o - b;
  if (i >= 0 && i < n) return i;
  switch (mode) {
    case PadMode::kConstant: return -1;
    case PadMode::kEdge: return i < 0 ? 0 : n - 1;
    case PadMode::kWrap: return ((i % n) + n) % n;
    case PadMode::kReflect: {
      if (n == 1) return 0;
      int64_t period = 2 * (n - 1);
      i = ((i % period) + period) % period;
      return i < n ? i : period - i;
    }
  }
  return -1;
}

class PadKernel : public Kernel {
 public:
  Status prepare(const OpContext& ctx) override {
    TANDEM_ASSIGN_OR_RETURN(PadParams p, pad_params(ctx));
    const Shape& in = ctx.in(0).shape;
    esize_ = dtype_size(ctx.in(0).dtype);
    out_ = p.out;
    in_strides_ = contiguous_strides(in);
    maps_.assign(in.size(), {});
    for (size_t d = 0; d < in.size(); ++d) {
      for (int64_t o = 0; o < out_[d]; ++o) maps_[d].push_back(source_index(p.mode, o, p.pads[d], in[d]));
    }
    if (!in.empty()) {  // the stretch of the last axis that is the input's own row, copied in one go
      int64_t b = p.pads[in.size() - 1];
      lo_ = std::clamp<int64_t>(b, 0, out_.back());
      hi_ = std::clamp<int64_t>(b + in.back(), lo_, out_.back());
      src_lo_ = lo_ - b;
    }
    // Opset 2-10 give the fill value as a float attribute; from 11 it is an input read per run.
    std::fill(std::begin(fill_), std::end(fill_), uint8_t{0});
    if (ctx.opset < 11) {
      TANDEM_CHECK_OR_RETURN(store_scalar(ctx.in(0).dtype, ctx.attrs().get_float("value", 0.0f), fill_), kUnsupported,
                             "Pad of dtype %s is not supported", dtype_name(ctx.in(0).dtype));
    }
    return Status::ok();
  }

  Status run(std::span<const Tensor> in, std::span<Tensor> out) override {
    uint8_t fill[8];
    std::memcpy(fill, fill_, sizeof(fill));
    if (in.size() > 2 && in[2].defined() && in[2].numel() >= 1) std::memcpy(fill, in[2].raw(), esize_);
    const auto* src = static_cast<const uint8_t*>(in[0].raw());
    auto* dst = static_cast<uint8_t*>(out[0].raw());
    if (out_.empty()) {  // a scalar: nothing to pad
      std::memcpy(dst, src, esize_);
      return Status::ok();
    }
    dispatch_width(esize_, [&](auto tag) {
      using T = decltype(tag);
      T value;
      std::memcpy(&value, fill, sizeof(T));
      pad_rows(reinterpret_cast<const T*>(src), reinterpret_cast<T*>(dst), value);
    });
    return Status::ok();
  }

 private:
  template <typename T>
  void pad_rows(const T* src, T* dst, T value) const {
    const size_t last = out_.size() - 1;
    const int64_t cols = out_[last];
    const int64_t rows = cols == 0 ? 0 : shape_numel(out_) / cols;
    const std::vector<int64_t>& col_map = maps_[last];
#pragma omp parallel for if (rows * cols > kParallelMin) schedule(static)
    for (int64_t row = 0; row < rows; ++row) {
      T* d = dst + row * cols;
      int64_t src_off = 0;
      int64_t rem = row;
      for (size_t k = last; k-- > 0;) {
        int64_t i = maps_[k][static_cast<size_t>(rem % out_[k])];
        rem /= out_[k];
        if (i < 0 || src_off < 0) {
          src_off = -1;
        } else {
          src_off += i * in_strides_[k];
        }
      }
      if (src_off < 0) {
        std::fill(d, d + cols, value);
        continue;
      }
      const T* s = src + src_off;
      for (int64_t j = 0; j < lo_; ++j) d[j] = col_map[static_cast<size_t>(j)] < 0 ? value : s[col_map[static_cast<size_t>(j)]];
      std::memcpy(d + lo_, s + src_lo_, static_cast<size_t>(hi_ - lo_) * sizeof(T));
      for (int64_t j = hi_; j < cols; ++j) d[j] = col_map[static_cast<size_t>(j)] < 0 ? value : s[col_map[static_cast<size_t>(j)]];
    }
  }

  size_t esize_ = 0;
  Shape out_;
  std::vector<int64_t> in_strides_;
  std::vector<std::vector<int64_t>> maps_;  // per axis, output coordinate -> input coordinate or -1
  int64_t lo_ = 0, hi_ = 0, src_lo_ = 0;
  alignas(8) uint8_t fill_[8] = {};
};

}  // namespace

void register_pad_ops(OpRegistry& r) {
  r.add(onnx_schema("Pad", infer_pad, make_kernel<PadKernel>, {1, 3}));
}

}  // namespace tandem
