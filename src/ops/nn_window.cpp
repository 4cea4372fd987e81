// Sliding-window geometry: the output-size and padding rules of ONNX's Conv and pooling ops.
#include "ops/nn_window.h"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <string>

namespace tandem {
namespace {

std::string ints_to_string(const std::vector<int64_t>& v) { return shape_to_string(v); }

// Kernel sizes, strides, dilations and pads fit in 31 bits, so that the window arithmetic below cannot overflow
// int64 on any input a tensor can have ((k - 1) * dilation < 2^62; no real network comes near).
constexpr int64_t kMaxWindowValue = INT32_MAX;

}  // namespace

Result<std::vector<int64_t>> window_ints(const Attributes& attrs, const char* name, size_t count, int64_t def,
                                         int64_t min) {
  std::vector<int64_t> v = attrs.get_ints(name, std::vector<int64_t>(count, def));
  if (v.size() != count)
    return Status(Code::kInvalidArgument,
                  format("attribute '%s'=%s must have %zu values", name, ints_to_string(v).c_str(), count));
  for (int64_t x : v)
    if (x < min || x > kMaxWindowValue)
      return Status(Code::kInvalidArgument, format("attribute '%s'=%s must be in [%lld, %lld]", name,
                                                   ints_to_string(v).c_str(), static_cast<long long>(min),
                                                   static_cast<long long>(kMaxWindowValue)));
  return v;
}

Result<WindowGeometry> window_geometry(const Attributes& attrs, const std::vector<int64_t>& in_spatial,
                                       const std::vector<int64_t>& kernel, const WindowOptions& options) {
  const size_t rank = in_spatial.size();
  if (rank == 0 || rank > kMaxSpatialRank)
    return Status(Code::kUnsupported, format("%zu spatial dims are not supported (1..%zu)", rank, kMaxSpatialRank));
  if (kernel.size() != rank)
    return Status(Code::kInvalidArgument, "kernel " + ints_to_string(kernel) + " does not match input spatial dims " +
                                              ints_to_string(in_spatial));
  for (int64_t k : kernel)
    if (k < 1 || k > kMaxWindowValue)
      return Status(Code::kInvalidArgument, "kernel_shape " + ints_to_string(kernel) + " must be in [1, 2^31)");

  WindowGeometry g;
  g.in = in_spatial;
  g.kernel = kernel;
  TANDEM_ASSIGN_OR_RETURN(g.strides, window_ints(attrs, "strides", rank, 1, 1));
  TANDEM_ASSIGN_OR_RETURN(g.dilations, window_ints(attrs, "dilations", rank, 1, 1));
  g.pad_begin.assign(rank, 0);
  g.pad_end.assign(rank, 0);
  g.out.assign(rank, 0);

  const std::string auto_pad = attrs.get_string("auto_pad", "NOTSET");
  if (auto_pad != "NOTSET" && auto_pad != "SAME_UPPER" && auto_pad != "SAME_LOWER" && auto_pad != "VALID")
    return Status(Code::kUnsupported, "attribute 'auto_pad'='" + auto_pad + "' is not supported");
  if (auto_pad == "NOTSET") {
    TANDEM_ASSIGN_OR_RETURN(std::vector<int64_t> pads, window_ints(attrs, "pads", 2 * rank, 0, 0));
    for (size_t d = 0; d < rank; ++d) {
      g.pad_begin[d] = pads[d];
      g.pad_end[d] = pads[d + rank];
    }
  }

  for (size_t d = 0; d < rank; ++d) {
    const int64_t dk = (g.kernel[d] - 1) * g.dilations[d] + 1;  // extent of the dilated window
    const int64_t in = g.in[d], s = g.strides[d];
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      g.out[d] = (in + s - 1) / s;
      const int64_t total = std::max<int64_t>(0, (g.out[d] - 1) * s + dk - in);
      // SAME_UPPER puts the odd pad at the end, SAME_LOWER at the beginning.
      g.pad_begin[d] = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      g.pad_end[d] = total - g.pad_begin[d];
      continue;
    }
    const int64_t span = in + g.pad_begin[d] + g.pad_end[d] - dk;
    if (span < 0)
      return Status(
          Code::kInvalidArgument,
          format("window of extent %lld (kernel %s, dilations %s) exceeds padded input %s with pads %s..%s",
                 static_cast<long long>(dk), ints_to_string(g.kernel).c_str(), ints_to_string(g.dilations).c_str(),
                 ints_to_string(g.in).c_str(), ints_to_string(g.pad_begin).c_str(), ints_to_string(g.pad_end).c_str()));
    if (options.ceil_mode && auto_pad == "NOTSET") {
      g.out[d] = (span + s - 1) / s + 1;
      // A window that would start inside the end padding only is dropped (as PyTorch and ONNX Runtime do).
      if ((g.out[d] - 1) * s >= in + g.pad_begin[d]) --g.out[d];
    } else {
      g.out[d] = span / s + 1;
    }
  }
  return g;
}

}  // namespace tandem
