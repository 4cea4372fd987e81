// The CPU engine: a specialised graph compiled into a fixed list of prepared kernels over one planned arena.
// Build time chooses kernels, packs weights and plans memory; run() only copies inputs in, runs the steps
// and copies outputs out, allocating nothing.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "ir/graph.h"
#include "ops/op_registry.h"

namespace tandem {

struct CpuEngineOptions {
  int threads = 1;  // exactly this many threads run each kernel
};

struct TensorDesc {
  std::string name;
  DType dtype = DType::kUndefined;
  Shape shape;
};

struct StepInfo {
  std::string node_name;
  std::string op_type;
  std::string impl;  // which kernel was chosen
  double flops = 0;
};

class CpuEngine {
 public:
  // `graph` must be specialised (all shapes concrete); the engine keeps its own copy of what it needs.
  static Result<std::unique_ptr<CpuEngine>> build(const Graph& graph, const CpuEngineOptions& options);

  const std::vector<TensorDesc>& inputs() const { return inputs_; }
  const std::vector<TensorDesc>& outputs() const { return outputs_; }
  const std::vector<StepInfo>& steps() const { return step_info_; }
  size_t arena_bytes() const { return arena_bytes_; }

  // `inputs` in inputs() order with matching dtype/shape; `outputs` in outputs() order, pre-allocated.
  // With `step_seconds` non-null, each step is timed into it (sized steps().size()).
  Status run(std::span<const Tensor> inputs, std::span<Tensor> outputs, std::vector<double>* step_seconds = nullptr);

 private:
  struct Step {
    std::unique_ptr<Kernel> kernel;
    std::vector<Tensor> in;
    std::vector<Tensor> out;
  };
  CpuEngineOptions options_;
  std::vector<TensorDesc> inputs_, outputs_;
  std::vector<Step> steps_;
  std::vector<StepInfo> step_info_;
  std::vector<Tensor> input_slots_, output_slots_;  // arena views (or constants) for the graph's ports
  std::shared_ptr<void> arena_;
  size_t arena_bytes_ = 0;
};

}  // namespace tandem
