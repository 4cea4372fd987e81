// Operator definitions: per op, shape/type inference and a plain reference kernel.
// This is the one list every consumer reads (constant folding, the CPU backend, `inspect --support`, tests),
// so they cannot drift apart. Backends may register faster kernels for the same op on top of these.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "ir/graph.h"

namespace tandem {

// What is known of one input or output of a node at build time. Shapes are always concrete here:
// Tandem specialises a graph to concrete input shapes before inferring anything.
struct OperandInfo {
  bool present = false;            // false for omitted optional inputs/outputs
  DType dtype = DType::kUndefined;
  Shape shape;
  const Tensor* constant = nullptr;  // the value, when it is known at build time
};

struct OpContext {
  const Node* node = nullptr;
  int64_t opset = 0;  // opset of the node's domain
  std::vector<OperandInfo> inputs;
  std::vector<OperandInfo> outputs;  // infer() fills dtype/shape; prepare() reads them

  const Attributes& attrs() const { return node->attrs; }
  int num_inputs() const { return static_cast<int>(inputs.size()); }
  int num_outputs() const { return static_cast<int>(outputs.size()); }
  bool has_input(int i) const { return i >= 0 && i < num_inputs() && inputs[static_cast<size_t>(i)].present; }
  bool has_output(int i) const { return i >= 0 && i < num_outputs() && outputs[static_cast<size_t>(i)].present; }
  // Past the node's last input or output, an absent one: an op's code may ask for input 2 of a node that has
  // one input (a hostile file's), and must then see it missing rather than read past the list.
  const OperandInfo& in(int i) const { return has_slot(inputs, i) ? inputs[static_cast<size_t>(i)] : absent(); }
  const OperandInfo& out(int i) const { return has_slot(outputs, i) ? outputs[static_cast<size_t>(i)] : absent(); }
  static bool has_slot(const std::vector<OperandInfo>& v, int i) { return i >= 0 && i < static_cast<int>(v.size()); }
  static const OperandInfo& absent() {
    static const OperandInfo kAbsent;
    return kAbsent;
  }
  void set_output(int i, DType dtype, Shape shape) {
    if (!has_output(i)) return;
    outputs[static_cast<size_t>(i)].dtype = dtype;
    outputs[static_cast<size_t>(i)].shape = std::move(shape);
  }
};

// A kernel's life (as in XNNPACK): created, prepared once at build time with every shape and constant
// known (parse attributes, pack weights, size scratch), then run per frame with nothing left to decide.
// run() must not allocate: its outputs arrive as views of planned memory with their shapes set.
class Kernel {
 public:
  virtual ~Kernel() = default;
  [[nodiscard]] virtual Status prepare(const OpContext& ctx) {
    (void)ctx;
    return Status::ok();
  }
  // `in` has one entry per node input (undefined Tensor for omitted ones); same for `out`.
  [[nodiscard]] virtual Status run(std::span<const Tensor> in, std::span<Tensor> out) = 0;
  // True if output 0 may share input 0's memory (Reshape, Squeeze, Identity...): the memory planner then
  // gives both the same buffer and run() sees out[0].raw() == in[0].raw(). run() must still copy otherwise.
  virtual bool output_aliases_input() const { return false; }
  // A short name of the implementation chosen, for `inspect`/profiles ("reference", "onednn:jit:avx2").
  virtual std::string impl_name() const { return "reference"; }
  // The choice a build-time tactic search made ("" when there was none): saved with an engine, so loading
  // it rebuilds the same kernel without timing candidates again.
  virtual std::string tactic() const { return ""; }
};

using InferFn = Status (*)(OpContext& ctx);
using KernelFactory = std::unique_ptr<Kernel> (*)();

struct OpSchema {
  std::string domain;   // "" for ai.onnx
  std::string op_type;
  InferFn infer = nullptr;
  KernelFactory create = nullptr;  // the reference kernel
  // Inputs whose *values* decide output shapes (Reshape's shape, Slice's starts...). They must be
  // build-time constants once input shapes are fixed; Tandem never computes shapes per frame.
  std::vector<int> shape_inputs;
  // Ops whose result is not a pure function of inputs must never be constant-folded.
  bool foldable = true;
};

class OpRegistry {
 public:
  static const OpRegistry& global();
  void add(OpSchema schema);
  const OpSchema* find(const std::string& domain, const std::string& op_type) const;
  std::vector<const OpSchema*> all() const;

 private:
  std::map<std::pair<std::string, std::string>, OpSchema> schemas_;
};

// Builds the OpContext for `node` from its values' dtypes/shapes/constants (inputs) and output presence.
OpContext make_op_context(const Graph& graph, const Node& node);

// Runs `schema`'s reference kernel once on constant inputs, producing owning output tensors.
// Used by constant folding and by tests.
Result<std::vector<Tensor>> evaluate_reference(const OpSchema& schema, OpContext& ctx,
                                               std::span<const Tensor> inputs);

// One function per op family file; all_ops.cpp calls each of them once.
void register_elementwise_ops(OpRegistry& r);
void register_activation_ops(OpRegistry& r);
void register_shape_ops(OpRegistry& r);
void register_tensor_ops(OpRegistry& r);
void register_reduce_ops(OpRegistry& r);
void register_nn_ops(OpRegistry& r);
void register_resize_ops(OpRegistry& r);
void register_resize_sum_op(OpRegistry& r);
void register_fused_ops(OpRegistry& r);
void register_quantize_ops(OpRegistry& r);
void register_fused_int8_ops(OpRegistry& r);

}  // namespace tandem
