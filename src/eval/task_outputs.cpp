// Locating and checking the segmentation and depth outputs.
#include "eval/task_outputs.h"

#include "eval/cityscapes_classes.h"

namespace tandem {
namespace {

std::string joined(const std::vector<std::string>& names) {
  if (names.empty()) return "none";
  std::string s;
  for (const std::string& n : names) s += (s.empty() ? "'" : ", '") + n + "'";
  return s;
}

Status check_float_4d(const Tensor& t, const char* name, int64_t channels) {
  TANDEM_CHECK_OR_RETURN(t.dtype() == DType::kFloat32, kInvalidModel, "output '%s' is %s, expected float32", name,
                         dtype_name(t.dtype()));
  bool ok = t.rank() == 4 && t.dim(0) == 1 && t.dim(1) == channels && t.dim(2) > 0 && t.dim(3) > 0;
  TANDEM_CHECK_OR_RETURN(ok, kInvalidModel, "output '%s' has shape %s, expected [1,%lld,H,W]", name,
                         shape_to_string(t.shape()).c_str(), static_cast<long long>(channels));
  return Status::ok();
}

}  // namespace

Result<TaskOutputIndex> find_task_outputs(const std::vector<std::string>& output_names) {
  constexpr size_t kNone = static_cast<size_t>(-1);
  TaskOutputIndex index{kNone, kNone};
  for (size_t i = 0; i < output_names.size(); ++i) {
    if (output_names[i] == kSegLogitsName) index.seg_logits = i;
    if (output_names[i] == kDepthName) index.depth = i;
  }
  TANDEM_CHECK_OR_RETURN(index.seg_logits != kNone && index.depth != kNone, kInvalidModel,
                         "the model needs outputs '%s' and '%s'; it has %s", kSegLogitsName, kDepthName,
                         joined(output_names).c_str());
  return index;
}

Result<TaskOutputs> pick_task_outputs(std::vector<Tensor> outputs, const TaskOutputIndex& index) {
  TANDEM_CHECK_OR_RETURN(index.seg_logits < outputs.size() && index.depth < outputs.size(), kInternal,
                         "the model returned %zu outputs, fewer than it declares", outputs.size());
  return TaskOutputs{std::move(outputs[index.seg_logits]), std::move(outputs[index.depth])};
}

Status validate_task_outputs(const TaskOutputs& outputs) {
  TANDEM_RETURN_IF_ERROR(check_float_4d(outputs.seg_logits, kSegLogitsName, kNumCityscapesClasses));
  return check_float_4d(outputs.depth, kDepthName, 1);
}

}  // namespace tandem
