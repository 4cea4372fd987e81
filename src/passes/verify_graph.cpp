// Re-inference of every node of a recorded graph, and the structural checks around it.
#include "passes/verify_graph.h"

#include <set>

#include "core/checked_size.h"
#include "ops/op_registry.h"
#include "passes/optimize.h"

namespace tandem {
namespace {

Status verify_value(const Value& v) {
  const std::string what = "value '" + v.name + "'";
  TANDEM_CHECK_OR_RETURN(v.has_shape && dtype_is_valid(static_cast<int32_t>(v.dtype)) && dtype_size(v.dtype) > 0,
                         kInvalidModel, "%s has no valid element type (%d)", what.c_str(), static_cast<int>(v.dtype));
  TANDEM_RETURN_IF_ERROR_CTX(checked_nbytes(v.dtype, v.shape).status(), what);
  if (v.is_constant()) {
    TANDEM_CHECK_OR_RETURN(v.constant->dtype() == v.dtype && v.constant->shape() == v.shape, kInvalidModel,
                           "%s is recorded as %s %s but its constant is %s %s", what.c_str(), dtype_name(v.dtype),
                           shape_to_string(v.shape).c_str(), dtype_name(v.constant->dtype()),
                           shape_to_string(v.constant->shape()).c_str());
  }
  return Status::ok();
}

// Infers `node`'s outputs from its recorded inputs alone (what the recorded outputs say must not steer it).
// With `bf16_as_float`, bfloat16 inputs are seen as float32: the view of the float op a bf16 kernel computes.
Result<std::vector<OperandInfo>> infer_outputs(const Graph& graph, const Node& node, const OpSchema& schema,
                                              bool bf16_as_float) {
  OpContext ctx = make_op_context(graph, node);
  for (OperandInfo& out : ctx.outputs) {
    out.dtype = DType::kUndefined;
    out.shape.clear();
  }
  if (bf16_as_float)
    for (OperandInfo& in : ctx.inputs)
      if (in.present && in.dtype == DType::kBFloat16) in.dtype = DType::kFloat32;
  TANDEM_RETURN_IF_ERROR(schema.infer(ctx));
  return std::move(ctx.outputs);
}

// True when every output agrees with inference; with `bf16_storage`, an output recorded as bfloat16 where
// inference says float32 agrees too (the bf16 dataflow pass's storage choice for the ops whose kernels write it).
bool outputs_agree(const Node& node, const std::vector<OperandInfo>& inferred, bool bf16_storage, std::string* why) {
  for (size_t i = 0; i < node.outputs.size(); ++i) {
    const Value* out = node.outputs[i];
    if (!out) continue;
    const OperandInfo& inf = inferred[i];
    const bool dtype_ok = out->dtype == inf.dtype ||
                          (bf16_storage && out->dtype == DType::kBFloat16 && inf.dtype == DType::kFloat32);
    if (inf.shape != out->shape || !dtype_ok) {
      *why = format("output '%s' is recorded as %s %s, but its inputs give %s %s", out->name.c_str(),
                    dtype_name(out->dtype), shape_to_string(out->shape).c_str(), dtype_name(inf.dtype),
                    shape_to_string(inf.shape).c_str());
      return false;
    }
  }
  return true;
}

}  // namespace

Status verify_recorded_graph(const Graph& graph) {
  std::set<const Value*> available;  // inputs, constants, and outputs of nodes verified so far
  for (const auto& v : graph.values()) {
    TANDEM_RETURN_IF_ERROR(verify_value(*v));
    if (v->is_constant()) {
      TANDEM_CHECK_OR_RETURN(!v->producer, kInvalidModel, "value '%s' is a constant and a node's output",
                             v->name.c_str());
      available.insert(v.get());
    }
  }
  for (const Value* in : graph.inputs) {
    TANDEM_CHECK_OR_RETURN(in && !in->producer && !in->is_constant(), kInvalidModel,
                           "graph input '%s' is also a constant or a node's output", in ? in->name.c_str() : "");
    available.insert(in);
  }
  TANDEM_ASSIGN_OR_RETURN(std::vector<Node*> order, graph.topological_order());
  for (const Node* node : order) {
    const OpSchema* schema = OpRegistry::global().find(node->domain, node->op_type);
    TANDEM_CHECK_OR_RETURN(schema, kUnsupported, "%s: operator is not supported", node->describe().c_str());
    TANDEM_CHECK_OR_RETURN(node->output(0), kInvalidModel, "%s has no output", node->describe().c_str());
    for (const Value* v : node->inputs)
      TANDEM_CHECK_OR_RETURN(!v || available.count(v), kInvalidModel, "%s reads '%s', which nothing produces",
                             node->describe().c_str(), v->name.c_str());
    for (const Value* v : node->outputs)
      TANDEM_CHECK_OR_RETURN(!v || (v->producer == node && available.insert(v).second), kInvalidModel,
                             "%s writes '%s', which is produced elsewhere too", node->describe().c_str(),
                             v->name.c_str());
    // As recorded first; then, for the ops whose kernels read and write bf16 tensors of a float op, as the
    // float op they compute.
    std::string why;
    Result<std::vector<OperandInfo>> exact = infer_outputs(graph, *node, *schema, false);
    if (exact.is_ok() && outputs_agree(*node, *exact, false, &why)) continue;
    const bool bf16_kernels = bf16_markable(*node) || (node->domain.empty() && node->op_type == "Softmax");
    if (bf16_kernels) {
      Result<std::vector<OperandInfo>> as_float = infer_outputs(graph, *node, *schema, true);
      if (as_float.is_ok() && outputs_agree(*node, *as_float, true, &why)) continue;
      if (!as_float.is_ok() && !exact.is_ok()) return exact.status().with_context(node->describe());
    } else if (!exact.is_ok()) {
      return exact.status().with_context(node->describe());
    }
    return Status(Code::kInvalidModel, node->describe() + ": " + why);
  }
  for (const Value* out : graph.outputs)
    TANDEM_CHECK_OR_RETURN(out && available.count(out), kInvalidModel, "graph output '%s' is never produced",
                           out ? out->name.c_str() : "");
  return Status::ok();
}

}  // namespace tandem
