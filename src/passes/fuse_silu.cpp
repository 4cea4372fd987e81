// SiLU fusion: Mul(X, Sigmoid(X)) (torch's export of nn.SiLU, in either operand order) into one ai.tandem Silu,
// which fuse_conv_activation then takes as its activation (oneDNN's swish post-op). EfficientNet has one after
// nearly every convolution.
#include <optional>

#include "passes/fusion_match.h"
#include "passes/optimize.h"

namespace tandem {
namespace {

using fusion::is_op;
using fusion::other_operand;
using fusion::sole_consumer;

struct SiluMatch {
  Node* sigmoid = nullptr;
  Node* mul = nullptr;
  Value* x = nullptr;
};

// A Sigmoid whose output only a Mul reads, and that Mul's other operand is the Sigmoid's own input. A Sigmoid
// read elsewhere too must survive, and Mul(Y, Sigmoid(X)) with Y != X (a squeeze-excitation gate) is no SiLU.
std::optional<SiluMatch> match(const Graph& graph, Node* sigmoid) {
  if (!is_op(sigmoid, "Sigmoid") || sigmoid->num_inputs() != 1) return std::nullopt;
  Value* x = sigmoid->input(0);
  Value* s = sigmoid->output(0);
  if (!x || !s || x->dtype != DType::kFloat32) return std::nullopt;
  Node* mul = sole_consumer(graph, s);
  if (!is_op(mul, "Mul") || other_operand(mul, s) != x) return std::nullopt;
  // Same dtype and shape in and out: X * sigmoid(X) broadcasts nothing.
  Value* out = mul->output(0);
  if (!out || out->dtype != x->dtype || out->shape != x->shape) return std::nullopt;
  return SiluMatch{sigmoid, mul, x};
}

}  // namespace

Status fuse_silu(Graph& graph) {
  for (Node* n : graph.live_nodes()) {
    if (n->dead) continue;
    std::optional<SiluMatch> m = match(graph, n);
    if (!m) continue;
    fusion::replace_with_node(graph, {m->sigmoid, m->mul}, "Silu", m->sigmoid->name + "/fused_silu", {m->x},
                              m->mul->output(0), kTandemDomain);
  }
  return Status::ok();
}

}  // namespace tandem
