// The graph IR: values (tensors flowing between nodes), nodes (operators) and the graph that owns them.
// It knows ONNX's op names and attributes but nothing of backends, kernels or memory.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "ir/attribute.h"

namespace tandem {

struct Node;

// A dimension is concrete (>= 0) or unknown (-1, with an optional symbolic name from the model).
struct Value {
  std::string name;
  DType dtype = DType::kUndefined;
  bool has_shape = false;            // rank known
  Shape shape;                       // -1 for unknown dims
  std::vector<std::string> dim_names;  // symbolic names of unknown dims ("height"), may be empty
  Node* producer = nullptr;
  std::vector<Node*> consumers;
  std::optional<Tensor> constant;    // initializers and folded values

  bool is_constant() const { return constant.has_value(); }
  bool shape_is_concrete() const;
};

inline constexpr const char* kOnnxDomain = "";
// Nodes the passes create (fused ops) live in our own domain so they never collide with ONNX's.
inline constexpr const char* kTandemDomain = "ai.tandem";
// Attribute a precision pass sets on a node to tell the kernels how to multiply ("bf16"; absent: as the types say).
inline constexpr const char* kComputePrecisionAttr = "tandem_compute";

struct Node {
  std::string name;
  std::string op_type;
  std::string domain;          // "" (= ai.onnx) or kTandemDomain, ...
  std::vector<Value*> inputs;  // nullptr marks an omitted optional input
  std::vector<Value*> outputs; // nullptr marks an omitted optional output
  Attributes attrs;
  bool dead = false;           // removed; reclaimed by Graph::compact()

  int num_inputs() const { return static_cast<int>(inputs.size()); }
  Value* input(int i) const { return i < num_inputs() ? inputs[static_cast<size_t>(i)] : nullptr; }
  Value* output(int i) const { return i < static_cast<int>(outputs.size()) ? outputs[static_cast<size_t>(i)] : nullptr; }
  // "node 'conv1' (Conv)": the prefix every per-node error carries.
  std::string describe() const;
};

class Graph {
 public:
  Graph() = default;
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;

  std::string name;
  std::map<std::string, int64_t> opsets;  // domain -> version
  std::vector<Value*> inputs;   // graph inputs that are not initializers
  std::vector<Value*> outputs;

  // Returns the value called `name`, creating it if needed.
  Value* value(const std::string& name);
  Value* find_value(const std::string& name) const;
  // A fresh value with a name no other value has, derived from `hint`.
  Value* new_value(const std::string& hint);
  Node* add_node(std::string op_type, std::string name, std::vector<Value*> inputs, std::vector<Value*> outputs,
                 std::string domain = kOnnxDomain);
  // Detaches the node from its values and marks it dead.
  void remove_node(Node* node);
  // Points every consumer of `from` (and the graph outputs) at `to`.
  void replace_all_uses(Value* from, Value* to);
  void set_node_input(Node* node, int index, Value* v);

  int64_t opset(const std::string& domain = kOnnxDomain) const;
  bool is_graph_output(const Value* v) const;

  // Live nodes in an order where every producer precedes its consumers; an error names a node on a cycle.
  Result<std::vector<Node*>> topological_order() const;
  std::vector<Node*> live_nodes() const;
  // Frees dead nodes and values no node or graph port refers to.
  void compact();
  // A deep copy (constants share storage: they are immutable).
  std::unique_ptr<Graph> clone() const;

  size_t node_count() const;
  const std::vector<std::unique_ptr<Value>>& values() const { return values_; }

 private:
  std::vector<std::unique_ptr<Value>> values_;
  std::map<std::string, Value*> by_name_;
  std::vector<std::unique_ptr<Node>> nodes_;
  int64_t fresh_counter_ = 0;
};

}  // namespace tandem
