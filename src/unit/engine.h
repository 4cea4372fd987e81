// What a unit compiles a stage into: an engine with fixed input/output descriptions that runs on caller
// buffers bound in place (no copies in or out), one call at a time.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "unit/stream.h"

namespace tandem {

struct TensorDesc {
  std::string name;
  DType dtype = DType::kUndefined;
  Shape shape;
};

struct StepInfo {
  std::string node_name;
  std::string op_type;
  std::string impl;    // which kernel was chosen
  std::string tactic;  // the build-time tactic choice behind it ("" when none was made)
  double flops = 0;
};

// Optional per-run instrumentation: per-step seconds accumulated, and/or one trace event per step.
struct RunProbe {
  std::vector<double>* step_seconds = nullptr;  // sized steps().size()
  TraceBuffer* trace = nullptr;
  int64_t frame = -1;
};

class Engine {
 public:
  virtual ~Engine() = default;
  virtual const std::vector<TensorDesc>& inputs() const = 0;
  virtual const std::vector<TensorDesc>& outputs() const = 0;
  virtual const std::vector<StepInfo>& steps() const = 0;
  // Runs reading `inputs` and writing `outputs` where they are (shapes and dtypes as described).
  virtual Status run_bound(std::span<const Tensor> inputs, std::span<Tensor> outputs, const RunProbe* probe = nullptr) = 0;
};

}  // namespace tandem
