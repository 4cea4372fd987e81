// Automatic split of a multi-task model into its shared trunk (backbone) and its heads: the trunk is every node
// all model outputs depend on; the boundary is the trunk's tensors read outside it; outputs whose head nodes
// overlap belong to one head.
#pragma once

#include <string>
#include <vector>

#include "ir/graph.h"
#include "plan/plan.h"

namespace tandem {

struct TrunkSplit {
  std::vector<std::string> boundary;            // trunk tensors the heads read, in topological order
  std::vector<std::vector<std::string>> heads;  // model outputs per head, in model output order
  size_t trunk_nodes = 0;
};

// `graph` should be specialised (folded shape arithmetic would otherwise tie every head to the input).
// An error when the model has fewer than two outputs or no node is shared by all of them.
Result<TrunkSplit> find_shared_trunk(const Graph& graph);

// A backbone stage on `backbone_unit` producing the boundary, then one stage per head on `heads_unit`.
Plan heads_plan(const TrunkSplit& split, const std::vector<UnitSpec>& units, const std::string& backbone_unit,
                const std::string& heads_unit, int in_flight);

}  // namespace tandem
