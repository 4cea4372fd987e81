// Pattern-matching pieces the fusion passes share: who reads a value, scalar and per-channel constants,
// activation nodes, and the remove-then-add rewrite that keeps the pattern's output Value alive.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "ops/activation.h"

namespace tandem::fusion {

// A live node of `op_type` in `domain`.
inline bool is_op(const Node* n, const char* op_type, const char* domain = kOnnxDomain) {
  return n && !n->dead && n->op_type == op_type && n->domain == domain;
}

// Pure data movement: Reshape, Transpose, Squeeze, Unsqueeze, Flatten (each output element is one input element).
bool is_data_movement(const Node* n);

// The one node reading `v`, when `v` is private to a pattern: read once, by one node, and not a graph output.
// A value used anywhere else must survive, so a fusion that swallowed it would change the graph.
Node* sole_consumer(const Graph& graph, const Value* v);

// For a two-input node reading `v`, the other input (either order, for commutative ops); nullptr when `v` is
// not an input or is both.
Value* other_operand(const Node* n, const Value* v);

// The value of a one-element float constant.
std::optional<double> scalar_constant(const Value* v);

// A one-element float constant equal to `expected` within a relative tolerance: exporters write constants
// such as sqrt(2) rounded to float32 or to fewer digits.
bool is_scalar(const Value* v, double expected, double rel_tol = 1e-4);

// A constant of `dtype` holding `n` values along the last axis of a rank-`rank` tensor: shape [n] or
// [1,...,1,n] with at most `rank` dims, so broadcasting it never changes the other operand's shape.
bool is_channel_vector(const Value* v, int64_t n, size_t rank, DType dtype);
// A new constant value holding `t`, its name derived from `hint` (Graph::new_value makes it unique).
Value* constant_value(Graph& graph, const std::string& hint, Tensor t);

// The same constant as a 1-D [n] value (itself when already 1-D); the reshape shares storage.
Value* as_channel_vector(Graph& graph, Value* v);

// The activation `n` computes from `v` when a fused op can apply it instead: Relu, Sigmoid, Tanh, LeakyRelu,
// Clip with constant bounds, HardSigmoid, HardSwish, Gelu (ai.tandem or ONNX) and Silu (ai.tandem, what
// fuse_silu makes), on float32 only.
std::optional<Activation> activation_of(const Graph& graph, const Node* n, const Value* v);
void set_activation(Attributes& attrs, const Activation& act);

// A new value with `like`'s shape (and dimension names) and `dtype`, its name derived from `hint`.
Value* value_like(Graph& graph, const Value* like, const std::string& hint, DType dtype);

// `n` again -- the same op, name, domain and attributes -- reading `inputs` and writing `output`; returns it.
Node* rebuild_node(Graph& graph, Node* n, std::vector<Value*> inputs, Value* output);

// Removes `old_nodes` and adds one node computing `output`, the pattern's last value, so that its consumers
// and its place among the graph outputs carry over unchanged. Trailing omitted inputs are dropped.
Node* replace_with_node(Graph& graph, const std::vector<Node*>& old_nodes, std::string op_type, std::string name,
                        std::vector<Value*> inputs, Value* output, const char* domain);

}  // namespace tandem::fusion
