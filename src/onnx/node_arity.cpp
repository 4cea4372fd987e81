// Node arity from ONNX's own operator schemas (libonnx's registry: the same tables onnx.checker uses).
#include "onnx/node_arity.h"

#include <onnx/defs/schema.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <climits>

namespace tandem {

Status check_node_arity(const onnx::NodeProto& node, const std::string& domain, int64_t opset,
                        const std::string& where) {
  if (!domain.empty()) return Status::ok();
  const int version = static_cast<int>(std::clamp<int64_t>(opset, 1, INT_MAX));
  const onnx::OpSchema* schema = onnx::OpSchemaRegistry::Schema(node.op_type(), version, onnx::ONNX_DOMAIN);
  if (!schema) return Status::ok();
  const int inputs = node.input_size(), outputs = node.output_size();
  TANDEM_CHECK_OR_RETURN(inputs >= schema->min_input() && inputs <= schema->max_input(), kInvalidModel,
                         "%s has %d input(s); %s of opset %d takes %d to %d", where.c_str(), inputs,
                         node.op_type().c_str(), schema->since_version(), schema->min_input(), schema->max_input());
  TANDEM_CHECK_OR_RETURN(outputs >= schema->min_output() && outputs <= schema->max_output(), kInvalidModel,
                         "%s has %d output(s); %s of opset %d gives %d to %d", where.c_str(), outputs,
                         node.op_type().c_str(), schema->since_version(), schema->min_output(),
                         schema->max_output());
  // A port that is not optional may not be left out with an empty name (nor may any variadic one).
  auto check_named = [&](const auto& names, const std::vector<onnx::OpSchema::FormalParameter>& formal,
                         const char* what) -> Status {
    for (int i = 0; i < names.size(); ++i) {
      if (!names.Get(i).empty() || formal.empty()) continue;
      const auto& param = formal[static_cast<size_t>(std::min<int>(i, static_cast<int>(formal.size()) - 1))];
      TANDEM_CHECK_OR_RETURN(param.GetOption() == onnx::OpSchema::Optional, kInvalidModel,
                             "%s leaves out %s %d ('%s'), which %s requires", where.c_str(), what, i,
                             param.GetName().c_str(), node.op_type().c_str());
    }
    return Status::ok();
  };
  TANDEM_RETURN_IF_ERROR(check_named(node.input(), schema->inputs(), "input"));
  return check_named(node.output(), schema->outputs(), "output");
}

}  // namespace tandem
