// Shape specialisation with constant folding, and dead-code elimination.
#include "passes/specialize.h"

#include <algorithm>
#include <set>

#include "core/checked_size.h"
#include "ops/op_registry.h"

namespace tandem {
namespace {

Status bind_inputs(Graph& graph, const SpecializeOptions& options) {
  for (const auto& [name, shape] : options.input_shapes) {
    // `&name = name`: clang 14 cannot capture a structured binding.
    bool known = std::any_of(graph.inputs.begin(), graph.inputs.end(),
                             [&name = name](Value* v) { return v->name == name; });
    TANDEM_CHECK_OR_RETURN(known, kInvalidArgument, "the model has no input named '%s'", name.c_str());
  }
  for (Value* in : graph.inputs) {
    auto given = options.input_shapes.find(in->name);
    auto value = options.input_values.find(in->name);
    if (value != options.input_values.end()) {
      TANDEM_CHECK_OR_RETURN(in->dtype == DType::kUndefined || value->second.dtype() == in->dtype, kInvalidArgument,
                             "input '%s' expects %s, got %s", in->name.c_str(), dtype_name(in->dtype),
                             dtype_name(value->second.dtype()));
    }
    Shape shape = given != options.input_shapes.end() ? given->second
                  : value != options.input_values.end() ? value->second.shape()
                                                        : in->shape;
    if (in->has_shape) {
      bool ok = shape.size() == in->shape.size();
      for (size_t i = 0; ok && i < shape.size(); ++i) ok = in->shape[i] < 0 || in->shape[i] == shape[i];
      TANDEM_CHECK_OR_RETURN(ok, kInvalidArgument, "input '%s' expects shape %s, got %s", in->name.c_str(),
                             shape_to_string(in->shape).c_str(), shape_to_string(shape).c_str());
    }
    bool concrete = std::all_of(shape.begin(), shape.end(), [](int64_t d) { return d >= 0; });
    TANDEM_CHECK_OR_RETURN(in->has_shape || given != options.input_shapes.end() || value != options.input_values.end(),
                           kInvalidArgument, "input '%s' has no declared shape; give one", in->name.c_str());
    TANDEM_CHECK_OR_RETURN(concrete, kInvalidArgument,
                           "input '%s' has dynamic shape %s; give a concrete one (e.g. --shape)", in->name.c_str(),
                           shape_to_string(shape).c_str());
    TANDEM_CHECK_OR_RETURN(in->dtype != DType::kUndefined || value != options.input_values.end(), kInvalidModel,
                           "input '%s' has no element type", in->name.c_str());
    const DType dtype = value != options.input_values.end() ? value->second.dtype() : in->dtype;
    TANDEM_RETURN_IF_ERROR_CTX(checked_nbytes(dtype, shape).status(), "input '" + in->name + "'");
    in->has_shape = true;
    in->shape = shape;
    if (value != options.input_values.end()) {
      in->dtype = value->second.dtype();
      in->constant = value->second;
    }
  }
  // Bound inputs are constants now, not inputs.
  graph.inputs.erase(std::remove_if(graph.inputs.begin(), graph.inputs.end(), [](Value* v) { return v->is_constant(); }),
                     graph.inputs.end());
  return Status::ok();
}

// Every shape inference computes is bounded here, once for all ops: no negative dimension, an element count and a
// byte size that neither overflow nor pass the memory limit (a Tile of [2^40] repeats, a ConstantOfShape of
// [1e6, 1e6] fed by a tiny model), before any kernel or arena is sized from it.
Status check_output_size(DType dtype, const Shape& shape) {
  if (dtype_size(dtype) == 0) return checked_numel(shape).status();
  return checked_nbytes(dtype, shape).status();
}

// Shape and Size read only their input's shape, so they fold even when the data is unknown.
bool reads_only_shape(const Node& node) {
  return node.domain.empty() && (node.op_type == "Shape" || node.op_type == "Size");
}

Status infer_node(Graph& graph, Node& node, bool fold) {
  const OpSchema* schema = OpRegistry::global().find(node.domain, node.op_type);
  TANDEM_CHECK_OR_RETURN(schema, kUnsupported, "%s: operator is not supported", node.describe().c_str());
  // Every operator Tandem has gives its first output (the rest may be optional); kernels write it.
  TANDEM_CHECK_OR_RETURN(node.output(0), kInvalidModel, "%s has no output", node.describe().c_str());
  for (Value* v : node.inputs) {
    if (!v) continue;
    TANDEM_CHECK_OR_RETURN(v->shape_is_concrete() && v->dtype != DType::kUndefined, kInternal,
                           "%s: input '%s' has no known shape", node.describe().c_str(), v->name.c_str());
  }
  for (int idx : schema->shape_inputs) {
    Value* v = node.input(idx);
    TANDEM_CHECK_OR_RETURN(!v || v->is_constant(), kUnsupported,
                           "%s: input %d '%s' decides the output shape but is computed from the data at run time",
                           node.describe().c_str(), idx, v ? v->name.c_str() : "");
  }
  OpContext ctx = make_op_context(graph, node);
  TANDEM_RETURN_IF_ERROR_CTX(schema->infer(ctx), node.describe());
  for (size_t i = 0; i < node.outputs.size(); ++i) {
    Value* out = node.outputs[i];
    if (!out) continue;
    TANDEM_CHECK_OR_RETURN(ctx.outputs[i].dtype != DType::kUndefined, kInternal, "%s: output '%s' has no type",
                           node.describe().c_str(), out->name.c_str());
    TANDEM_RETURN_IF_ERROR_CTX(check_output_size(ctx.outputs[i].dtype, ctx.outputs[i].shape),
                               node.describe() + ": output '" + out->name + "'");
    out->dtype = ctx.outputs[i].dtype;
    out->has_shape = true;
    out->shape = ctx.outputs[i].shape;
  }
  if (!fold || !schema->foldable) return Status::ok();
  bool all_const = true;
  for (Value* v : node.inputs) all_const = all_const && (!v || v->is_constant());
  if (!all_const && !reads_only_shape(node)) return Status::ok();
  std::vector<Tensor> inputs;
  for (Value* v : node.inputs) {
    if (!v) inputs.emplace_back();
    else if (v->is_constant()) inputs.push_back(*v->constant);
    else inputs.push_back(Tensor::view(v->dtype, v->shape, nullptr));  // shape-only read
  }
  TANDEM_ASSIGN_OR_RETURN(std::vector<Tensor> outs, evaluate_reference(*schema, ctx, inputs));
  for (size_t i = 0; i < node.outputs.size(); ++i)
    if (node.outputs[i]) node.outputs[i]->constant = std::move(outs[i]);
  return Status::ok();
}

}  // namespace

Status check_ops_supported(const Graph& graph) {
  std::string missing;
  int count = 0;
  for (Node* n : graph.live_nodes()) {
    if (OpRegistry::global().find(n->domain, n->op_type)) continue;
    if (count++ < 50) missing += (missing.empty() ? "" : "; ") + n->describe();
  }
  if (count == 0) return Status::ok();
  if (count > 50) missing += "; ... and " + std::to_string(count - 50) + " more";
  return Status(Code::kUnsupported, std::to_string(count) + " node(s) use operators Tandem does not support: " + missing);
}

Status specialize(Graph& graph, const SpecializeOptions& options) {
  TANDEM_RETURN_IF_ERROR(check_ops_supported(graph));
  TANDEM_RETURN_IF_ERROR(bind_inputs(graph, options));
  TANDEM_ASSIGN_OR_RETURN(std::vector<Node*> order, graph.topological_order());
  // An unsupported attribute value or input type is collected, not returned at once, so one error lists every
  // such node; nodes downstream of one have no shapes to infer and are skipped.
  std::set<const Value*> unknown;
  std::string unsupported;
  int count = 0;
  for (Node* node : order) {
    bool blocked = false;
    for (const Value* v : node->inputs) blocked = blocked || (v && unknown.count(v));
    Status st = blocked ? Status::ok() : infer_node(graph, *node, options.fold_constants);
    if (!blocked && !st.is_ok() && st.code() != Code::kUnsupported) return st;
    if (blocked || !st.is_ok()) {
      for (const Value* v : node->outputs)
        if (v) unknown.insert(v);
    }
    if (!blocked && !st.is_ok() && count++ < 50) unsupported += (unsupported.empty() ? "" : "; ") + st.message();
  }
  if (count > 0) {
    if (count > 50) unsupported += "; ... and " + std::to_string(count - 50) + " more";
    return Status(Code::kUnsupported, std::to_string(count) + " node(s) use what Tandem does not support: " + unsupported);
  }
  eliminate_dead_code(graph);
  return Status::ok();
}

void eliminate_dead_code(Graph& graph) {
  bool changed = true;
  while (changed) {
    changed = false;
    for (Node* n : graph.live_nodes()) {
      bool needed = false, all_const = true;
      for (Value* v : n->outputs) {
        if (!v) continue;
        if (!v->is_constant()) all_const = false;
        if (!v->consumers.empty() || graph.is_graph_output(v)) needed = true;
      }
      if (!needed || all_const) {
        graph.remove_node(n);
        changed = true;
      }
    }
  }
  graph.compact();
}

}  // namespace tandem
