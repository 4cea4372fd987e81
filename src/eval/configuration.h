// A configuration is one way of running the model (the FP32 session, later a split or quantised deployment): a
// function from the preprocessed image [1,3,H,W] to the two task outputs. Evaluation and comparison see nothing else.
#pragma once

#include <functional>

#include "core/status.h"
#include "core/tensor.h"
#include "eval/postprocess.h"
#include "eval/task_outputs.h"

namespace tandem {

using Configuration = std::function<Result<TaskOutputs>(const Tensor& image)>;

struct FramePrediction {
  TaskOutputs outputs;    // as the configuration returned them
  Prediction prediction;  // post-processed to the image's size
  double run_ms = 0;      // time inside the configuration
};

// Runs `config` on a preprocessed input (preprocess_imagenet), checks the outputs and post-processes them to
// height x width (the frame's own size, which the input may have been resized from).
Result<FramePrediction> predict(const Configuration& config, const Tensor& input, int height, int width);

}  // namespace tandem
