// MatMul followed by a multiply with a scalar constant (attention's q·kᵀ·scale) becomes one FusedMatMul with
// `alpha`: the scaling happens on the product while it is still in registers instead of in a second pass
// over the [heads, N, N_kv] score tensor, the largest tensor of a transformer block.
#include "passes/fusion_match.h"
#include "passes/optimize.h"

namespace tandem {

using namespace fusion;

Status fuse_matmul_scale(Graph& graph) {
  TANDEM_ASSIGN_OR_RETURN(std::vector<Node*> order, graph.topological_order());
  for (Node* mm : order) {
    if (!is_op(mm, "MatMul") || mm->inputs.size() != 2 || !mm->output(0)) continue;
    Value* product = mm->output(0);
    if (product->dtype != DType::kFloat32) continue;
    Node* mul = sole_consumer(graph, product);
    if (!is_op(mul, "Mul")) continue;
    Value* factor = other_operand(mul, product);
    std::optional<double> alpha = scalar_constant(factor);
    // The scalar must not broadcast the product to a higher rank.
    if (!alpha || factor->shape.size() > product->shape.size() || mul->output(0)->shape != product->shape) continue;
    Node* fused = replace_with_node(graph, {mm, mul}, "FusedMatMul", mm->name + "/fused_scale",
                                    {mm->input(0), mm->input(1)}, mul->output(0), kTandemDomain);
    fused->attrs.set_float("alpha", static_cast<float>(*alpha));
    graph.opsets[kTandemDomain] = 1;
  }
  return Status::ok();
}

}  // namespace tandem
