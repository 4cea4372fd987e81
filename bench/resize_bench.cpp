// Google Benchmark of Resize's float32 paths through the op registry: bilinear upsampling of a 256-channel feature
// map laid out channels-last (NHWC, the channels-last path) against the same data channels-first (NCHW, the plane
// path), one thread unless TANDEM_THREADS says otherwise. Reports ms and output GB/s. To alternate the layouts
// within one run:
//   build/bench/resize_bench --benchmark_repetitions=10 --benchmark_enable_random_interleaving=true
//       --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <random>
#include <string>

#include "ir/graph.h"
#include "ops/op_registry.h"

namespace tandem {
namespace {

struct Case {
  const char* name;
  Shape x;
  std::vector<float> scales;
};

// Each NHWC case next to its NCHW twin, so a plain run already alternates the layouts.
const Case kCases[] = {
    {"bilinear_x8_8x16_c256_nhwc", {1, 8, 16, 256}, {1, 8, 8, 1}},
    {"bilinear_x8_8x16_c256_nchw", {1, 256, 8, 16}, {1, 1, 8, 8}},
    {"bilinear_x2_32x64_c256_nhwc", {1, 32, 64, 256}, {1, 2, 2, 1}},
    {"bilinear_x2_32x64_c256_nchw", {1, 256, 32, 64}, {1, 1, 2, 2}},
    {"nearest_x2_32x64_c256_nhwc", {1, 32, 64, 256}, {1, 2, 2, 1}},
    {"nearest_x2_32x64_c256_nchw", {1, 256, 32, 64}, {1, 1, 2, 2}},
};

void run_resize(benchmark::State& state, const Case& c) {
  const char* threads = std::getenv("TANDEM_THREADS");
  omp_set_num_threads(threads ? std::max(1, std::atoi(threads)) : 1);  // the kernel reads it in prepare()
  Graph g;
  g.opsets[""] = 13;
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  Tensor x = Tensor::make(DType::kFloat32, c.x);
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = dist(rng);
  const std::vector<Tensor> in{x, Tensor(),
                               Tensor::from_vector<float>({static_cast<int64_t>(c.scales.size())}, c.scales)};
  Value* vx = g.value("x");
  vx->dtype = DType::kFloat32;
  vx->has_shape = true;
  vx->shape = c.x;
  Value* vs = g.value("scales");
  vs->dtype = DType::kFloat32;
  vs->has_shape = true;
  vs->shape = in[2].shape();
  vs->constant = in[2];
  Node* node = g.add_node("Resize", "resize", {vx, nullptr, vs}, {g.value("y")});
  node->attrs.set_string("mode", std::string(c.name).rfind("nearest", 0) == 0 ? "nearest" : "linear");
  const OpSchema* schema = OpRegistry::global().find("", "Resize");
  OpContext ctx = make_op_context(g, *node);
  if (!schema->infer(ctx).is_ok()) return state.SkipWithError("shape inference failed");
  std::unique_ptr<Kernel> k = schema->create();
  if (!k->prepare(ctx).is_ok()) return state.SkipWithError("prepare failed");
  std::vector<Tensor> out{Tensor::make(DType::kFloat32, ctx.out(0).shape)};
  for (auto _ : state) benchmark::DoNotOptimize(k->run(in, out));
  const double bytes = static_cast<double>(out[0].numel()) * sizeof(float);
  state.counters["out_GB/s"] = benchmark::Counter(bytes * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(k->impl_name());
}

int register_all() {
  for (const Case& c : kCases)
    benchmark::RegisterBenchmark(c.name, [&c](benchmark::State& s) {
      run_resize(s, c);
    })->Unit(benchmark::kMillisecond);
  return 0;
}
const int registered = register_all();

}  // namespace
}  // namespace tandem

BENCHMARK_MAIN();
