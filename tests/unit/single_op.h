// Test support: runs one op's inference and reference kernel on given inputs, as constant folding would.
#pragma once

#include <string>
#include <vector>

#include "ir/graph.h"
#include "ops/op_registry.h"

namespace tandem::testing {

struct SingleOp {
  std::string op_type;
  std::string domain;  // "" = ai.onnx
  int64_t opset = 17;
  Attributes attrs;
  std::vector<Tensor> inputs;  // an undefined Tensor marks an omitted optional input
  int num_outputs = 1;
};

// Infers output shapes and runs the reference kernel; the error carries the op's message.
inline Result<std::vector<Tensor>> run_single_op(const SingleOp& spec) {
  Graph g;
  g.opsets[spec.domain] = spec.opset;
  std::vector<Value*> ins, outs;
  for (size_t i = 0; i < spec.inputs.size(); ++i) {
    if (!spec.inputs[i].defined()) {
      ins.push_back(nullptr);
      continue;
    }
    Value* v = g.value("in" + std::to_string(i));
    v->dtype = spec.inputs[i].dtype();
    v->has_shape = true;
    v->shape = spec.inputs[i].shape();
    v->constant = spec.inputs[i];
    ins.push_back(v);
  }
  for (int i = 0; i < spec.num_outputs; ++i) outs.push_back(g.value("out" + std::to_string(i)));
  Node* node = g.add_node(spec.op_type, "test_node", ins, outs, spec.domain);
  node->attrs = spec.attrs;
  const OpSchema* schema = OpRegistry::global().find(spec.domain, spec.op_type);
  if (!schema) return Status(Code::kUnsupported, "no schema for " + spec.op_type);
  OpContext ctx = make_op_context(g, *node);
  TANDEM_RETURN_IF_ERROR(schema->infer(ctx));
  return evaluate_reference(*schema, ctx, spec.inputs);
}

}  // namespace tandem::testing
