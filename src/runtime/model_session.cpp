// ModelSession: import once, then one specialised, optimised CPU engine per distinct set of input shapes.
#include "runtime/model_session.h"

#include <omp.h>

#include "backends/cpu/cpu_engine.h"
#include "ir/graph.h"
#include "onnx/onnx_import.h"
#include "passes/optimize.h"
#include "passes/specialize.h"

namespace tandem {

ModelSession::~ModelSession() = default;

Result<std::unique_ptr<ModelSession>> ModelSession::load(const std::string& model_path,
                                                         const ModelSessionOptions& options) {
  TANDEM_ASSIGN_OR_RETURN(std::unique_ptr<Graph> graph, import_onnx_file(model_path));
  return from_graph(std::move(graph), "'" + model_path + "'", options);
}

Result<std::unique_ptr<ModelSession>> ModelSession::load_bytes(const std::string& model_bytes, const std::string& where,
                                                               const ModelSessionOptions& options) {
  // No folder: an empty base directory makes any external-data reference an error (it must lie inside it).
  TANDEM_ASSIGN_OR_RETURN(std::unique_ptr<Graph> graph, import_onnx_bytes(model_bytes, "", where));
  return from_graph(std::move(graph), where, options);
}

Result<std::unique_ptr<ModelSession>> ModelSession::from_graph(std::unique_ptr<Graph> graph, const std::string& where,
                                                               const ModelSessionOptions& options) {
  auto session = std::unique_ptr<ModelSession>(new ModelSession());
  session->options_ = options;
  session->graph_ = std::move(graph);
  TANDEM_RETURN_IF_ERROR_CTX(check_ops_supported(*session->graph_), where);
  for (Value* v : session->graph_->inputs) {
    if (options.constant_inputs.count(v->name)) continue;
    session->inputs_.push_back({v->name, v->dtype, v->shape, v->dim_names});
  }
  for (Value* v : session->graph_->outputs) session->outputs_.push_back({v->name, v->dtype, v->shape, v->dim_names});
  return session;
}

Result<CpuEngine*> ModelSession::engine_for(const std::map<std::string, Shape>& input_shapes) {
  std::string key;
  for (const auto& [name, shape] : input_shapes) key += name + shape_to_string(shape) + ";";
  auto it = engines_.find(key);
  if (it != engines_.end()) return it->second.get();
  // Build-time work (constant folding, the passes' evaluations, tactic timing) keeps to the thread budget too.
  omp_set_num_threads(options_.threads);
  std::unique_ptr<Graph> g = graph_->clone();
  SpecializeOptions spec;
  spec.input_shapes = input_shapes;
  spec.input_values = options_.constant_inputs;
  TANDEM_RETURN_IF_ERROR(specialize(*g, spec));
  if (options_.optimize) TANDEM_RETURN_IF_ERROR(optimize(*g));
  CpuEngineOptions eo;
  eo.threads = options_.threads;
  TANDEM_ASSIGN_OR_RETURN(std::unique_ptr<CpuEngine> engine, CpuEngine::build(*g, eo));
  CpuEngine* raw = engine.get();
  engines_[key] = std::move(engine);
  return raw;
}

Result<std::vector<Tensor>> ModelSession::run(const std::vector<Tensor>& inputs) {
  TANDEM_CHECK_OR_RETURN(inputs.size() == inputs_.size(), kInvalidArgument, "the model has %zu inputs, got %zu",
                         inputs_.size(), inputs.size());
  std::map<std::string, Shape> shapes;
  for (size_t i = 0; i < inputs.size(); ++i) {
    TANDEM_CHECK_OR_RETURN(inputs_[i].dtype == DType::kUndefined || inputs[i].dtype() == inputs_[i].dtype,
                           kInvalidArgument, "input '%s' expects %s, got %s", inputs_[i].name.c_str(),
                           dtype_name(inputs_[i].dtype), dtype_name(inputs[i].dtype()));
    shapes[inputs_[i].name] = inputs[i].shape();
  }
  TANDEM_ASSIGN_OR_RETURN(CpuEngine * engine, engine_for(shapes));
  std::vector<Tensor> outs;
  for (const TensorDesc& d : engine->outputs()) outs.push_back(Tensor::make(d.dtype, d.shape));
  TANDEM_RETURN_IF_ERROR(engine->run(inputs, outs));
  return outs;
}

}  // namespace tandem
