// GELU fusion: the erf form torch exports for nn.GELU() below opset 20, folded into one ai.tandem Gelu.
//
//   e = Erf(Div(X, sqrt 2))  (or Mul(X, 1/sqrt 2));  s = Add(e, 1)
//   Y = Mul(Mul(X, s), 0.5)  or  Y = Mul(Mul(X, 0.5), s)      (commutative operands in either order)
#include <cmath>
#include <optional>
#include <vector>

#include "passes/fusion_match.h"
#include "passes/optimize.h"

namespace tandem {
namespace {

using fusion::is_op;
using fusion::is_scalar;
using fusion::other_operand;
using fusion::sole_consumer;

constexpr double kSqrt2 = 1.41421356237309504880;

struct GeluMatch {
  std::vector<Node*> nodes;  // the first in model order first
  Value* x = nullptr;
  Value* out = nullptr;
};

// X / sqrt(2), written as a Div or as a Mul by 1/sqrt(2): returns X.
Value* unscaled_input(const Node* n) {
  if (is_op(n, "Div") && is_scalar(n->input(1), kSqrt2)) return n->input(0);
  if (!is_op(n, "Mul")) return nullptr;
  for (int i = 0; i < 2; ++i)
    if (is_scalar(n->input(1 - i), 1.0 / kSqrt2)) return n->input(i);
  return nullptr;
}

// `n` is Mul(v, 0.5) in either order.
bool is_half_of(const Node* n, const Value* v) { return is_op(n, "Mul") && is_scalar(other_operand(n, v), 0.5); }

std::optional<GeluMatch> match(const Graph& graph, Node* erf) {
  if (!is_op(erf, "Erf")) return std::nullopt;
  Value* scaled = erf->input(0);
  Node* scale = scaled ? scaled->producer : nullptr;
  if (!scale || sole_consumer(graph, scaled) != erf) return std::nullopt;
  GeluMatch m;
  m.x = unscaled_input(scale);
  if (!m.x || !dtype_is_float(m.x->dtype)) return std::nullopt;

  Node* add = sole_consumer(graph, erf->output(0));
  if (!is_op(add, "Add") || !is_scalar(other_operand(add, erf->output(0)), 1.0)) return std::nullopt;
  Value* s = add->output(0);
  Node* mul = sole_consumer(graph, s);
  if (!is_op(mul, "Mul")) return std::nullopt;
  Value* other = other_operand(mul, s);
  if (other == m.x) {  // 0.5 applied last: Mul(Mul(X, s), 0.5)
    Node* half = sole_consumer(graph, mul->output(0));
    if (!is_half_of(half, mul->output(0))) return std::nullopt;
    m.nodes = {scale, erf, add, mul, half};
    m.out = half->output(0);
  } else {  // 0.5 applied first: Mul(Mul(X, 0.5), s)
    Node* half = other ? other->producer : nullptr;
    if (!half || sole_consumer(graph, other) != mul || !is_half_of(half, m.x)) return std::nullopt;
    m.nodes = {half, scale, erf, add, mul};
    m.out = mul->output(0);
  }
  // Scalars of a higher rank would have broadcast X to a bigger shape; Gelu keeps X's.
  if (m.out->dtype != m.x->dtype || m.out->shape != m.x->shape) return std::nullopt;
  return m;
}

}  // namespace

Status fuse_gelu(Graph& graph) {
  for (Node* n : graph.live_nodes()) {
    if (n->dead) continue;
    std::optional<GeluMatch> m = match(graph, n);
    if (!m) continue;
    Node* gelu = fusion::replace_with_node(graph, m->nodes, "Gelu", m->nodes.front()->name + "/fused_gelu", {m->x},
                                           m->out, kTandemDomain);
    gelu->attrs.set_string("approximate", "none");
  }
  return Status::ok();
}

}  // namespace tandem
