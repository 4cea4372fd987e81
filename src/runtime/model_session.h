// The runtime's model session (behind the public tandem::Session): load, specialise to input shapes, run.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"

namespace tandem {

class Graph;
class CpuEngine;
struct TensorDesc;
struct StepInfo;

struct ModelSessionOptions {
  int threads = 1;
  bool optimize = true;  // run the fusion passes
  // Graph inputs bound to fixed values at build time (they fold away).
  std::map<std::string, Tensor> constant_inputs;
};

class ModelSession {
 public:
  ~ModelSession();
  static Result<std::unique_ptr<ModelSession>> load(const std::string& model_path, const ModelSessionOptions& options);
  // From a serialised ModelProto; `where` names it in errors (it has no folder, so no external data).
  static Result<std::unique_ptr<ModelSession>> load_bytes(const std::string& model_bytes, const std::string& where,
                                                          const ModelSessionOptions& options);

  const std::vector<TensorInfo>& inputs() const { return inputs_; }
  const std::vector<TensorInfo>& outputs() const { return outputs_; }
  const Graph& graph() const { return *graph_; }

  // Builds (or reuses) the engine for these input shapes; inputs not named keep their declared shape.
  Result<CpuEngine*> engine_for(const std::map<std::string, Shape>& input_shapes);
  // Runs on `inputs` (model input order, shapes decide the engine); returns owning outputs.
  Result<std::vector<Tensor>> run(const std::vector<Tensor>& inputs);

 private:
  ModelSession() = default;
  static Result<std::unique_ptr<ModelSession>> from_graph(std::unique_ptr<Graph> graph, const std::string& where,
                                                          const ModelSessionOptions& options);
  ModelSessionOptions options_;
  std::unique_ptr<Graph> graph_;
  std::vector<TensorInfo> inputs_, outputs_;
  std::map<std::string, std::unique_ptr<CpuEngine>> engines_;  // keyed by the input shapes
};

}  // namespace tandem
