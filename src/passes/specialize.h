// Specialisation: fixes the graph's input shapes, infers every value's dtype and concrete shape, and folds
// everything computable at build time (weights transforms, and the Shape/Gather/Concat arithmetic of
// dynamic-axes exports), so that only real compute is left for the per-frame path.
#pragma once

#include <map>
#include <string>

#include "core/tensor.h"
#include "ir/graph.h"

namespace tandem {

struct SpecializeOptions {
  // Concrete shapes for graph inputs; inputs not named keep their declared shape, which must then be concrete.
  std::map<std::string, Shape> input_shapes;
  // Graph inputs bound to values known at build time (they become constants and fold).
  std::map<std::string, Tensor> input_values;
  bool fold_constants = true;
};

// Lists every node whose op Tandem does not implement, all at once (one line each, joined by "; ").
Status check_ops_supported(const Graph& graph);

// In place. Errors name the node, its op type and the offending tensor.
Status specialize(Graph& graph, const SpecializeOptions& options);

// Removes nodes whose outputs nobody reads (and that are not graph outputs), and nodes whose
// outputs all became constants.
void eliminate_dead_code(Graph& graph);

}  // namespace tandem
