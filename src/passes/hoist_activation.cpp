// Moves a pointwise activation above a chain of pure data movement (Reshape, Transpose, Squeeze, Unsqueeze,
// Flatten) when the chain starts at a convolution or matrix product, so the activation can then be fused
// into that producer as a post-op. Applying f elementwise commutes with any permutation or reshape of the
// elements, so the result is unchanged. SegFormer's Mix-FFN is the case in point: depthwise conv ->
// Reshape -> Transpose -> GELU becomes conv+GELU (one kernel) -> Reshape -> Transpose.
#include "passes/fusion_match.h"
#include "passes/optimize.h"

namespace tandem {

using namespace fusion;

namespace {

bool takes_fused_activation(const Node* n) {
  return is_op(n, "Conv") || is_op(n, "MatMul") ||
         ((is_op(n, "FusedConv", kTandemDomain) || is_op(n, "FusedMatMul", kTandemDomain)) &&
          n->attrs.get_string("activation", "None") == "None");
}

}  // namespace

Status hoist_activation(Graph& graph) {
  TANDEM_ASSIGN_OR_RETURN(std::vector<Node*> order, graph.topological_order());
  for (Node* act : order) {
    if (act->dead || act->inputs.empty() || !act->output(0)) continue;
    Value* in = act->input(0);
    if (!activation_of(graph, act, in)) continue;
    // Walk up the movement chain; every value on it must be private to the chain.
    std::vector<Node*> chain;
    Value* v = in;
    while (v->producer && is_data_movement(v->producer) && sole_consumer(graph, v) == (chain.empty() ? act : chain.back())) {
      chain.push_back(v->producer);
      v = v->producer->input(0);
    }
    if (chain.empty() || !takes_fused_activation(v->producer) || sole_consumer(graph, v) != chain.back()) continue;
    // v -> act' -> v' -> chain (top to bottom) -> act's output.
    Value* out = act->output(0);
    Node* top = chain.back();
    Node* bottom = chain.front();
    Value* hoisted = fusion::value_like(graph, v, v->name + "/act", v->dtype);
    std::vector<Value*> act_inputs = act->inputs;
    act_inputs[0] = v;
    Attributes attrs = act->attrs;
    std::string op = act->op_type, domain = act->domain, name = act->name;
    graph.remove_node(act);
    Node* moved = graph.add_node(op, name, act_inputs, {hoisted}, domain);
    moved->attrs = attrs;
    graph.set_node_input(top, 0, hoisted);
    // The last movement node now produces what the activation produced, so its readers are unchanged.
    Value* old = bottom->outputs[0];
    bottom->outputs[0] = out;
    out->producer = bottom;
    old->producer = nullptr;
  }
  return Status::ok();
}

}  // namespace tandem
