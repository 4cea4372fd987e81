// The two outputs of a multi-task model that evaluation reads, found among the model's outputs by name.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"

namespace tandem {

inline constexpr const char* kSegLogitsName = "seg_logits";
inline constexpr const char* kDepthName = "depth";

struct TaskOutputs {
  Tensor seg_logits;  // float32 [1, 19, h, w], class logits (h, w: any size, typically 1/4 of the input)
  Tensor depth;       // float32 [1, 1, H, W], metres
};

struct TaskOutputIndex {
  size_t seg_logits = 0, depth = 0;  // positions in the model's output list
};

// Finds `seg_logits` and `depth` among a model's output names; the error lists the outputs it has instead.
Result<TaskOutputIndex> find_task_outputs(const std::vector<std::string>& output_names);
// Takes them out of a model's outputs (in the model's output order).
Result<TaskOutputs> pick_task_outputs(std::vector<Tensor> outputs, const TaskOutputIndex& index);
// Checks dtypes and shapes: seg_logits float32 [1,19,h,w], depth float32 [1,1,H,W], all dims positive.
Status validate_task_outputs(const TaskOutputs& outputs);

}  // namespace tandem
