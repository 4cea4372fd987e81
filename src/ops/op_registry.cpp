// The op registry and the reference evaluator used for constant folding.
#include "ops/op_registry.h"

namespace tandem {

const OpRegistry& OpRegistry::global() {
  static const OpRegistry registry = [] {
    OpRegistry r;
    register_elementwise_ops(r);
    register_activation_ops(r);
    register_shape_ops(r);
    register_tensor_ops(r);
    register_reduce_ops(r);
    register_nn_ops(r);
    register_resize_ops(r);
    register_resize_sum_op(r);
    register_fused_ops(r);
    register_quantize_ops(r);
    register_fused_int8_ops(r);
    return r;
  }();
  return registry;
}

void OpRegistry::add(OpSchema schema) {
  std::string domain = schema.domain == "ai.onnx" ? "" : schema.domain;
  auto key = std::make_pair(domain, schema.op_type);
  schemas_[key] = std::move(schema);
}

const OpSchema* OpRegistry::find(const std::string& domain, const std::string& op_type) const {
  std::string d = domain == "ai.onnx" ? "" : domain;
  auto it = schemas_.find({d, op_type});
  return it == schemas_.end() ? nullptr : &it->second;
}

std::vector<const OpSchema*> OpRegistry::all() const {
  std::vector<const OpSchema*> out;
  for (const auto& [key, schema] : schemas_) out.push_back(&schema);
  return out;
}

OpContext make_op_context(const Graph& graph, const Node& node) {
  OpContext ctx;
  ctx.node = &node;
  ctx.opset = graph.opset(node.domain);
  for (Value* v : node.inputs) {
    OperandInfo info;
    if (v) {
      info.present = true;
      info.dtype = v->dtype;
      info.shape = v->shape;
      info.constant = v->constant ? &*v->constant : nullptr;
    }
    ctx.inputs.push_back(std::move(info));
  }
  for (Value* v : node.outputs) {
    OperandInfo info;
    if (v) {
      info.present = true;
      info.dtype = v->dtype;
      info.shape = v->shape;
    }
    ctx.outputs.push_back(std::move(info));
  }
  return ctx;
}

Result<std::vector<Tensor>> evaluate_reference(const OpSchema& schema, OpContext& ctx,
                                               std::span<const Tensor> inputs) {
  std::unique_ptr<Kernel> kernel = schema.create();
  TANDEM_RETURN_IF_ERROR(kernel->prepare(ctx));
  std::vector<Tensor> outs;
  for (const OperandInfo& o : ctx.outputs) {
    if (!o.present) {
      outs.emplace_back();
      continue;
    }
    TANDEM_ASSIGN_OR_RETURN(Tensor t, Tensor::allocate(o.dtype, o.shape, "a folded constant"));
    outs.push_back(std::move(t));
  }
  TANDEM_RETURN_IF_ERROR(kernel->run(inputs, outs));
  return outs;
}

}  // namespace tandem
