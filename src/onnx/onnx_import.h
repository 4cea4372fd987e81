// Imports an ONNX model file into Tandem's graph IR.
#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "ir/graph.h"

namespace tandem {

// Errors name the file and, where it applies, the node, op type and tensor.
Result<std::unique_ptr<Graph>> import_onnx_file(const std::string& path);
// `base_dir` resolves external-data files (empty: a model from memory, where external data is an error); `where`
// names the source in errors.
Result<std::unique_ptr<Graph>> import_onnx_bytes(const std::string& bytes, const std::string& base_dir,
                                                 const std::string& where);

}  // namespace tandem
