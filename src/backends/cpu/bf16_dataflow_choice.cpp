// Whether a bf16 stage stores the tensors between its bf16 layers as bf16 (passes/bf16_dataflow.cpp): that forces
// bf16 kernels on their writers and readers, which is only a gain where those kernels are fast (AVX-512 BF16 or
// AMX, and even there not for every layer), so the stage is built both ways and timed, and the faster kept --
// what TensorRT's builder does when it times reformat-free bf16 I/O against fp32 tensors.
#include "backends/cpu/bf16_dataflow_choice.h"

#include <algorithm>
#include <chrono>
#include <set>
#include <vector>

#include "backends/cpu/onednn_common.h"
#include "passes/optimize.h"

namespace tandem {
namespace {

// Median seconds of `runs` runs of `engine` on constant inputs (after one warm-up run).
double median_run_seconds(Engine& engine, int runs) {
  std::vector<Tensor> in, out;
  for (const TensorDesc& d : engine.inputs()) {
    Tensor t = Tensor::make(d.dtype, d.shape);
    std::fill(static_cast<uint8_t*>(t.raw()), static_cast<uint8_t*>(t.raw()) + t.nbytes(), uint8_t{0});
    if (d.dtype == DType::kFloat32) std::fill(t.data<float>(), t.data<float>() + t.numel(), 0.5f);
    in.push_back(std::move(t));
  }
  for (const TensorDesc& d : engine.outputs()) out.push_back(Tensor::make(d.dtype, d.shape));
  if (!engine.run_bound(in, out).is_ok()) return 1e30;
  std::vector<double> seconds;
  for (int i = 0; i < runs; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    if (!engine.run_bound(in, out).is_ok()) return 1e30;
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::nth_element(seconds.begin(), seconds.begin() + runs / 2, seconds.end());
  return seconds[static_cast<size_t>(runs / 2)];
}

}  // namespace

Status choose_bf16_dataflow(CompiledStage& stage, const CpuEngineOptions& options) {
  if (!onednn_native_bf16()) return Status::ok();
  std::unique_ptr<Graph> graph = stage.graph->clone();
  std::set<std::string> touched;
  const int tensors = bf16_dataflow(*graph, &touched);
  if (tensors == 0) return Status::ok();
  // The nodes the pass did not touch keep the tactics the fp32-tensor build timed for them.
  CpuEngineOptions eo = options;
  for (const StepInfo& s : stage.engine->steps())
    if (!touched.count(s.node_name) && !s.tactic.empty()) eo.tactics[s.node_name] = s.tactic;
  Result<std::unique_ptr<CpuEngine>> bf16 = CpuEngine::build(*graph, eo);
  if (!bf16.is_ok()) {
    stage.notes.push_back("bf16 tensors between layers not used: " + bf16.status().to_string());
    return Status::ok();
  }
  for (const StepInfo& s : (*bf16)->steps())
    if (touched.count(s.node_name) && s.impl.find("+bf16") == std::string::npos) {
      stage.notes.push_back("bf16 tensors between layers not used: node '" + s.node_name + "' has no bf16 kernel");
      return Status::ok();
    }
  // Alternating rounds; the better median of each.
  double fp32_tensors = 1e30, bf16_tensors = 1e30;
  for (int round = 0; round < 3; ++round) {
    fp32_tensors = std::min(fp32_tensors, median_run_seconds(*stage.engine, 5));
    bf16_tensors = std::min(bf16_tensors, median_run_seconds(**bf16, 5));
  }
  const bool keep = bf16_tensors < 0.98 * fp32_tensors;
  stage.notes.push_back(format("%d tensor(s) between bf16 layers %s as bf16: the stage measured %.2f ms with them, "
                               "%.2f ms with fp32 tensors",
                               tensors, keep ? "stored" : "not stored", bf16_tensors * 1e3, fp32_tensors * 1e3));
  if (keep) {
    stage.graph = std::move(graph);
    stage.engine = std::move(bf16.value());
  }
  return Status::ok();
}

}  // namespace tandem
