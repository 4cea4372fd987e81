// Shared matching and rewriting steps of the fusion passes (see fusion_match.h).
#include "passes/fusion_match.h"

#include <cmath>
#include <limits>
#include <set>

namespace tandem::fusion {

bool is_data_movement(const Node* n) {
  static const std::set<std::string> kMovement = {"Reshape", "Transpose", "Squeeze", "Unsqueeze", "Flatten"};
  return n && !n->dead && n->domain.empty() && kMovement.count(n->op_type) != 0;
}

Node* sole_consumer(const Graph& graph, const Value* v) {
  if (!v || v->consumers.size() != 1 || graph.is_graph_output(v)) return nullptr;
  return v->consumers[0];
}

Value* other_operand(const Node* n, const Value* v) {
  if (!n || n->num_inputs() != 2) return nullptr;
  if (n->input(0) == v && n->input(1) != v) return n->input(1);
  if (n->input(1) == v && n->input(0) != v) return n->input(0);
  return nullptr;
}

std::optional<double> scalar_constant(const Value* v) {
  if (!v || !v->is_constant() || !dtype_is_float(v->dtype) || v->constant->numel() != 1) return std::nullopt;
  return v->constant->float_at(0);
}

bool is_scalar(const Value* v, double expected, double rel_tol) {
  std::optional<double> c = scalar_constant(v);
  return c && std::fabs(*c - expected) <= rel_tol * std::fabs(expected);
}

bool is_channel_vector(const Value* v, int64_t n, size_t rank, DType dtype) {
  if (!v || !v->is_constant() || v->dtype != dtype || v->shape.empty() || v->shape.size() > rank) return false;
  if (v->shape.back() != n) return false;
  for (size_t i = 0; i + 1 < v->shape.size(); ++i)
    if (v->shape[i] != 1) return false;
  return true;
}

Value* value_like(Graph& graph, const Value* like, const std::string& hint, DType dtype) {
  Value* v = graph.new_value(hint);
  v->dtype = dtype;
  v->has_shape = like->has_shape;
  v->shape = like->shape;
  v->dim_names = like->dim_names;
  return v;
}

Node* rebuild_node(Graph& graph, Node* n, std::vector<Value*> inputs, Value* output) {
  Attributes attrs = n->attrs;
  const std::string op_type = n->op_type, name = n->name, domain = n->domain;
  Node* rebuilt = replace_with_node(graph, {n}, op_type, name, std::move(inputs), output, domain.c_str());
  rebuilt->attrs = std::move(attrs);
  return rebuilt;
}

Value* as_channel_vector(Graph& graph, Value* v) {
  if (v->shape.size() == 1) return v;
  Value* flat = graph.new_value(v->name + "/flat");
  flat->dtype = v->dtype;
  flat->has_shape = true;
  flat->shape = {v->shape.back()};
  flat->constant = v->constant->reshaped(flat->shape);
  return flat;
}

namespace {

// Clip's bounds: attributes before opset 11, optional inputs from 11 on. Bounds computed at run time
// cannot become a fused op's attribute.
std::optional<Activation> clip_activation(const Graph& graph, const Node* n) {
  Activation a;
  a.kind = ActivationKind::kClip;
  a.alpha = -std::numeric_limits<float>::infinity();
  a.beta = std::numeric_limits<float>::infinity();
  if (graph.opset(kOnnxDomain) < 11) {
    a.alpha = n->attrs.get_float("min", a.alpha);
    a.beta = n->attrs.get_float("max", a.beta);
    return a;
  }
  for (int i = 1; i < 3; ++i) {
    const Value* bound = n->input(i);
    if (!bound) continue;
    std::optional<double> c = scalar_constant(bound);
    if (!c) return std::nullopt;
    (i == 1 ? a.alpha : a.beta) = static_cast<float>(*c);
  }
  return a;
}

std::optional<Activation> gelu_activation(const Node* n) {
  const std::string approximate = n->attrs.get_string("approximate", "none");
  if (approximate != "none" && approximate != "tanh") return std::nullopt;
  Activation a;
  a.kind = approximate == "tanh" ? ActivationKind::kGeluTanh : ActivationKind::kGelu;
  return a;
}

}  // namespace

std::optional<Activation> activation_of(const Graph& graph, const Node* n, const Value* v) {
  if (!n || n->dead || n->input(0) != v || n->outputs.size() != 1 || !n->output(0)) return std::nullopt;
  if (v->dtype != DType::kFloat32) return std::nullopt;  // fused activations are float32-only
  // Only Clip (bounds) has inputs beyond X; an extra input anywhere else is not the op we know.
  const bool is_clip = is_op(n, "Clip");
  if (!is_clip && n->num_inputs() != 1) return std::nullopt;
  Activation a;
  if (is_op(n, "Relu")) a.kind = ActivationKind::kRelu;
  else if (is_op(n, "Sigmoid")) a.kind = ActivationKind::kSigmoid;
  else if (is_op(n, "Tanh")) a.kind = ActivationKind::kTanh;
  else if (is_op(n, "HardSwish")) a.kind = ActivationKind::kHardSwish;
  else if (is_op(n, "Silu", kTandemDomain)) a.kind = ActivationKind::kSilu;
  else if (is_op(n, "LeakyRelu")) {
    a.kind = ActivationKind::kLeakyRelu;
    a.alpha = n->attrs.get_float("alpha", 0.01f);
  } else if (is_op(n, "HardSigmoid")) {
    a.kind = ActivationKind::kHardSigmoid;
    a.alpha = n->attrs.get_float("alpha", 0.2f);
    a.beta = n->attrs.get_float("beta", 0.5f);
  } else if (is_clip) {
    return clip_activation(graph, n);
  } else if (is_op(n, "Gelu", kTandemDomain) || is_op(n, "Gelu")) {
    return gelu_activation(n);
  } else {
    return std::nullopt;
  }
  return a;
}

void set_activation(Attributes& attrs, const Activation& act) {
  attrs.set_string("activation", act.name());
  std::vector<float> params = act.params();
  if (params.empty()) attrs.erase("activation_params");
  else attrs.set_floats("activation_params", std::move(params));
}

Value* constant_value(Graph& graph, const std::string& hint, Tensor t) {
  Value* v = graph.new_value(hint);
  v->dtype = t.dtype();
  v->has_shape = true;
  v->shape = t.shape();
  v->constant = std::move(t);
  return v;
}

Node* replace_with_node(Graph& graph, const std::vector<Node*>& old_nodes, std::string op_type, std::string name,
                        std::vector<Value*> inputs, Value* output, const char* domain) {
  for (Node* n : old_nodes) graph.remove_node(n);
  while (!inputs.empty() && !inputs.back()) inputs.pop_back();
  // The graph then declares every domain its nodes use, as an ONNX model must.
  if (std::string(domain) == kTandemDomain && !graph.opsets.count(kTandemDomain)) graph.opsets[kTandemDomain] = 1;
  return graph.add_node(std::move(op_type), std::move(name), std::move(inputs), {output}, domain);
}

}  // namespace tandem::fusion
