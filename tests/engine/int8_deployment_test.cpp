// Int8 and bf16 deployments of MTNet-B0. The layer report: a float deployment compared with the float model matches every tensor to float
// precision; with the heads in int8, the error starts in a head (the backbone stays exact) and every tensor
// the report lists carries its producer and stage. And a calibration cache file read back gives bit-identical
// engines.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>

#include "backends/cpu/onednn_common.h"
#include "plan/trunk.h"
#include "quant/calibration_cache.h"
#include "runtime/pipeline.h"
#include "runtime/calibration.h"
#include "runtime/layer_report.h"
#include "runtime/deployment.h"
#include "runtime/model_session.h"

namespace tandem {
namespace {

const std::map<std::string, Shape> kShapes{{"image", {1, 3, 64, 128}}};

std::unique_ptr<Graph> imported() {
  auto s = ModelSession::load(std::string(TANDEM_MODELS_DIR) + "/mtnet_b0_op17_dynamic.onnx", {});
  EXPECT_TRUE(s.is_ok()) << s.status().to_string();
  return (*s)->graph().clone();
}

Tensor image(float phase) {
  Tensor t = Tensor::make(DType::kFloat32, kShapes.at("image"));
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = std::sin(0.0013f * static_cast<float>(i) + phase);
  return t;
}

std::unique_ptr<Deployment> deploy(const Graph& g, const Plan& plan, const std::map<std::string, float>& scales = {}) {
  DeploymentOptions o;
  o.input_shapes = kShapes;
  o.scales = scales;
  auto d = Deployment::build(g, plan, o);
  EXPECT_TRUE(d.is_ok()) << d.status().to_string();
  return std::move(d).value();
}

Plan heads(const Graph& g, Precision heads_precision) {
  auto spec = specialized_copy(g, kShapes);
  EXPECT_TRUE(spec.is_ok());
  auto split = find_shared_trunk(**spec);
  EXPECT_TRUE(split.is_ok());
  std::vector<int> cores = available_cores();
  Plan p = heads_plan(*split, {{"a", "cpu", {cores.front()}}, {"b", "cpu", {cores.back()}}}, "a", "b", 1);
  for (StageSpec& s : p.stages) {
    if (s.name != "backbone") s.precision = heads_precision;
  }
  return p;
}

Plan one_unit() { return single_unit_plan({"seg_logits", "depth"}, {available_cores().front()}, 1); }

TEST(LayerReport, FloatDeploymentMatchesTheModel) {
  auto g = imported();
  auto subject = deploy(*g, heads(*g, Precision::kFp32));
  auto reference = deploy(*g, one_unit());
  auto report = LayerReport::create(*subject, *reference);
  ASSERT_TRUE(report.is_ok()) << report.status().to_string();
  Tensor in = image(0);
  ASSERT_TRUE((*report)->add_frame(std::span<const Tensor>(&in, 1)).is_ok());
  std::vector<TensorError> rows = (*report)->result();
  EXPECT_GT(rows.size(), 200u);  // every float tensor of the model, not just the outputs
  for (const TensorError& e : rows) EXPECT_LT(e.rel_l2, 1e-4) << e.tensor << " (" << e.op_type << ")";
  EXPECT_EQ(first_divergence(rows, 1e-3), -1);
}

TEST(LayerReport, Int8HeadsDivergeInTheHeads) {
  auto g = imported();
  auto calib = Calibrator::create(*g, kShapes, 1);
  ASSERT_TRUE(calib.is_ok()) << calib.status().to_string();
  for (float phase : {0.0f, 1.0f}) ASSERT_TRUE((*calib)->add({image(phase)}).is_ok());
  auto cache = (*calib)->cache(CalibrationMethod::kMinMax);
  ASSERT_TRUE(cache.is_ok()) << cache.status().to_string();
  auto subject = deploy(*g, heads(*g, Precision::kInt8), cache->scales);
  auto reference = deploy(*g, one_unit());
  auto report = LayerReport::create(*subject, *reference);
  ASSERT_TRUE(report.is_ok()) << report.status().to_string();
  for (float phase : {0.5f, 2.0f}) {
    Tensor in = image(phase);
    ASSERT_TRUE((*report)->add_frame(std::span<const Tensor>(&in, 1)).is_ok());
  }
  EXPECT_EQ((*report)->frames(), 2);
  std::vector<TensorError> rows = (*report)->result();
  int start = first_divergence(rows, 1e-3);
  ASSERT_GE(start, 0);
  EXPECT_NE(rows[static_cast<size_t>(start)].stage, "backbone");
  bool saw_int8_conv = false, saw_depth = false;
  for (const TensorError& e : rows) {
    if (e.stage == "backbone") {
      EXPECT_LT(e.rel_l2, 1e-4) << e.tensor;
    }
    EXPECT_FALSE(e.node.empty());
    saw_int8_conv |= e.op_type == "FusedConvInt8" && e.rel_l2 > 1e-3 && e.rel_l2 < 0.5 && e.cosine > 0.9;
    saw_depth |= e.tensor == "depth";
  }
  EXPECT_TRUE(saw_int8_conv);
  EXPECT_TRUE(saw_depth);
}

// The round trip: scales written to a TensorRT-format cache file and read back build an int8 deployment
// whose outputs are bit-identical to one built from the scales in memory.
std::vector<Tensor> run_once(Deployment& d, const Tensor& input) {
  auto p = Pipeline::create(d, {});
  EXPECT_TRUE(p.is_ok()) << p.status().to_string();
  std::vector<Tensor> out;
  for (int i : d.model_outputs()) out.push_back(Tensor::make(d.tensors()[static_cast<size_t>(i)].dtype, d.tensors()[static_cast<size_t>(i)].shape));
  std::vector<Tensor> in{input};
  EXPECT_TRUE((*p)->submit(in).is_ok());
  EXPECT_TRUE((*p)->receive(out).is_ok());
  return out;
}

TEST(CalibrationCacheFile, RoundTripGivesBitIdenticalOutputs) {
  auto g = imported();
  auto calib = Calibrator::create(*g, kShapes, 1);
  ASSERT_TRUE(calib.is_ok()) << calib.status().to_string();
  ASSERT_TRUE((*calib)->add({image(0.3f)}).is_ok());
  auto cache = (*calib)->cache(CalibrationMethod::kEntropy);
  ASSERT_TRUE(cache.is_ok()) << cache.status().to_string();
  const std::string path = (std::filesystem::temp_directory_path() / "tandem_roundtrip.cache").string();
  ASSERT_TRUE(write_cache(*cache, path).is_ok());
  auto back = read_cache(path);
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  std::filesystem::remove(path);
  EXPECT_EQ(back->algorithm, "EntropyCalibration2");
  ASSERT_EQ(back->scales.size(), cache->scales.size());

  Plan plan = heads(*g, Precision::kInt8);
  auto from_memory = deploy(*g, plan, cache->scales);
  auto from_file = deploy(*g, plan, back->scales);
  Tensor in = image(1.7f);
  std::vector<Tensor> a = run_once(*from_memory, in), b = run_once(*from_file, in);
  ASSERT_EQ(a.size(), 2u);
  ASSERT_EQ(b.size(), 2u);
  for (size_t k = 0; k < a.size(); ++k) {
    ASSERT_EQ(a[k].nbytes(), b[k].nbytes());
    EXPECT_EQ(std::memcmp(a[k].raw(), b[k].raw(), a[k].nbytes()), 0) << "output " << k;
  }
  // And the int8 heads really differ from float (the cache was used).
  auto fp32 = deploy(*g, heads(*g, Precision::kFp32));
  std::vector<Tensor> f = run_once(*fp32, in);
  EXPECT_NE(std::memcmp(a[0].raw(), f[0].raw(), a[0].nbytes()), 0);
}

// A bf16 backbone: where oneDNN has native bf16 the backbone's convolutions and matmuls may multiply in bf16 (the
// stage says so, and how many of them its tactic search kept in bf16), and its outputs stay close to fp32;
// elsewhere the stage runs fp32, says why, and matches fp32 to float rounding. The CPU decides, never silently.
TEST(Bf16Deployment, BackboneInBf16OrAnExplicitFp32Fallback) {
  auto g = imported();
  Plan plan = heads(*g, Precision::kFp32);
  for (StageSpec& s : plan.stages) {
    if (s.name == "backbone") s.precision = Precision::kBf16;
  }
  auto bf16 = deploy(*g, plan);
  auto fp32 = deploy(*g, heads(*g, Precision::kFp32));
  const DeployedStage* backbone = nullptr;
  for (const DeployedStage& s : bf16->stages()) {
    if (s.name == "backbone") backbone = &s;
  }
  ASSERT_NE(backbone, nullptr);
  std::string notes;
  for (const std::string& n : backbone->notes) notes += n + "\n";
  int bf16_kernels = 0;
  for (const StepInfo& step : backbone->engine->steps())  // convolutions and matmuls (a softmax may store bf16)
    bf16_kernels += step.op_type != "Softmax" && step.impl.find("+bf16") != std::string::npos;
  Tensor in = image(0.9f);
  std::vector<Tensor> a = run_once(*bf16, in), f = run_once(*fp32, in);
  ASSERT_EQ(a.size(), f.size());
  // Two fp32 builds may time different (equally exact) convolution tactics, so "fp32" means within float
  // rounding (1e-5 of the peak); bf16 kernels must stay close in direction.
  for (size_t k = 0; k < a.size(); ++k) {
    double dot = 0, na = 0, nf = 0, diff = 0, peak = 1e-12;
    for (int64_t i = 0; i < a[k].numel(); ++i) {
      const double x = a[k].data<float>()[i], y = f[k].data<float>()[i];
      dot += x * y;
      na += x * x;
      nf += y * y;
      diff = std::max(diff, std::fabs(x - y));
      peak = std::max(peak, std::fabs(y));
    }
    EXPECT_GT(dot / std::sqrt(na * nf + 1e-30), 0.999) << "output " << k;
    if (bf16_kernels == 0) {
      EXPECT_LT(diff / peak, 1e-5) << "output " << k;
    }
  }
  if (onednn_native_bf16()) {
    EXPECT_EQ(backbone->precision, Precision::kBf16);
    EXPECT_NE(notes.find("may multiply in bf16"), std::string::npos) << notes;
    EXPECT_NE(notes.find(std::to_string(bf16_kernels) + " of the "), std::string::npos) << notes;
  } else {
    EXPECT_EQ(backbone->precision, Precision::kFp32);
    EXPECT_NE(notes.find("bf16 runs as fp32"), std::string::npos) << notes;
    EXPECT_EQ(bf16_kernels, 0);
  }
}

// The webinar's deployment (backbone bf16, heads int8) saved and loaded: the same kernels, tactics and (where the
// build kept them) bf16 tensors between the backbone's layers and int8 maps between the heads' convolutions, and
// bit-identical outputs.
TEST(Bf16Deployment, SavedBf16Int8EngineRunsIdentically) {
  auto g = imported();
  auto calib = Calibrator::create(*g, kShapes, 1);
  ASSERT_TRUE(calib.is_ok()) << calib.status().to_string();
  for (float phase : {0.0f, 1.0f}) ASSERT_TRUE((*calib)->add({image(phase)}).is_ok());
  auto cache = (*calib)->cache(CalibrationMethod::kEntropy);
  ASSERT_TRUE(cache.is_ok()) << cache.status().to_string();
  Plan plan = heads(*g, Precision::kInt8);
  for (StageSpec& s : plan.stages)
    if (s.name == "backbone") s.precision = Precision::kBf16;
  auto built = deploy(*g, plan, cache->scales);
  const std::string path = ::testing::TempDir() + "/mtnet_bf16_int8.tdm";
  ASSERT_TRUE(save_deployment(*built, path, "mtnet_b0_op17_dynamic.onnx").is_ok());
  auto loaded = load_deployment(path);
  ASSERT_TRUE(loaded.is_ok()) << loaded.status().to_string();
  ASSERT_EQ((*loaded)->stages().size(), built->stages().size());
  for (size_t k = 0; k < built->stages().size(); ++k) {
    const auto& a = built->stages()[k].engine->steps();
    const auto& b = (*loaded)->stages()[k].engine->steps();
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].impl, b[i].impl) << a[i].node_name;
      EXPECT_EQ(a[i].tactic, b[i].tactic) << a[i].node_name;
    }
  }
  Tensor in = image(0.3f);
  std::vector<Tensor> x = run_once(*built, in), y = run_once(**loaded, in);
  ASSERT_EQ(x.size(), y.size());
  for (size_t o = 0; o < x.size(); ++o)
    EXPECT_EQ(std::memcmp(x[o].raw(), y[o].raw(), x[o].nbytes()), 0) << "output " << o;
}

}  // namespace
}  // namespace tandem
