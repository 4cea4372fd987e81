// Tandem's public entry point for running one model on the CPU: load, specialise to input shapes, run.
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

struct SessionOptions {
  int threads = 1;
  bool optimize = true;  // run the fusion passes
  // Graph inputs bound to fixed values at build time (they fold away).
  std::map<std::string, Tensor> constant_inputs;
};

// Input/output as declared by the model (dims may be -1 = dynamic).
struct PortInfo {
  std::string name;
  DType dtype = DType::kUndefined;
  Shape shape;
  std::vector<std::string> dim_names;
};

class Session {
 public:
  ~Session();
  static Result<std::unique_ptr<Session>> load(const std::string& model_path, const SessionOptions& options);

  const std::vector<PortInfo>& inputs() const { return inputs_; }
  const std::vector<PortInfo>& outputs() const { return outputs_; }
  const Graph& graph() const { return *graph_; }

  // Builds (or reuses) the engine for these input shapes; inputs not named keep their declared shape.
  Result<CpuEngine*> engine_for(const std::map<std::string, Shape>& input_shapes);
  // Runs on `inputs` (model input order, shapes decide the engine); returns owning outputs.
  Result<std::vector<Tensor>> run(const std::vector<Tensor>& inputs);

 private:
  Session() = default;
  SessionOptions options_;
  std::unique_ptr<Graph> graph_;
  std::vector<PortInfo> inputs_, outputs_;
  std::map<std::string, std::unique_ptr<CpuEngine>> engines_;  // keyed by the input shapes
};

}  // namespace tandem
