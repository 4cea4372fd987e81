// A deployment: one model cut by a plan into stages, each compiled for its compute unit (build time). The
// Pipeline (pipeline.h) runs it; `tandem build` saves it.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "plan/partition.h"
#include "plan/plan.h"
#include "unit/engine.h"
#include "unit/unit.h"

namespace tandem {

struct DeploymentOptions {
  // Concrete shapes for model inputs with dynamic dims (by name); others keep their declared shape.
  std::map<std::string, Shape> input_shapes;
  bool optimize = true;
  // Calibrated activation scales (amax / 127) by tensor name, for int8 stages (a calibration cache).
  std::map<std::string, float> scales;
};

struct DeployedStage {
  std::string name;
  std::string plan_stage;
  int unit = 0;  // index into Deployment::units()
  Precision precision = Precision::kFp32;
  std::unique_ptr<Engine> engine;
  std::shared_ptr<const Graph> graph;  // what the engine runs (saved by save_deployment)
  std::vector<int> inputs, outputs;    // indices into Deployment::tensors(), in engine port order
  std::vector<std::string> fallback_nodes;
  std::vector<std::string> notes;  // what the unit reported while compiling (precision fallbacks, float nodes)
};

class Deployment {
 public:
  static Result<std::unique_ptr<Deployment>> build(const std::string& model_path, const Plan& plan,
                                                   const DeploymentOptions& options);
  // From an imported (not yet specialised) graph, e.g. ModelSession::graph().
  static Result<std::unique_ptr<Deployment>> build(const Graph& imported, const Plan& plan,
                                                   const DeploymentOptions& options);

  // From parts already built: stages with their engines, and the tensors they exchange (how saved engines
  // are loaded, and how tests run the pipeline on engines of their own).
  static std::unique_ptr<Deployment> assemble(Plan plan, std::vector<std::unique_ptr<Unit>> units,
                                              std::vector<DeployedStage> stages, std::vector<BoundaryTensor> tensors,
                                              std::vector<int> model_inputs, std::vector<int> model_outputs);

  const Plan& plan() const { return plan_; }
  const std::vector<std::unique_ptr<Unit>>& units() const { return units_; }
  const std::vector<DeployedStage>& stages() const { return stages_; }
  std::vector<DeployedStage>& stages() { return stages_; }
  // Model inputs, boundary tensors and model outputs (see BoundaryTensor).
  const std::vector<BoundaryTensor>& tensors() const { return tensors_; }
  const std::vector<int>& model_inputs() const { return model_inputs_; }
  const std::vector<int>& model_outputs() const { return model_outputs_; }
  double build_seconds() const { return build_seconds_; }

 private:
  Deployment() = default;
  // build() runs this on a thread of its own (runtime/build_thread.h says why).
  static Result<std::unique_ptr<Deployment>> build_here(const Graph& imported, const Plan& plan,
                                                        const DeploymentOptions& options);
  Plan plan_;
  std::vector<std::unique_ptr<Unit>> units_;
  std::vector<DeployedStage> stages_;
  std::vector<BoundaryTensor> tensors_;
  std::vector<int> model_inputs_, model_outputs_;
  double build_seconds_ = 0;
};

// The units a plan describes, as objects (CPU core groups today). An error for kinds this build lacks.
Result<std::vector<std::unique_ptr<Unit>>> make_units(const Plan& plan);

// A copy of an imported graph specialised to `input_shapes` (the graph every plan of it is cut from).
Result<std::unique_ptr<Graph>> specialized_copy(const Graph& imported, const std::map<std::string, Shape>& input_shapes);

// Saves a built deployment as a .tdm engine file (format version, checksum; see engine_file.cpp), and loads
// one without import, passes or tactic search. A corrupt, truncated or other-version file is an error that
// names the file and what is wrong.
Status save_deployment(const Deployment& deployment, const std::string& path, const std::string& source_model);
Result<std::unique_ptr<Deployment>> load_deployment(const std::string& path);
// True when `path` names an engine file (by its magic bytes), so commands take models and engines alike.
bool is_engine_file(const std::string& path);

// The cores this process may run on (its affinity mask), for plans and their validation.
std::vector<int> available_cores();
// The plan `tandem run` and `tandem bench` use without --plan: the whole model as one stage on one unit.
Plan single_unit_plan(const std::vector<std::string>& model_outputs, const std::vector<int>& cores, int in_flight);

}  // namespace tandem
