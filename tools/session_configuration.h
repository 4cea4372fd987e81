// The evaluation library's Configuration backed by a Session: the model run as `tandem run` runs it (FP32, CPU).
#pragma once

#include <string>

#include "core/status.h"
#include "eval/configuration.h"

namespace tandem::cli {

// Loads `model_path` (an ONNX model, or a .tdm engine from `tandem build`), checks it takes one image
// [N,3,H,W] and has `seg_logits` and `depth` outputs, and returns a function that runs it; for a model,
// engines are built per input shape on first use; an engine file runs its deployment at its built shape.
Result<Configuration> session_configuration(const std::string& model_path, int threads);

}  // namespace tandem::cli
