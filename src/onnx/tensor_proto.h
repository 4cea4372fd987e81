// Reading ONNX TensorProto into Tandem tensors (initializers, node-test .pb files).
#pragma once

#include <string>

#include "core/status.h"
#include "core/tensor.h"

namespace onnx {
class TensorProto;
}

namespace tandem {

// `base_dir` resolves external data files; `where` names the tensor in errors ("initializer 'conv.weight'").
Result<Tensor> tensor_from_proto(const onnx::TensorProto& proto, const std::string& base_dir, const std::string& where);

// Reads a serialized TensorProto file (ONNX node tests' input_N.pb / output_N.pb).
Result<Tensor> load_tensor_pb(const std::string& path);

}  // namespace tandem
