// Google Benchmark of build time against node count: a chain of N elementwise nodes (x -> Relu -> Add(c) -> Relu
// -> ...) serialised as an ONNX model, then each build phase timed on its own -- import (protobuf parse + graph),
// specialisation (shape inference, folding), the optimisation passes, and the CPU engine build (kernel choice,
// memory plan). A phase that is linear in N shows the same time per node at every N; the whole build of 200000
// nodes must stay under 10 s on a 2-core machine.
//   build/bench/graph_scaling_bench --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>
#include <onnx/onnx_pb.h>

#include <memory>
#include <string>

#include "backends/cpu/cpu_engine.h"
#include "onnx/onnx_import.h"
#include "passes/optimize.h"
#include "passes/specialize.h"

namespace tandem {
namespace {

// Alternates Relu and Add-of-a-constant, so the passes see more than one op type and some initializers.
std::string chain_model(int64_t nodes) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(17);
  onnx::GraphProto* g = m.mutable_graph();
  g->set_name("chain");
  for (const char* name : {"x", "y"}) {
    onnx::ValueInfoProto* v = name[0] == 'x' ? g->add_input() : g->add_output();
    v->set_name(name);
    auto* t = v->mutable_type()->mutable_tensor_type();
    t->set_elem_type(onnx::TensorProto::FLOAT);
    for (int64_t d : {1, 8}) t->mutable_shape()->add_dim()->set_dim_value(d);
  }
  onnx::TensorProto* c = g->add_initializer();
  c->set_name("c");
  c->set_data_type(onnx::TensorProto::FLOAT);
  c->add_float_data(0.5f);
  for (int64_t i = 0; i < nodes; ++i) {
    onnx::NodeProto* n = g->add_node();
    const bool relu = i % 2 == 0;
    n->set_op_type(relu ? "Relu" : "Add");
    n->set_name("n" + std::to_string(i));
    n->add_input(i == 0 ? "x" : "t" + std::to_string(i));
    if (!relu) n->add_input("c");
    n->add_output(i + 1 == nodes ? "y" : "t" + std::to_string(i + 1));
  }
  return m.SerializeAsString();
}

// The phases in build order; each is timed on a graph the phases before it prepared (untimed).
enum class Phase { kImport, kSpecialize, kOptimize, kEngine };

Status run_phase(Phase phase, const std::string& bytes, std::unique_ptr<Graph>& g,
                 std::unique_ptr<CpuEngine>& engine) {
  switch (phase) {
    case Phase::kImport: {
      TANDEM_ASSIGN_OR_RETURN(g, import_onnx_bytes(bytes, ".", "chain"));
      return Status::ok();
    }
    case Phase::kSpecialize: return specialize(*g, {});
    case Phase::kOptimize: return optimize(*g);
    case Phase::kEngine: {
      TANDEM_ASSIGN_OR_RETURN(engine, CpuEngine::build(*g, CpuEngineOptions{}));
      return Status::ok();
    }
  }
  return Status::ok();
}

void build_phase(benchmark::State& state, Phase timed) {
  const std::string bytes = chain_model(state.range(0));
  for (auto _ : state) {
    state.PauseTiming();
    std::unique_ptr<Graph> g;
    std::unique_ptr<CpuEngine> engine;
    Status st;
    for (Phase p = Phase::kImport; st.is_ok() && p < timed; p = static_cast<Phase>(static_cast<int>(p) + 1))
      st = run_phase(p, bytes, g, engine);
    state.ResumeTiming();
    if (st.is_ok()) st = run_phase(timed, bytes, g, engine);
    state.PauseTiming();
    if (!st.is_ok()) state.SkipWithError(st.to_string().c_str());
    engine.reset();  // teardown is not part of any phase
    g.reset();
    state.ResumeTiming();
  }
  // Seconds per million nodes (microseconds per node): flat across N when the phase is linear.
  state.counters["s_per_1M_nodes"] = benchmark::Counter(static_cast<double>(state.range(0)) / 1e6,
                                                     benchmark::Counter::kIsIterationInvariantRate |
                                                         benchmark::Counter::kInvert);
}

void args(benchmark::internal::Benchmark* b) {
  b->Arg(10000)->Arg(50000)->Arg(200000)->Iterations(1)->Unit(benchmark::kMillisecond);
}

BENCHMARK_CAPTURE(build_phase, import, Phase::kImport)->Apply(args);
BENCHMARK_CAPTURE(build_phase, specialize, Phase::kSpecialize)->Apply(args);
BENCHMARK_CAPTURE(build_phase, optimize, Phase::kOptimize)->Apply(args);
BENCHMARK_CAPTURE(build_phase, engine, Phase::kEngine)->Apply(args);

}  // namespace
}  // namespace tandem

BENCHMARK_MAIN();
