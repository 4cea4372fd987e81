// Test support: runs one op's inference and reference kernel on given inputs, as constant folding would.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <type_traits>
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

// A SingleOp of `op_type` on `inputs` at `opset`, without attributes.
inline SingleOp op_spec(const char* op_type, std::vector<Tensor> inputs = {}, int64_t opset = 17,
                        int num_outputs = 1) {
  SingleOp s;
  s.op_type = op_type;
  s.inputs = std::move(inputs);
  s.opset = opset;
  s.num_outputs = num_outputs;
  return s;
}

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

// Uniform values in [lo, hi); integer types get whole numbers in [100·lo, 100·hi].
template <typename T = float>
Tensor random_tensor(Shape shape, uint32_t seed, double lo = -1.0, double hi = 1.0) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  std::vector<T> v(static_cast<size_t>(shape_numel(shape)));
  for (T& x : v) x = static_cast<T>(std::is_integral_v<T> ? std::round(dist(rng) * 100) : dist(rng));
  return Tensor::from_vector<T>(std::move(shape), v);
}

// Output 0 of an op that must succeed (the failure is reported, an empty tensor returned).
inline Tensor run_ok(const SingleOp& op) {
  auto r = run_single_op(op);
  EXPECT_TRUE(r.is_ok()) << r.status().to_string();
  return r.is_ok() ? r.value()[0] : Tensor();
}

// An op that must fail with `code` and a message containing `needle`.
inline void expect_error(const SingleOp& op, Code code, const std::string& needle) {
  auto r = run_single_op(op);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), code) << r.status().to_string();
  EXPECT_NE(r.status().message().find(needle), std::string::npos) << r.status().to_string();
}

}  // namespace tandem::testing
