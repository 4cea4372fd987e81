// NumPy .npy files (format 1.0/2.0, little-endian, C order) to and from tensors.
#pragma once

#include <string>

#include "core/status.h"
#include "core/tensor.h"

namespace tandem {

Result<Tensor> load_npy(const std::string& path);
Status save_npy(const Tensor& tensor, const std::string& path);

}  // namespace tandem
