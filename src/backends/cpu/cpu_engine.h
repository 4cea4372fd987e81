// The CPU engine: a specialised graph compiled into a fixed list of prepared kernels over one planned arena.
// Build time chooses kernels, packs weights and plans memory; run() only copies inputs in, runs the steps
// and copies outputs out, allocating nothing.
#pragma once

#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "ir/graph.h"
#include "ops/op_registry.h"
#include "unit/engine.h"

namespace tandem {

struct CpuEngineOptions {
  int threads = 1;  // exactly this many threads run each kernel
  // Tactics found by an earlier build, by node name (StepInfo::tactic): reused instead of timed again.
  std::map<std::string, std::string> tactics;
};

class CpuEngine final : public Engine {
 public:
  // `graph` must be specialised (all shapes concrete); the engine keeps its own copy of what it needs.
  static Result<std::unique_ptr<CpuEngine>> build(const Graph& graph, const CpuEngineOptions& options);

  const std::vector<TensorDesc>& inputs() const override { return inputs_; }
  const std::vector<TensorDesc>& outputs() const override { return outputs_; }
  const std::vector<StepInfo>& steps() const override { return step_info_; }
  size_t arena_bytes() const { return arena_bytes_; }

  // `inputs` in inputs() order with matching dtype/shape; `outputs` in outputs() order, pre-allocated.
  // Copies inputs into the engine's arena and outputs out of it. With `step_seconds` non-null, each step is
  // timed into it (sized steps().size()).
  Status run(std::span<const Tensor> inputs, std::span<Tensor> outputs, std::vector<double>* step_seconds = nullptr);
  // Zero copy: kernels read the inputs and write the outputs where the caller has them. A port whose value
  // is also another port (an output that is an input, an output read twice) is copied instead.
  Status run_bound(std::span<const Tensor> inputs, std::span<Tensor> outputs, const RunProbe* probe = nullptr) override;

 private:
  struct Step {
    std::unique_ptr<Kernel> kernel;
    std::vector<Tensor> in;
    std::vector<Tensor> out;
  };
  // Where a graph port's buffer appears among the steps' views (its value and every alias of it).
  struct PortRefs {
    std::vector<Tensor*> views;
    bool bindable = true;  // false: shares its buffer with another port, or is a constant
  };
  Status check_ports(std::span<const Tensor> inputs, std::span<Tensor> outputs) const;
  void bind(std::vector<PortRefs>& ports, size_t i, void* data);
  Status run_steps(const RunProbe* probe);

  CpuEngineOptions options_;
  std::vector<TensorDesc> inputs_, outputs_;
  std::vector<Step> steps_;
  std::vector<StepInfo> step_info_;
  std::vector<Tensor> input_slots_, output_slots_;  // arena views (or constants) for the graph's ports
  std::vector<PortRefs> input_refs_, output_refs_;
  std::shared_ptr<void> arena_;
  size_t arena_bytes_ = 0;
};

}  // namespace tandem
