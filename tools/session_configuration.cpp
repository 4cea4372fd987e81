// Adapting ModelSession::run (all outputs, in model order) to a Configuration (the two task outputs).
#include "session_configuration.h"

#include <map>
#include <memory>
#include <vector>

#include "cli_deployment.h"
#include "eval/task_outputs.h"
#include "runtime/deployment.h"
#include "runtime/pipeline.h"
#include "runtime/model_session.h"

namespace tandem::cli {
namespace {

Status check_image_input(const std::vector<TensorInfo>& inputs) {
  std::string have;
  for (const TensorInfo& p : inputs) have += (have.empty() ? "'" : ", '") + p.name + "' " + shape_to_string(p.shape);
  bool ok = inputs.size() == 1 && inputs[0].shape.size() == 4 && (inputs[0].shape[1] == 3 || inputs[0].shape[1] < 0);
  TANDEM_CHECK_OR_RETURN(ok, kInvalidModel, "expected one image input [N,3,H,W]; the model has %s",
                         have.empty() ? "no inputs" : have.c_str());
  return Status::ok();
}

// A saved engine: its pipeline run one frame at a time (submit, then receive), at the shape it was built for.
Result<Configuration> engine_configuration(const std::string& path) {
  TANDEM_ASSIGN_OR_RETURN(std::unique_ptr<Deployment> loaded, load_deployment(path));
  std::shared_ptr<Deployment> deployment = std::move(loaded);
  const std::string context = "engine '" + path + "'";
  std::vector<TensorInfo> inputs;
  for (int i : deployment->model_inputs()) {
    const BoundaryTensor& t = deployment->tensors()[static_cast<size_t>(i)];
    inputs.push_back({t.name, t.dtype, t.shape, {}});
  }
  TANDEM_RETURN_IF_ERROR_CTX(check_image_input(inputs), context);
  std::vector<std::string> names;
  for (int i : deployment->model_outputs()) names.push_back(deployment->tensors()[static_cast<size_t>(i)].name);
  Result<TaskOutputIndex> found = find_task_outputs(names);
  if (!found.is_ok()) return found.status().with_context(context);
  TANDEM_ASSIGN_OR_RETURN(std::unique_ptr<Pipeline> created, Pipeline::create(*deployment, {}));
  std::shared_ptr<Pipeline> pipeline = std::move(created);
  const Shape input_shape = inputs[0].shape;
  return Configuration([deployment, pipeline, index = found.value(), input_shape, context](const Tensor& image)
                           -> Result<TaskOutputs> {
    TANDEM_CHECK_OR_RETURN(image.shape() == input_shape, kInvalidArgument,
                           "%s was built for input %s, got %s (use --shape or rebuild it)", context.c_str(),
                           shape_to_string(input_shape).c_str(), shape_to_string(image.shape()).c_str());
    std::vector<Tensor> outputs;
    for (int i : deployment->model_outputs()) {
      const BoundaryTensor& t = deployment->tensors()[static_cast<size_t>(i)];
      outputs.push_back(Tensor::make(t.dtype, t.shape));
    }
    std::vector<Tensor> in{image};
    TANDEM_RETURN_IF_ERROR(pipeline->submit(in).status());
    TANDEM_RETURN_IF_ERROR(pipeline->receive(outputs).status());
    return pick_task_outputs(std::move(outputs), index);
  });
}

}  // namespace

Result<Configuration> session_configuration(const std::string& model_path, int threads) {
  if (is_engine_file(model_path)) return engine_configuration(model_path);
  ModelSessionOptions options;
  options.threads = threads;
  Result<std::unique_ptr<ModelSession>> loaded = ModelSession::load(model_path, options);
  if (!loaded.is_ok()) return loaded.status();
  std::shared_ptr<ModelSession> session = std::move(loaded).value();
  const std::string context = "model '" + model_path + "'";
  TANDEM_RETURN_IF_ERROR_CTX(check_image_input(session->inputs()), context);
  std::vector<std::string> names;
  for (const TensorInfo& p : session->outputs()) names.push_back(p.name);
  Result<TaskOutputIndex> found = find_task_outputs(names);
  if (!found.is_ok()) return found.status().with_context(context);
  return Configuration([session, index = found.value()](const Tensor& image) -> Result<TaskOutputs> {
    TANDEM_ASSIGN_OR_RETURN(std::vector<Tensor> outputs, session->run({image}));
    return pick_task_outputs(std::move(outputs), index);
  });
}

Result<std::unique_ptr<Deployment>> load_or_build_deployment(const std::string& model_path, int threads, int height,
                                                             int width) {
  if (is_engine_file(model_path)) return load_deployment(model_path);
  TANDEM_ASSIGN_OR_RETURN(std::unique_ptr<ModelSession> session, ModelSession::load(model_path, ModelSessionOptions{}));
  const std::string context = "model '" + model_path + "'";
  TANDEM_RETURN_IF_ERROR_CTX(check_image_input(session->inputs()), context);
  std::map<std::string, Shape> shapes{{session->inputs()[0].name, Shape{1, 3, height, width}}};
  DeploymentFlags flags;
  flags.threads = threads;
  Result<std::unique_ptr<Deployment>> built = deployment_from_flags(*session, shapes, flags);
  if (!built.is_ok()) return built.status().with_context(context);
  return built;
}

}  // namespace tandem::cli
