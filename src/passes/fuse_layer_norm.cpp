// LayerNorm fusion: the decomposition torch exports for nn.LayerNorm below opset 17, folded back into one
// LayerNormalization (which Tandem runs in any opset). Opset-17 exports already use the op and need nothing.
//
//   m = ReduceMean(X, axes=[-1]);  D = Sub(X, m)
//   v = ReduceMean(Pow(D, 2), axes=[-1]);  N = Div(D, Sqrt(Add(v, eps)))
//   Y = Add(Mul(N, gamma), beta)            (Mul and Add optional, operands in either order)
#include <optional>
#include <utility>
#include <vector>

#include "passes/fusion_match.h"
#include "passes/optimize.h"

namespace tandem {
namespace {

using fusion::is_op;
using fusion::sole_consumer;

// ReduceMean over the last axis only, keeping it, so the result broadcasts back against its input.
bool is_mean_over_last_axis(const Node* n) {
  if (!is_op(n, "ReduceMean") || n->attrs.get_int("keepdims", 1) == 0) return false;
  const Value* x = n->input(0);
  if (!x || !x->has_shape || x->shape.empty()) return false;
  std::vector<int64_t> axes;
  if (const Value* a = n->input(1)) {  // opset 18 moved axes to an input
    if (!a->is_constant()) return false;
    axes = a->constant->to_int_vector();
  } else {
    axes = n->attrs.get_ints("axes");
  }
  const auto rank = static_cast<int64_t>(x->shape.size());
  return axes.size() == 1 && (axes[0] == -1 || axes[0] == rank - 1);
}

struct LayerNormMatch {
  std::vector<Node*> nodes;  // in pattern order, the ReduceMean first
  Value* x = nullptr;
  Value* gamma = nullptr;  // optional
  Value* beta = nullptr;   // optional
  Value* out = nullptr;
  float epsilon = 0.0f;
};

// D = X - mean(X) feeds exactly the squaring and the final division; returns {Pow, Div}.
std::optional<std::pair<Node*, Node*>> centred_consumers(const Graph& graph, const Value* d) {
  if (graph.is_graph_output(d) || d->consumers.size() != 2) return std::nullopt;
  Node* pow = d->consumers[0];
  Node* div = d->consumers[1];
  if (!is_op(pow, "Pow")) std::swap(pow, div);
  if (!is_op(pow, "Pow") || pow->input(0) != d || !fusion::is_scalar(pow->input(1), 2.0)) return std::nullopt;
  if (!is_op(div, "Div") || div->input(0) != d) return std::nullopt;
  return std::make_pair(pow, div);
}

// The normalisation itself, from the first ReduceMean to the Div.
std::optional<LayerNormMatch> match_normalize(const Graph& graph, Node* mean) {
  if (!is_mean_over_last_axis(mean)) return std::nullopt;
  LayerNormMatch m;
  m.x = mean->input(0);
  if (m.x->dtype != DType::kFloat32) return std::nullopt;
  Node* sub = sole_consumer(graph, mean->output(0));
  if (!is_op(sub, "Sub") || sub->input(0) != m.x || sub->input(1) != mean->output(0)) return std::nullopt;
  auto pow_div = centred_consumers(graph, sub->output(0));
  if (!pow_div) return std::nullopt;
  auto [pow, div] = *pow_div;
  Node* var = sole_consumer(graph, pow->output(0));
  if (!is_mean_over_last_axis(var) || var->input(0) != pow->output(0)) return std::nullopt;
  Node* add = sole_consumer(graph, var->output(0));
  std::optional<double> eps = is_op(add, "Add") ? fusion::scalar_constant(fusion::other_operand(add, var->output(0)))
                                                : std::nullopt;
  if (!eps || *eps < 0) return std::nullopt;
  Node* sqrt = sole_consumer(graph, add->output(0));
  if (!is_op(sqrt, "Sqrt") || sole_consumer(graph, sqrt->output(0)) != div || div->input(1) != sqrt->output(0))
    return std::nullopt;
  m.nodes = {mean, sub, pow, var, add, sqrt, div};
  m.epsilon = static_cast<float>(*eps);
  m.out = div->output(0);
  return m;
}

// Takes the optional `Mul(N, gamma)` / `Add(N, beta)` that follows into the match when its other operand is
// a per-channel constant. Returns that operand.
Value* absorb_affine(const Graph& graph, LayerNormMatch& m, const char* op_type) {
  Node* n = sole_consumer(graph, m.out);
  if (!is_op(n, op_type)) return nullptr;
  Value* c = fusion::other_operand(n, m.out);
  if (!fusion::is_channel_vector(c, m.x->shape.back(), m.x->shape.size(), m.x->dtype)) return nullptr;
  if (n->output(0)->shape != m.x->shape) return nullptr;
  m.nodes.push_back(n);
  m.out = n->output(0);
  return c;
}

void rewrite(Graph& graph, const LayerNormMatch& m) {
  const int64_t channels = m.x->shape.back();
  Value* gamma = nullptr;
  if (m.gamma) {
    gamma = fusion::as_channel_vector(graph, m.gamma);
  } else {  // Scale is a required input of LayerNormalization
    gamma = fusion::constant_value(
        graph, m.nodes.front()->name + "/ones",
        Tensor::from_vector<float>({channels}, std::vector<float>(static_cast<size_t>(channels), 1.0f)));
  }
  Value* beta = m.beta ? fusion::as_channel_vector(graph, m.beta) : nullptr;
  Node* ln = fusion::replace_with_node(graph, m.nodes, "LayerNormalization",
                                       m.nodes.front()->name + "/fused_layernorm", {m.x, gamma, beta}, m.out,
                                       kOnnxDomain);
  ln->attrs.set_int("axis", -1);
  ln->attrs.set_float("epsilon", m.epsilon);
}

}  // namespace

Status fuse_layer_norm(Graph& graph) {
  for (Node* n : graph.live_nodes()) {
    if (n->dead) continue;  // taken by an earlier match
    std::optional<LayerNormMatch> m = match_normalize(graph, n);
    if (!m) continue;
    m->gamma = absorb_affine(graph, *m, "Mul");
    m->beta = absorb_affine(graph, *m, "Add");
    rewrite(graph, *m);
  }
  return Status::ok();
}

}  // namespace tandem
