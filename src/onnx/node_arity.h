// A node's inputs and outputs against its operator's ONNX schema (the count each opset allows, and the inputs
// that may not be left out), checked at import so that no op's shape inference or kernel reads an input or
// writes an output the node does not have.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"

namespace onnx {
class NodeProto;
}

namespace tandem {

// `opset`: the model's version of the node's domain. Nodes of domains or operators ONNX does not define are left
// to the operator check (which names them as unsupported).
Status check_node_arity(const onnx::NodeProto& node, const std::string& domain, int64_t opset,
                        const std::string& where);

}  // namespace tandem
