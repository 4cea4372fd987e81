// Google Benchmark of every convolution tactic of the CPU backend (oneDNN blocked, oneDNN plain NCHW, Tandem's
// direct kernel, oneDNN Winograd, the activation applied afterwards) on MTNet-B0's convolution geometries at
// 256x512 and a few of the zoo's (ResNet, EfficientNet), one thread unless TANDEM_THREADS says otherwise, so a kernel
// change is judged on the shapes that matter. Reports GFLOP/s.  [TANDEM_THREADS=2] build/bench/conv_bench [--benchmark_filter=depth_out]
#include <benchmark/benchmark.h>
#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <random>

#include "backends/cpu/cpu_kernels.h"
#include "ir/graph.h"

namespace tandem {
namespace {

struct Geometry {
  const char* name;
  Shape x, w;
  int64_t stride, pad, group;
  const char* activation;
  bool nhwc = false;  // src and dst channels-last (FusedConv src_layout/dst_layout)
};

const Geometry kGeometries[] = {
    {"depth_out_16to1_3x3_256x512", {1, 16, 256, 512}, {1, 16, 3, 3}, 1, 1, 1, "Sigmoid"},
    {"depth_up4_16to16_3x3_256x512", {1, 16, 256, 512}, {16, 16, 3, 3}, 1, 1, 1, "Relu"},
    {"depth_up3_32to16_3x3_128x256", {1, 32, 128, 256}, {16, 32, 3, 3}, 1, 1, 1, "Relu"},
    {"depth_up2_64to32_3x3_64x128", {1, 64, 64, 128}, {32, 64, 3, 3}, 1, 1, 1, "Relu"},
    {"seg_fuse_256to256_1x1_64x128", {1, 256, 64, 128}, {256, 256, 1, 1}, 1, 0, 1, "Relu"},
    {"mixffn_dw_128_3x3_64x128", {1, 128, 64, 128}, {128, 1, 3, 3}, 1, 1, 128, "Gelu"},
    {"mixffn_dw_128_3x3_64x128_nhwc", {1, 64, 128, 128}, {128, 1, 3, 3}, 1, 1, 128, "Gelu", true},
    {"sr_conv_32_8x8s8_64x128_nhwc", {1, 64, 128, 32}, {32, 32, 8, 8}, 8, 0, 1, "", true},
    {"patch_embed1_32to64_3x3s2_64x128_nhwc", {1, 64, 128, 32}, {64, 32, 3, 3}, 2, 1, 1, "", true},
    {"patch_embed1_32to64_3x3s2_64x128", {1, 32, 64, 128}, {64, 32, 3, 3}, 2, 1, 1, ""},
    {"resnet_layer1_64to64_3x3_56x56_nhwc", {1, 56, 56, 64}, {64, 64, 3, 3}, 1, 1, 1, "Relu", true},
    {"resnet_layer3_256to256_3x3_14x14_nhwc", {1, 14, 14, 256}, {256, 256, 3, 3}, 1, 1, 1, "Relu", true},
    {"effnet_expand_16to96_1x1_112x112_nhwc", {1, 112, 112, 16}, {96, 16, 1, 1}, 1, 0, 1, "Silu", true},
    {"effnet_dw_32_3x3_112x112_nhwc", {1, 112, 112, 32}, {32, 1, 3, 3}, 1, 1, 32, "Silu", true},
};

using Maker = std::function<std::unique_ptr<Kernel>(const OpContext&)>;

void run_tactic(benchmark::State& state, const Geometry& geo, const Maker& make) {
  const char* threads = std::getenv("TANDEM_THREADS");
  omp_set_num_threads(threads ? std::max(1, std::atoi(threads)) : 1);
  Graph g;
  g.opsets[""] = 17;
  g.opsets[kTandemDomain] = 1;
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  auto random = [&](const Shape& s) {
    Tensor t = Tensor::make(DType::kFloat32, s);
    for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = dist(rng);
    return t;
  };
  std::vector<Tensor> in{random(geo.x), random(geo.w), random({geo.w[0]})};
  std::vector<Value*> vals;
  for (size_t i = 0; i < in.size(); ++i) {
    Value* v = g.value("in" + std::to_string(i));
    v->dtype = DType::kFloat32;
    v->has_shape = true;
    v->shape = in[i].shape();
    if (i > 0) v->constant = in[i];
    vals.push_back(v);
  }
  Node* node = g.add_node("FusedConv", "conv", vals, {g.value("out")}, kTandemDomain);
  node->attrs.set_ints("strides", {geo.stride, geo.stride});
  node->attrs.set_ints("pads", {geo.pad, geo.pad, geo.pad, geo.pad});
  node->attrs.set_int("group", geo.group);
  node->attrs.set_string("activation", geo.activation);
  if (geo.nhwc) {
    node->attrs.set_string("src_layout", "NHWC");
    node->attrs.set_string("dst_layout", "NHWC");
  }
  OpContext ctx = make_op_context(g, *node);
  const OpSchema* schema = OpRegistry::global().find(kTandemDomain, "FusedConv");
  if (!schema->infer(ctx).is_ok()) return state.SkipWithError("shape inference failed");
  std::unique_ptr<Kernel> k = make(ctx);
  if (!k) return state.SkipWithError("tactic does not apply");
  if (!k->prepare(ctx).is_ok()) return state.SkipWithError("prepare failed");
  std::vector<Tensor> out{Tensor::make(DType::kFloat32, ctx.out(0).shape)};
  for (auto _ : state) benchmark::DoNotOptimize(k->run(in, out));
  const Shape& y = ctx.out(0).shape;
  double flops = 2.0 * static_cast<double>(shape_numel(y)) * static_cast<double>(geo.w[1] * geo.w[2] * geo.w[3]);
  state.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(k->impl_name());
}

int register_all() {
  const std::pair<const char*, Maker> tactics[] = {
      {"onednn_blocked", [](const OpContext&) { return make_onednn_conv({.blocked_io = true}); }},
      {"onednn_plain", [](const OpContext&) { return make_onednn_conv({.blocked_io = false}); }},
      {"direct", make_conv2d_f32_nchw_direct},
      {"onednn_winograd_2x3", [](const OpContext&) { return make_onednn_conv({.winograd = Winograd::kF2x3}); }},
      {"onednn_winograd_4x3", [](const OpContext&) { return make_onednn_conv({.winograd = Winograd::kF4x3}); }},
      {"onednn_blocked_act_after",
       [](const OpContext&) { return make_onednn_conv({.blocked_io = true, .activation_after = true}); }},
  };
  for (const Geometry& geo : kGeometries)
    for (const auto& [tname, make] : tactics)
      benchmark::RegisterBenchmark((std::string(geo.name) + "/" + tname).c_str(),
                                   [&geo, make = make](benchmark::State& s) { run_tactic(s, geo, make); })
          ->Unit(benchmark::kMillisecond);
  return 0;
}
const int registered = register_all();

}  // namespace
}  // namespace tandem

BENCHMARK_MAIN();
