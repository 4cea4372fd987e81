// Adapting Session::run (all outputs, in model order) to a Configuration (the two task outputs).
#include "session_configuration.h"

#include <memory>
#include <vector>

#include "eval/task_outputs.h"
#include "tandem/session.h"

namespace tandem::cli {
namespace {

Status check_image_input(const std::vector<PortInfo>& inputs) {
  std::string have;
  for (const PortInfo& p : inputs) have += (have.empty() ? "'" : ", '") + p.name + "' " + shape_to_string(p.shape);
  bool ok = inputs.size() == 1 && inputs[0].shape.size() == 4 && (inputs[0].shape[1] == 3 || inputs[0].shape[1] < 0);
  TANDEM_CHECK_OR_RETURN(ok, kInvalidModel, "expected one image input [N,3,H,W]; the model has %s",
                         have.empty() ? "no inputs" : have.c_str());
  return Status::ok();
}

}  // namespace

Result<Configuration> session_configuration(const std::string& model_path, int threads) {
  SessionOptions options;
  options.threads = threads;
  Result<std::unique_ptr<Session>> loaded = Session::load(model_path, options);
  if (!loaded.is_ok()) return loaded.status();
  std::shared_ptr<Session> session = std::move(loaded).value();
  const std::string context = "model '" + model_path + "'";
  TANDEM_RETURN_IF_ERROR_CTX(check_image_input(session->inputs()), context);
  std::vector<std::string> names;
  for (const PortInfo& p : session->outputs()) names.push_back(p.name);
  Result<TaskOutputIndex> found = find_task_outputs(names);
  if (!found.is_ok()) return found.status().with_context(context);
  return Configuration([session, index = found.value()](const Tensor& image) -> Result<TaskOutputs> {
    TANDEM_ASSIGN_OR_RETURN(std::vector<Tensor> outputs, session->run({image}));
    return pick_task_outputs(std::move(outputs), index);
  });
}

}  // namespace tandem::cli
