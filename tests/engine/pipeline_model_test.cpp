// The pipelined runtime on MTNet-B0 itself: the automatic split finds exactly the four encoder outputs; the
// backbone + heads deployment computes what the single engine computes; a steady-state frame allocates
// nothing; and every thread a unit starts (its stream and the OpenMP team oneDNN runs on) keeps to the
// unit's cores.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>

#include "alloc_counter.h"
#include "plan/trunk.h"
#include "runtime/deployment.h"
#include "runtime/pipeline.h"
#include "runtime/model_session.h"

namespace tandem {
namespace {

const std::map<std::string, Shape> kShapes{{"image", {1, 3, 128, 256}}};

std::string model(const char* name) { return std::string(TANDEM_MODELS_DIR) + "/" + name; }

Plan heads_plan_for(const Graph& specialized) {
  auto split = find_shared_trunk(specialized);
  EXPECT_TRUE(split.is_ok()) << split.status().to_string();
  std::vector<int> cores = available_cores();
  std::vector<UnitSpec> units{{"backbone_unit", "cpu", {cores.front()}}, {"heads_unit", "cpu", {cores.back()}}};
  return heads_plan(*split, units, "backbone_unit", "heads_unit", 2);
}

struct Deployed {
  std::unique_ptr<Deployment> deployment;
  std::unique_ptr<Pipeline> pipeline;
  std::vector<Tensor> inputs, outputs;
};

Deployed deploy(int in_flight = 2) {
  Deployed d;
  auto g = ModelSession::load(model("mtnet_b0_op17_dynamic.onnx"), {});
  EXPECT_TRUE(g.is_ok()) << g.status().to_string();
  auto spec = specialized_copy((*g)->graph(), kShapes);
  EXPECT_TRUE(spec.is_ok());
  Plan plan = heads_plan_for(**spec);
  plan.in_flight = in_flight;
  DeploymentOptions o;
  o.input_shapes = kShapes;
  auto dep = Deployment::build((*g)->graph(), plan, o);
  EXPECT_TRUE(dep.is_ok()) << dep.status().to_string();
  d.deployment = std::move(dep.value());
  auto p = Pipeline::create(*d.deployment, {});
  EXPECT_TRUE(p.is_ok());
  d.pipeline = std::move(p.value());
  Tensor image = Tensor::make(DType::kFloat32, kShapes.at("image"));
  for (int64_t i = 0; i < image.numel(); ++i) image.data<float>()[i] = std::sin(0.001f * static_cast<float>(i));
  d.inputs.push_back(image);
  for (int i : d.deployment->model_outputs()) {
    const BoundaryTensor& t = d.deployment->tensors()[static_cast<size_t>(i)];
    d.outputs.push_back(Tensor::make(t.dtype, t.shape));
  }
  return d;
}

TEST(PipelineModel, TrunkIsTheFourEncoderOutputs) {
  for (const char* file : {"mtnet_b0_op17_dynamic.onnx", "mtnet_b0_op13_dynamic.onnx", "mtnet_b0_op17_256x512.onnx"}) {
    auto s = ModelSession::load(model(file), {});
    ASSERT_TRUE(s.is_ok()) << s.status().to_string();
    std::map<std::string, Shape> shapes = kShapes;
    if (std::string(file).find("256x512") != std::string::npos) shapes.clear();
    auto g = specialized_copy((*s)->graph(), shapes);
    ASSERT_TRUE(g.is_ok()) << g.status().to_string();
    auto split = find_shared_trunk(**g);
    ASSERT_TRUE(split.is_ok()) << split.status().to_string();
    std::vector<std::string> boundary = split->boundary;
    std::sort(boundary.begin(), boundary.end());
    EXPECT_EQ(boundary, (std::vector<std::string>{"c1", "c2", "c3", "c4"})) << file;
    ASSERT_EQ(split->heads.size(), 2u) << file;
    EXPECT_EQ(split->heads[0], (std::vector<std::string>{"seg_logits"}));
    EXPECT_EQ(split->heads[1], (std::vector<std::string>{"depth"}));
  }
}

TEST(PipelineModel, MatchesTheSingleEngine) {
  Deployed d = deploy();
  auto session = ModelSession::load(model("mtnet_b0_op17_dynamic.onnx"), {});
  ASSERT_TRUE(session.is_ok());
  auto want = (*session)->run(d.inputs);
  ASSERT_TRUE(want.is_ok()) << want.status().to_string();
  // Two frames in flight, as the pipeline runs them (a third submit would wait for a receive).
  ASSERT_TRUE(d.pipeline->submit(d.inputs).is_ok());
  for (int frame = 0; frame < 3; ++frame) {
    if (frame < 2) {
      ASSERT_TRUE(d.pipeline->submit(d.inputs).is_ok());
    }
    ASSERT_TRUE(d.pipeline->receive(d.outputs).is_ok());
    for (size_t o = 0; o < d.outputs.size(); ++o) {
      double err = 0, peak = 1e-6;
      for (int64_t i = 0; i < d.outputs[o].numel(); ++i) {
        err = std::max(err, double(std::fabs(d.outputs[o].data<float>()[i] - (*want)[o].data<float>()[i])));
        peak = std::max(peak, double(std::fabs((*want)[o].data<float>()[i])));
      }
      EXPECT_LE(err, 1e-5 * peak) << "output " << o << " frame " << frame;
    }
  }
}

// A saved engine loads to the same stages, kernels and tactics, and computes bit-identical outputs.
TEST(PipelineModel, SavedEngineRunsIdentically) {
  Deployed built = deploy();
  const std::string path = ::testing::TempDir() + "/mtnet_heads.tdm";
  ASSERT_TRUE(save_deployment(*built.deployment, path, "mtnet_b0_op17_dynamic.onnx").is_ok());
  auto loaded = load_deployment(path);
  ASSERT_TRUE(loaded.is_ok()) << loaded.status().to_string();
  ASSERT_EQ((*loaded)->stages().size(), built.deployment->stages().size());
  for (size_t k = 0; k < built.deployment->stages().size(); ++k) {
    const auto& a = built.deployment->stages()[k].engine->steps();
    const auto& b = (*loaded)->stages()[k].engine->steps();
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].node_name, b[i].node_name);
      EXPECT_EQ(a[i].impl, b[i].impl) << a[i].node_name;
      EXPECT_EQ(a[i].tactic, b[i].tactic) << a[i].node_name;
    }
  }
  auto pipeline = Pipeline::create(**loaded, {});
  ASSERT_TRUE(pipeline.is_ok());
  std::vector<Tensor> again;
  for (const Tensor& t : built.outputs) again.push_back(Tensor::make(t.dtype(), t.shape()));
  ASSERT_TRUE(built.pipeline->submit(built.inputs).is_ok());
  ASSERT_TRUE(built.pipeline->receive(built.outputs).is_ok());
  ASSERT_TRUE((*pipeline)->submit(built.inputs).is_ok());
  ASSERT_TRUE((*pipeline)->receive(again).is_ok());
  for (size_t o = 0; o < again.size(); ++o)
    EXPECT_EQ(std::memcmp(again[o].raw(), built.outputs[o].raw(), again[o].nbytes()), 0) << "output " << o;
}

