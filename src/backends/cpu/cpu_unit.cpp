// CpuUnit: capability, compilation (fusions + CpuEngine) and pinned worker streams.
#include "backends/cpu/cpu_unit.h"

#include <omp.h>
#include <pthread.h>
#include <sched.h>

#include "backends/cpu/cpu_engine.h"
#include "ops/op_registry.h"
#include "passes/optimize.h"
#include "unit/thread_stream.h"

namespace tandem {

bool pin_current_thread(const std::vector<int>& cores) {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int c : cores) CPU_SET(c, &set);
  bool ok = pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0;
  omp_set_num_threads(static_cast<int>(cores.size()));
  return ok;
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
  return precision == Precision::kFp32 && OpRegistry::global().find(node.domain, node.op_type) != nullptr;
}

namespace {
Status check_precision(const UnitSpec& spec, Precision precision) {
  TANDEM_CHECK_OR_RETURN(precision == Precision::kFp32, kUnsupported,
                         "unit '%s': precision %s is not supported on CPU units yet (fp32 only)", spec.name.c_str(),
                         precision_name(precision));
  return Status::ok();
}
}  // namespace

Result<CompiledStage> CpuUnit::compile(const Graph& graph, const CompileOptions& options) const {
  TANDEM_RETURN_IF_ERROR(check_precision(spec_, options.precision));
  CompiledStage out;
  out.graph = graph.clone();
  CpuEngineOptions eo;
  eo.threads = static_cast<int>(spec_.cores.size());
  omp_set_num_threads(eo.threads);  // the passes' build-time evaluations and tactic timing use the unit's size
  if (options.optimize) TANDEM_RETURN_IF_ERROR(optimize(*out.graph));
  out.graph->compact();
  TANDEM_ASSIGN_OR_RETURN(out.engine, CpuEngine::build(*out.graph, eo));
  return out;
}

Result<std::unique_ptr<Engine>> CpuUnit::instantiate(const Graph& compiled_graph, Precision precision,
                                                     const std::map<std::string, std::string>& tactics) const {
  TANDEM_RETURN_IF_ERROR(check_precision(spec_, precision));
  CpuEngineOptions eo;
  eo.threads = static_cast<int>(spec_.cores.size());
  eo.tactics = tactics;
  omp_set_num_threads(eo.threads);
  TANDEM_ASSIGN_OR_RETURN(std::unique_ptr<Engine> engine, CpuEngine::build(compiled_graph, eo));
  return engine;
}

std::unique_ptr<Stream> CpuUnit::create_stream(const std::string& name) const {
  std::vector<int> cores = spec_.cores;
  return std::make_unique<ThreadStream>(name, [cores] { pin_current_thread(cores); });
}

}  // namespace tandem
