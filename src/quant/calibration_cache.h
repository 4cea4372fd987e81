// TensorRT's text calibration cache: a `TRT-<version>-<Algorithm>` header, then `tensor_name: <hex>` per tensor,
// hex = the float32 scale's IEEE-754 bits as a big-endian hex number.
#pragma once

#include <map>
#include <string>

#include "core/status.h"
#include "quant/calibrators.h"

namespace tandem {

struct CalibrationCache {
  std::string version = "8601";         // TensorRT 8.6.1, the release DLA deployments (mtmi) use
  std::string algorithm;                // "EntropyCalibration2", "MinMaxCalibration", ... (see cache_algorithm_name)
  std::map<std::string, float> scales;  // tensor name -> scale (amax / 127)
};

// TensorRT's names for its calibrators, and Tandem's for the two TensorRT does not have: "MinMaxCalibration",
// "EntropyCalibration2", "TandemPercentile<p>" (p as %g: "TandemPercentile99.99") and "TandemMSE". TensorRT checks
// the algorithm against its own calibrator's, so it ignores a Tandem-only cache instead of misreading it.
std::string cache_algorithm_name(CalibrationMethod method, double percentile = 99.99);

// Reading accepts 1 to 8 hex digits (TensorRT drops leading zeros: a zero scale is written `0`), either case, CRLF
// line ends and blank lines. A name may itself contain ": " (the line is split at the last one). Errors name the
// file and line: missing or malformed header, a line without ": ", an empty name, bad hex, a negative or non-finite
// scale, a tensor listed twice, an empty file.
Result<CalibrationCache> read_cache(const std::string& path);
Result<CalibrationCache> parse_cache(const std::string& text, const std::string& path);

// Writes 8 lower-case hex digits per scale, tensors in name order. Refused: a version or algorithm that would not
// read back as the same header, an empty name or one with a line break.
Status write_cache(const CalibrationCache& cache, const std::string& path);
Result<std::string> format_cache(const CalibrationCache& cache);

}  // namespace tandem
