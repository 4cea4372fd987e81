// Post-training calibration: runs the float model over calibration inputs, collects per-tensor statistics
// (min/max and TensorRT's 2048-bin |x| histogram) of every tensor an int8 deployment quantises, and turns
// them into scales by any calibrator. One pass serves every method, so they can be compared side by side.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "ir/graph.h"
#include "quant/calibration_cache.h"
#include "quant/histogram.h"

namespace tandem {

// The tensors int8 stages read scales of, in a specialised graph: the data input of every convolution and of
// every matrix product with constant weights, or rather the tensor behind it when it is a reshape/transpose
// view (after fusion the inputs are those tensors or data-movement views of them; stage boundaries are among
// them). Where such a tensor is a Resize's output, the Resize's source too (and so on up a chain of them): an int8
// convolution feeding the Resize emits int8 at that scale (fuse_requantize), as TensorRT calibrates every tensor.
std::vector<std::string> calibration_tensors(const Graph& specialized);
// Also fills `aliases`: each view's name -> the tensor it views (they share a scale).
std::vector<std::string> calibration_tensors(const Graph& specialized, std::map<std::string, std::string>& aliases);

class Calibrator {
 public:
  // `imported`: the model as imported; it is specialised to `input_shapes` and run in fp32 on `threads`.
  static Result<std::unique_ptr<Calibrator>> create(const Graph& imported,
                                                    const std::map<std::string, Shape>& input_shapes, int threads);
  ~Calibrator();
  const std::vector<std::string>& tensors() const { return tensors_; }
  // Runs one calibration input (model input order) and adds its tensors to the statistics.
  Status add(const std::vector<Tensor>& inputs);
  int64_t frames() const { return frames_; }
  const HistogramCollector& statistics(const std::string& tensor) const;
  // A cache of scales (amax / 127) by `method`, for every tensor and every view of one on the way to a reader.
  Result<CalibrationCache> cache(CalibrationMethod method, const CalibrationOptions& options = {}) const;

 private:
  Calibrator() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::vector<std::string> tensors_;
  std::map<std::string, std::string> aliases_;
  std::map<std::string, HistogramCollector> stats_;
  int64_t frames_ = 0;
};

}  // namespace tandem