TEST(PipelineModel, NoAllocationInSteadyState) {
  Deployed d = deploy();
  Pipeline& p = *d.pipeline;
  for (int f = 0; f < 4; ++f) {  // warm-up: OpenMP pools, first-touch of slots
    if (p.pending() == p.in_flight()) {
      ASSERT_TRUE(p.receive(d.outputs).is_ok());
    }
    ASSERT_TRUE(p.submit(d.inputs).is_ok());
  }
  testing::g_allocations = 0;
  testing::g_onednn_allocations = 0;
  testing::g_openmp_allocations = 0;
  testing::g_counting = true;
  bool ok = true;
  for (int f = 0; f < 6 && ok; ++f) {
    if (p.pending() == p.in_flight()) ok = p.receive(d.outputs).is_ok();
    ok = ok && p.submit(d.inputs).is_ok();
  }
  while (ok && p.pending() > 0) ok = p.receive(d.outputs).is_ok();
  testing::g_counting = false;
  ASSERT_TRUE(ok);
  EXPECT_EQ(testing::g_allocations.load(), 0) << "allocations outside oneDNN's execute during 6 pipelined frames";
  std::printf("oneDNN-internal allocations per frame: %ld, libgomp's: %ld\n", testing::g_onednn_allocations.load() / 6,
              testing::g_openmp_allocations.load() / 6);
}

TEST(PipelineModel, UnitThreadsKeepToTheirCores) {
  std::vector<int> cores = available_cores();
  if (cores.size() < 2) GTEST_SKIP() << "needs two cores";
  std::vector<int> before = testing::thread_ids();
  Deployed d = deploy();
  for (int f = 0; f < 4; ++f) {
    if (d.pipeline->pending() == d.pipeline->in_flight()) {
      ASSERT_TRUE(d.pipeline->receive(d.outputs).is_ok());
    }
    ASSERT_TRUE(d.pipeline->submit(d.inputs).is_ok());
  }
  ASSERT_TRUE(d.pipeline->drain().is_ok());
  std::set<std::vector<int>> seen;
  int new_threads = 0;
  for (int tid : testing::thread_ids()) {
    if (std::find(before.begin(), before.end(), tid) != before.end()) continue;
    std::vector<int> allowed = testing::thread_cores(tid);
    ++new_threads;
    // Threads started while building (OpenMP pools of the tactic timing) run on the caller's cores; every
    // thread started by a unit runs on exactly that unit's core.
    if (allowed == cores) continue;
    EXPECT_TRUE(allowed == std::vector<int>{cores.front()} || allowed == std::vector<int>{cores.back()})
        << "thread " << tid << " may run on cores outside any unit";
    seen.insert(allowed);
  }
  EXPECT_EQ(seen.size(), 2u) << "both units started pinned threads (" << new_threads << " new threads)";
}

}  // namespace
}  // namespace tandem
