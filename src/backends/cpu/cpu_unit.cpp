// CpuUnit: capability, compilation (fusions + CpuEngine) and pinned worker streams.
#include "backends/cpu/cpu_unit.h"

#include <omp.h>
#include <pthread.h>
#include <sched.h>

#include <cstring>
#include <set>
#include <string>

#include "backends/cpu/bf16_dataflow_choice.h"
#include "backends/cpu/cpu_engine.h"
#include "backends/cpu/onednn_common.h"
#include "ops/op_registry.h"
#include "passes/optimize.h"
#include "unit/thread_stream.h"

namespace tandem {

Status pin_current_thread(const std::vector<int>& cores) {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::string list;
  for (int c : cores) {
    TANDEM_CHECK_OR_RETURN(c >= 0 && c < CPU_SETSIZE, kInvalidArgument, "core %d is not a CPU number (0..%d)", c,
                           CPU_SETSIZE - 1);
    CPU_SET(c, &set);
    list += (list.empty() ? "" : ",") + std::to_string(c);
  }
  const int err = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
  TANDEM_CHECK_OR_RETURN(err == 0, kInvalidArgument, "cannot pin a thread to cores %s: %s", list.c_str(),
                         std::strerror(err));
  omp_set_num_threads(static_cast<int>(cores.size()));
  return Status::ok();
}

std::vector<int> current_thread_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cores;
  if (pthread_getaffinity_np(pthread_self(), sizeof(set), &set) != 0) return cores;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &set)) cores.push_back(c);
  return cores;
}

bool CpuUnit::supports(const Node& node, Precision precision) const {
  (void)precision;  // every precision compiles (int8 where calibrated, float otherwise)
  return OpRegistry::global().find(node.domain, node.op_type) != nullptr;
}

bool CpuUnit::native_bf16() { return onednn_native_bf16(); }

namespace {
// What a stage asked for and what this CPU can do: fp32 and int8 always; bf16 where oneDNN has native bf16
// arithmetic (AVX-512 BF16, AMX): emulated, it would be slower than fp32 and no more accurate, so elsewhere it
// falls back to fp32 with a note, as fp16 always does (oneDNN 2.6 has no fp16 CPU convolutions).
Result<Precision> effective_precision(const UnitSpec& spec, Precision asked, std::vector<std::string>& notes) {
  if (asked == Precision::kFp32 || asked == Precision::kInt8) return asked;
  if (asked == Precision::kBf16 && onednn_native_bf16()) return asked;
  notes.push_back(format("unit '%s': %s runs as fp32: this CPU has no native %s arithmetic for oneDNN (needs "
                         "AVX-512 BF16/FP16)", spec.name.c_str(), precision_name(asked), precision_name(asked)));
  return Precision::kFp32;
}
}  // namespace

Result<CompiledStage> CpuUnit::compile(const Graph& graph, const CompileOptions& options) const {
  CompiledStage out;
  TANDEM_ASSIGN_OR_RETURN(out.precision, effective_precision(spec_, options.precision, out.notes));
  out.graph = graph.clone();
  CpuEngineOptions eo;
  eo.threads = static_cast<int>(spec_.cores.size());
  omp_set_num_threads(eo.threads);  // the passes' build-time evaluations and tactic timing use the unit's size
  if (options.optimize) TANDEM_RETURN_IF_ERROR(optimize(*out.graph));
  if (out.precision == Precision::kInt8) {
    // A model with its own Q/DQ nodes carries its scales (optimize() lowered them, as TensorRT's explicit
    // quantization needs no calibrator); any other int8 stage without scales would silently stay float.
    bool explicit_qdq = false;
    for (const Node* n : graph.live_nodes()) explicit_qdq |= n->op_type == "DequantizeLinear";
    TANDEM_CHECK_OR_RETURN(options.scales || explicit_qdq, kInvalidArgument,
                           "unit '%s': an int8 stage needs calibration scales (a --calib-cache from tandem calibrate)",
                           spec_.name.c_str());
    Int8Options q;
    if (options.scales) q.scales = *options.scales;
    q.keep_float.insert(options.keep_float.begin(), options.keep_float.end());
    std::vector<std::string> report;
    TANDEM_RETURN_IF_ERROR(quantize_int8(*out.graph, q, &report));
    out.notes.insert(out.notes.end(), report.begin(), report.end());
  }
  if (out.precision == Precision::kBf16) {
    std::vector<std::string> report;
    const std::set<std::string> keep(options.keep_float.begin(), options.keep_float.end());
    TANDEM_RETURN_IF_ERROR(mark_bf16(*out.graph, keep, &report));
    for (const std::string& line : report) out.notes.push_back(format("unit '%s': %s", spec_.name.c_str(), line.c_str()));
  }
  out.graph->compact();
  TANDEM_ASSIGN_OR_RETURN(out.engine, CpuEngine::build(*out.graph, eo));
  if (out.precision == Precision::kBf16) {
    // Then the same stage with bf16 tensors between its bf16 layers, kept if faster (the count below is the kept
    // build's).
    TANDEM_RETURN_IF_ERROR(choose_bf16_dataflow(out, eo));
    // bf16 is allowed, not imposed: each marked node's timed tactic search kept whichever of fp32 and bf16 was
    // faster here, so say how that came out.
    int bf16_kernels = 0;
    std::set<std::string> marked;
    for (const Node* n : out.graph->live_nodes())
      if (bf16_compute(*n)) marked.insert(n->name);
    for (const StepInfo& step : out.engine->steps())
      bf16_kernels += marked.count(step.node_name) && step.impl.find("+bf16") != std::string::npos;
    out.notes.push_back(format("unit '%s': %d of the %d marked node(s) run bf16 kernels; %d ran faster in fp32 here",
                               spec_.name.c_str(), bf16_kernels, static_cast<int>(marked.size()),
                               static_cast<int>(marked.size()) - bf16_kernels));
  }
  return out;
}

Result<std::unique_ptr<Engine>> CpuUnit::instantiate(const Graph& compiled_graph, Precision precision,
                                                     const std::map<std::string, std::string>& tactics) const {
  (void)precision;  // the compiled graph already holds its int8 nodes
  CpuEngineOptions eo;
  eo.threads = static_cast<int>(spec_.cores.size());
  eo.tactics = tactics;
  omp_set_num_threads(eo.threads);
  TANDEM_ASSIGN_OR_RETURN(std::unique_ptr<Engine> engine, CpuEngine::build(compiled_graph, eo));
  return engine;
}

std::unique_ptr<Stream> CpuUnit::create_stream(const std::string& name) const {
  std::vector<int> cores = spec_.cores;
  return std::make_unique<ThreadStream>(name, [cores] { return pin_current_thread(cores); });
}

}  // namespace tandem
