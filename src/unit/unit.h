// A compute unit, in the shape of ggml's backend device: it says which nodes it can run in which precision,
// compiles a stage's graph into an engine, and makes the streams work runs on. CPU core groups implement it
// today (backends/cpu/cpu_unit.h); a CUDA or DLA unit implements the same interface.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "plan/plan.h"
#include "unit/engine.h"
#include "unit/stream.h"

namespace tandem {

struct CompileOptions {
  Precision precision = Precision::kFp32;
  bool optimize = true;  // run the fusion passes on the stage graph
  // int8: calibrated activation scales (amax / 127) by tensor name, and the plan's per-layer overrides
  // (node names or op types) that stay in float.
  const std::map<std::string, float>* scales = nullptr;
  std::vector<std::string> keep_float;
};

// A compiled stage: the engine, and the graph it runs (after the unit's own rewrites), which is what a saved
// engine stores so that loading skips the rewrites and the tactic search.
struct CompiledStage {
  std::unique_ptr<Engine> engine;
  std::unique_ptr<Graph> graph;
  Precision precision = Precision::kFp32;  // what it runs in (a unit may fall back, and says so in `notes`)
  std::vector<std::string> notes;          // e.g. nodes left in float and why
};

class Unit {
 public:
  virtual ~Unit() = default;
  virtual const UnitSpec& spec() const = 0;
  virtual bool supports(const Node& node, Precision precision) const = 0;
  // `graph` is a specialised stage graph; the engine keeps what it needs.
  virtual Result<CompiledStage> compile(const Graph& graph, const CompileOptions& options) const = 0;
  // Rebuilds an engine from a CompiledStage's graph and the tactics its engine chose (StepInfo::tactic, by
  // node name): no rewrites, no timing.
  virtual Result<std::unique_ptr<Engine>> instantiate(const Graph& compiled_graph, Precision precision,
                                                      const std::map<std::string, std::string>& tactics) const = 0;
  virtual std::unique_ptr<Stream> create_stream(const std::string& name) const = 0;
};

}  // namespace tandem
