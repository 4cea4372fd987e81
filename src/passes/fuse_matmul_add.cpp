// MatMul fusion: a Linear layer's MatMul(A, W) + bias, and the activation after it, into one ai.tandem
// FusedMatMul, so the bias and activation run in the GEMM's epilogue instead of two more passes over memory.
// Runs after GELU fusion so that a decomposed GELU has become one Gelu node it can take.
#include <optional>
#include <vector>

#include "passes/fusion_match.h"
#include "passes/optimize.h"

namespace tandem {
namespace {

using fusion::is_op;
using fusion::sole_consumer;

// A MatMul by a constant weight matrix: its output's last dim is the weight's, which a bias runs along.
bool is_weight_matmul(const Node* n) {
  if (!is_op(n, "MatMul")) return false;
  const Value* b = n->input(1);
  return b && b->is_constant() && b->shape.size() >= 2 && n->output(0)->dtype == DType::kFloat32;
}

// MatMul(A, W) + bias, bias of shape [N] or [1,..,1,N], in either operand order.
bool fuse_bias(Graph& graph, Node* matmul) {
  if (!is_weight_matmul(matmul)) return false;
  Value* y = matmul->output(0);
  Node* add = sole_consumer(graph, y);
  if (!is_op(add, "Add")) return false;
  Value* bias = fusion::other_operand(add, y);
  if (!fusion::is_channel_vector(bias, y->shape.back(), y->shape.size(), y->dtype)) return false;
  if (add->output(0)->shape != y->shape) return false;
  Value* bias_1d = fusion::as_channel_vector(graph, bias);
  fusion::replace_with_node(graph, {matmul, add}, "FusedMatMul", matmul->name + "/fused_matmul",
                            {matmul->input(0), matmul->input(1), bias_1d}, add->output(0), kTandemDomain);
  return true;
}

// The activations the GEMM epilogue takes here: those a Linear layer is followed by in practice, each a
// single oneDNN post-op.
bool is_matmul_epilogue(const Activation& act) {
  switch (act.kind) {
    case ActivationKind::kRelu:
    case ActivationKind::kSigmoid:
    case ActivationKind::kTanh:
    case ActivationKind::kGelu:
    case ActivationKind::kGeluTanh:
    case ActivationKind::kSilu: return true;
    default: return false;
  }
}

// A FusedMatMul without activation, or a MatMul by a constant weight, followed by the only reader of its output:
// an activation.
bool fuse_activation(Graph& graph, Node* matmul) {
  const bool fused = is_op(matmul, "FusedMatMul", kTandemDomain) &&
                     matmul->attrs.get_string("activation", "None") == "None";
  if (!fused && !is_weight_matmul(matmul)) return false;
  Value* y = matmul->output(0);
  Node* act_node = sole_consumer(graph, y);
  std::optional<Activation> act = fusion::activation_of(graph, act_node, y);
  if (!act || !is_matmul_epilogue(*act)) return false;
  Attributes attrs = matmul->attrs;
  std::string name = fused ? matmul->name : matmul->name + "/fused_matmul";
  Node* f = fusion::replace_with_node(graph, {matmul, act_node}, "FusedMatMul", std::move(name), matmul->inputs,
                                      act_node->output(0), kTandemDomain);
  f->attrs = std::move(attrs);
  fusion::set_activation(f->attrs, *act);
  return true;
}

}  // namespace

Status fuse_matmul_add(Graph& graph) {
  // Bias first for every MatMul, so the activation step sees the bias-fused node, never the bare MatMul.
  for (Node* n : graph.live_nodes())
    if (!n->dead) fuse_bias(graph, n);
  for (Node* n : graph.live_nodes())
    if (!n->dead) fuse_activation(graph, n);
  return Status::ok();
}

}  // namespace tandem
