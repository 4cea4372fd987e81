// Calibrators: the clipping threshold (amax) of a tensor from its statistics, and symmetric int8 scales.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "quant/histogram.h"

namespace tandem {

enum class CalibrationMethod { kMinMax, kEntropy, kPercentile, kMse };

const char* calibration_method_name(CalibrationMethod method);  // "minmax", "entropy", "percentile", "mse"
Result<CalibrationMethod> parse_calibration_method(const std::string& name);

struct CalibrationOptions {
  double percentile = 99.99;  // percentile: in (0, 100]
  int start_bin = 128;        // entropy and mse: the smallest candidate, in bins (TensorRT's 128 = one per level)
  // Entropy only: count bin 0 as bin 1 before the search, as pytorch-quantization and ModelOpt do (`bins[0] =
  // bins[1]`), so the spike of exact zeros after a ReLU does not decide the threshold. TensorRT's code is not public.
  bool entropy_flatten_zero_bin = true;
};

// The amax of the collected data by `method`; 0 when no finite value was collected. Invalid options are an error.
Result<float> calibrate_amax(const HistogramCollector& stats, CalibrationMethod method,
                             const CalibrationOptions& options = {});

// The histogram methods, on any histogram (tests feed hand-made ones). An empty histogram (total 0) gives 0.
float entropy_amax(const Histogram& hist, int start_bin = 128, bool flatten_zero_bin = true);
float percentile_amax(const Histogram& hist, double percentile);  // percentile in (0, 100]
float mse_amax(const Histogram& hist, int start_bin = 128);

// Symmetric int8: scale = amax / 127, exactly (what TensorRT writes to its cache; 0 for an all-zero tensor, which
// the quantizer maps 0 -> 0).
inline float scale_from_amax(float amax) { return amax / 127.0f; }

// The range of activation scales a calibration cache may hold (written and read): a scale of 0, a denormal or one
// near FLT_MAX makes every quantised value 0 or its requantisation multipliers (input scale * weight scale /
// output scale) underflow or overflow, so such a cache is an error on reading. 2^-32 covers tensors whose largest
// |x| is 3e-8; 2^32, largest values of 5e11. A tensor calibrated as all zeros gets the smallest scale (its zeros
// still quantise to 0).
inline constexpr float kMinActivationScale = 0x1p-32f;
inline constexpr float kMaxActivationScale = 0x1p32f;
inline float activation_scale_from_amax(float amax) {
  const float s = scale_from_amax(amax);
  return s > kMinActivationScale ? (s < kMaxActivationScale ? s : kMaxActivationScale) : kMinActivationScale;
}

// The floor on weight scales: float32 epsilon (2^-23), PyTorch's observers' `eps`. A zero output channel would
// otherwise get scale 0, and the requantisation multipliers built from it (input scale * weight scale / output
// scale, and its inverse) would be 0 or inf. It changes only channels with amax < 127 * 2^-23 (about 1.5e-5), whose
// weights then still quantize to within [-127, 127], so nothing saturates.
inline constexpr float kMinWeightScale = 1.1920928955078125e-07f;

// Per-output-channel symmetric weight scales of `w` laid out [out_channels][per_channel] (OIHW flattened):
// max(max |w| over the channel / 127, kMinWeightScale). NaN weights are ignored.
std::vector<float> weight_scales(const float* w, int64_t out_channels, int64_t per_channel);

}  // namespace tandem
