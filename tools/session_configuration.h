// The evaluation library's Configuration backed by a ModelSession: the model run as `tandem run` runs it (FP32, CPU).
#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "eval/configuration.h"
#include "runtime/deployment.h"

namespace tandem::cli {

// Loads `model_path` (an ONNX model, or a .tdm engine from `tandem build`), checks it takes one image
// [N,3,H,W] and has `seg_logits` and `depth` outputs, and returns a function that runs it; for a model,
// engines are built per input shape on first use; an engine file runs its deployment at its built shape.
Result<Configuration> session_configuration(const std::string& model_path, int threads);

// The deployment behind a configuration, for tools that look inside it (eval --layer-report): a .tdm engine as
// saved, or an ONNX model on one unit of `threads` cores with its image input fixed to [1,3,height,width].
Result<std::unique_ptr<Deployment>> load_or_build_deployment(const std::string& model_path, int threads, int height,
                                                             int width);

}  // namespace tandem::cli
