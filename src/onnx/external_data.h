// ONNX external data (weights kept in files beside the model): where a tensor's bytes are, confined to the
// model's folder, so that a model from a stranger cannot read other files of the machine into its outputs.
#pragma once

#include <cstdint>
#include <string>

#include "core/regular_file.h"
#include "core/status.h"

namespace onnx {
class TensorProto;
}

namespace tandem {

struct ExternalData {
  RegularFile file;     // opened, a regular file inside the model's folder
  uint64_t offset = 0;  // where the tensor's bytes start in it
};

// Resolves `proto`'s external_data entries against `base_dir` and checks that `nbytes` (the size its shape and
// type give) lie inside the file and agree with a declared length. The location must be relative and, with
// every symbolic link followed, name a regular file under `base_dir`. An empty `base_dir` (a model read from
// memory, which has no folder) makes any external data an error.
Result<ExternalData> open_external_data(const onnx::TensorProto& proto, const std::string& base_dir,
                                        uint64_t nbytes, const std::string& where);

}  // namespace tandem
