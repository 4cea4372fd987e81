// One input through one configuration: run (timed), check, post-process.
#include "eval/configuration.h"

#include <chrono>

namespace tandem {

Result<FramePrediction> predict(const Configuration& config, const Tensor& input, int height, int width) {
  FramePrediction fp;
  auto t0 = std::chrono::steady_clock::now();
  TANDEM_ASSIGN_OR_RETURN(fp.outputs, config(input));
  fp.run_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  TANDEM_ASSIGN_OR_RETURN(fp.prediction, postprocess(fp.outputs, height, width));
  return fp;
}

}  // namespace tandem
