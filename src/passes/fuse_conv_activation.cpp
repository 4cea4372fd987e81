// Conv fusion: a 2-D Conv, an optional residual Add of a same-shaped tensor, and an optional activation, into
// one ai.tandem FusedConv = activation(Conv(X, W, B) + Z). The sum and activation then run as the
// convolution's post-ops while its output is still in cache.
#include <optional>
#include <vector>

#include "passes/fusion_match.h"
#include "passes/optimize.h"

namespace tandem {
namespace {

using fusion::is_op;
using fusion::sole_consumer;

// Add(Y, R) where R is a computed tensor of exactly Y's shape: a residual connection. A constant or a
// broadcast operand is a bias, which Z (added element for element) cannot express.
Value* residual_operand(const Node* add, const Value* y) {
  if (!is_op(add, "Add")) return nullptr;
  Value* r = fusion::other_operand(add, y);
  if (!r || r->is_constant() || r->dtype != y->dtype || r->shape != y->shape) return nullptr;
  return add->output(0)->shape == y->shape ? r : nullptr;
}

bool fuse_conv(Graph& graph, Node* conv) {
  if (!is_op(conv, "Conv")) return false;
  Value* y = conv->output(0);
  if (conv->input(0)->shape.size() != 4 || y->dtype != DType::kFloat32) return false;

  std::vector<Node*> nodes{conv};
  std::vector<Value*> inputs = conv->inputs;  // X, W, B?
  inputs.resize(3, nullptr);
  Value* out = y;
  // sole_consumer also keeps Y private: a Y read elsewhere would be lost once the Add is folded in.
  Node* next = sole_consumer(graph, out);
  if (Value* r = residual_operand(next, out)) {
    inputs.push_back(r);
    nodes.push_back(next);
    out = next->output(0);
    next = sole_consumer(graph, out);
  }
  std::optional<Activation> act = fusion::activation_of(graph, next, out);
  if (act) {
    nodes.push_back(next);
    out = next->output(0);
  }
  if (nodes.size() == 1) return false;

  Attributes attrs = conv->attrs;  // every Conv attribute: pads, strides, dilations, group, auto_pad
  if (act) fusion::set_activation(attrs, *act);
  Node* fused = fusion::replace_with_node(graph, nodes, "FusedConv", conv->name + "/fused_conv", std::move(inputs),
                                          out, kTandemDomain);
  fused->attrs = std::move(attrs);
  return true;
}

}  // namespace

Status fuse_conv_activation(Graph& graph) {
  for (Node* n : graph.live_nodes())
    if (!n->dead) fuse_conv(graph, n);
  return Status::ok();
}

}  // namespace tandem
