// Test support: builds small float32 graphs by hand, specialises them and runs them on the CPU engine.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "backends/cpu/cpu_engine.h"
#include "passes/optimize.h"
#include "passes/specialize.h"

namespace tandem::testing {

inline Tensor random_tensor(const Shape& shape, uint32_t seed, float range = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-range, range);
  std::vector<float> v(static_cast<size_t>(shape_numel(shape)));
  for (float& x : v) x = dist(rng);
  return Tensor::from_vector<float>(shape, v);
}

// Builds a float32 graph by hand, one op per call, and specialises it.
class GraphBuilder {
 public:
  explicit GraphBuilder(int64_t opset = 13) { g_->opsets[kOnnxDomain] = opset; }

  Value* input(const std::string& name, const Shape& shape) {
    Value* v = g_->value(name);
    v->dtype = DType::kFloat32;
    v->has_shape = true;
    v->shape = shape;
    g_->inputs.push_back(v);
    return v;
  }
  Value* constant(const Tensor& t) {
    Value* v = g_->new_value("const");
    v->dtype = t.dtype();
    v->has_shape = true;
    v->shape = t.shape();
    v->constant = t;
    return v;
  }
  Value* scalar(float x) { return constant(Tensor::scalar<float>(x)); }
  Value* weights(const Shape& shape) { return constant(random_tensor(shape, seed_++, 0.5f)); }
  Value* op(const std::string& op_type, std::vector<Value*> inputs, Attributes attrs = {},
            const char* domain = kOnnxDomain) {
    Value* out = g_->new_value(op_type + "_out");
    Node* n = g_->add_node(op_type, op_type + std::to_string(count_++), std::move(inputs), {out}, domain);
    n->attrs = std::move(attrs);
    return out;
  }
  void output(Value* v) { g_->outputs.push_back(v); }

  std::unique_ptr<Graph> specialized() {
    Status st = specialize(*g_, SpecializeOptions{});
    EXPECT_TRUE(st.is_ok()) << st.to_string();
    return std::move(g_);
  }

 private:
  std::unique_ptr<Graph> g_ = std::make_unique<Graph>();
  int count_ = 0;
  uint32_t seed_ = 100;
};

inline Attributes ints_attr(const std::string& name, std::vector<int64_t> v) {
  Attributes a;
  a.set_ints(name, std::move(v));
  return a;
}

// Builds a CPU engine for the specialised `g` and runs it once; failures are test failures.
inline std::vector<Tensor> run_graph(const Graph& g, const std::vector<Tensor>& inputs) {
  auto engine = CpuEngine::build(g, CpuEngineOptions{});
  EXPECT_TRUE(engine.is_ok()) << engine.status().to_string();
  if (!engine.is_ok()) return {};
  std::vector<Tensor> outs;
  for (const TensorDesc& d : (*engine)->outputs()) outs.push_back(Tensor::make(d.dtype, d.shape));
  Status st = (*engine)->run(inputs, outs);
  EXPECT_TRUE(st.is_ok()) << st.to_string();
  return outs;
}

// max |got - want| / max |want| (float32 tensors of one shape).
inline double relative_error(const Tensor& got, const Tensor& want) {
  double err = 0, peak = 1e-9;
  for (int64_t i = 0; i < want.numel(); ++i) {
    err = std::max(err, double(std::fabs(got.data<float>()[i] - want.data<float>()[i])));
    peak = std::max(peak, double(std::fabs(want.data<float>()[i])));
  }
  return err / peak;
}

// Live nodes per op type.
inline std::map<std::string, int> op_counts(const Graph& g) {
  std::map<std::string, int> counts;
  for (Node* n : g.live_nodes()) ++counts[n->op_type];
  return counts;
}

// The node of `op_type` (the last one, when there are several), or nullptr.
inline Node* only_node(const Graph& g, const std::string& op_type) {
  Node* found = nullptr;
  for (Node* n : g.live_nodes())
    if (n->op_type == op_type) found = n;
  return found;
}

using Pass = Status (*)(Graph&);

// Runs `passes` on a copy of the specialised `g`, checks both graphs compute the same outputs on random inputs
// (scaled by `range`), and returns the fused copy.
inline std::unique_ptr<Graph> fuse_and_compare(const Graph& g, std::vector<Pass> passes, float range = 1.0f) {
  std::unique_ptr<Graph> fused = g.clone();
  for (Pass pass : passes) {
    Status st = pass(*fused);
    EXPECT_TRUE(st.is_ok()) << st.to_string();
  }
  eliminate_dead_code(*fused);
  EXPECT_TRUE(fused->topological_order().is_ok());
  std::vector<Tensor> inputs;
  uint32_t seed = 1;
  for (const Value* v : g.inputs) inputs.push_back(random_tensor(v->shape, seed++, range));
  std::vector<Tensor> want = run_graph(g, inputs), got = run_graph(*fused, inputs);
  EXPECT_EQ(want.size(), got.size());
  for (size_t o = 0; o < want.size() && o < got.size(); ++o) {
    EXPECT_EQ(want[o].shape(), got[o].shape());
    if (want[o].shape() != got[o].shape()) continue;
    double max_err = 0;
    for (int64_t i = 0; i < want[o].numel(); ++i)
      max_err = std::max(max_err, static_cast<double>(std::fabs(want[o].data<float>()[i] - got[o].data<float>()[i])));
    EXPECT_LE(max_err, 1e-5) << "output " << o;
  }
  return fused;
}

}  // namespace tandem::testing
