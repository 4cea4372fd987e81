// The partitioner: cuts a specialised graph into the plan's stages. Each stage becomes its own graph whose
// inputs are model inputs or tensors of earlier stages (the boundary tensors) and whose outputs are what later
// stages or the caller read. Nodes a stage's unit cannot run move to the plan's fallback unit, splitting the
// stage into parts that alternate between the two units (reported per node).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "plan/plan.h"

namespace tandem {

// Whether `unit` can run `node` in `precision`. The runtime answers from the backends; the partitioner
// knows no backend.
using UnitSupports = std::function<bool(const UnitSpec& unit, const Node& node, Precision precision)>;

struct StageGraph {
  std::string name;         // the plan's stage name; fallback parts get "<name>#<k>"
  std::string plan_stage;   // the plan stage it came from
  std::string unit;
  Precision precision = Precision::kFp32;
  std::vector<LayerOverride> overrides;
  std::unique_ptr<Graph> graph;
  std::vector<std::string> fallback_nodes;  // "node 'x' (Op)" moved here because the plan's unit lacks them
};

// A tensor crossing stages, or a model input/output. producer = -1 for model inputs.
struct BoundaryTensor {
  std::string name;
  DType dtype = DType::kUndefined;
  Shape shape;
  int producer = -1;
  std::vector<int> consumers;  // stage indices
  bool model_output = false;
  size_t bytes() const { return static_cast<size_t>(shape_numel(shape)) * dtype_size(dtype); }
};

struct Partition {
  std::vector<StageGraph> stages;
  std::vector<BoundaryTensor> tensors;  // model inputs first, then in order of production
  const BoundaryTensor* tensor(const std::string& name) const;
};

// `graph` must be specialised (concrete shapes). Errors name the stage and the tensor.
Result<Partition> partition_graph(const Graph& graph, const Plan& plan, const UnitSupports& supports);

}  // namespace tandem
