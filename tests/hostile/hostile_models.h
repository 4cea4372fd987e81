// ONNX models for the hostile-input suite, written in code with the onnx protobuf classes.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace hostile {

using Dims = std::vector<int64_t>;

inline constexpr int64_t kTwoTo31 = int64_t{1} << 31;
inline constexpr int64_t kTwoTo40 = int64_t{1} << 40;
inline constexpr int64_t kTwoTo62 = int64_t{1} << 62;

// A graph built node by node: inputs (a negative dim is symbolic), initializers, nodes, outputs.
class ModelBuilder {
 public:
  explicit ModelBuilder(int64_t opset = 17);

  ModelBuilder& input(const std::string& name, const Dims& dims, int elem_type = onnx::TensorProto::FLOAT);
  ModelBuilder& output(const std::string& name, int elem_type = onnx::TensorProto::FLOAT);
  // An initializer with dims and no data; the caller fills (or does not fill) its data.
  onnx::TensorProto& initializer(const std::string& name, int elem_type, const Dims& dims);
  // A 1-D int64 initializer holding `values` (a scalar when `scalar`).
  ModelBuilder& ints(const std::string& name, const Dims& values, bool scalar = false);
  ModelBuilder& floats(const std::string& name, const std::vector<float>& values, const Dims& dims);
  // A node named after its op type in lower case, "reshape" ("reshape2" for the second one).
  onnx::NodeProto& node(const std::string& op, const std::vector<std::string>& inputs,
                        const std::vector<std::string>& outputs);

  onnx::ModelProto& model() { return model_; }
  onnx::GraphProto& graph() { return *model_.mutable_graph(); }

 private:
  onnx::ModelProto model_;
  std::map<std::string, int> op_counts_;
};

void set_attr(onnx::NodeProto& node, const std::string& name, int64_t value);
void set_attr(onnx::NodeProto& node, const std::string& name, const Dims& values);
void set_attr(onnx::NodeProto& node, const std::string& name, float value);

// x[1,3,8,8] -> Conv(W[4,3,3,3], pad 1) -> c -> Relu -> y[1,4,8,8], as in tests/cli.
ModelBuilder small_model();
// x[1,3,8,8] -> OP(x, int64 initializers named `constants` holding `values`) -> y; the node is named op.lower().
ModelBuilder one_op_model(const std::string& op, const std::vector<std::pair<std::string, Dims>>& constants = {},
                          const Dims& x_dims = {1, 3, 8, 8}, int64_t opset = 17);

// The bytes of a TensorProto/ModelProto field by field, for files protobuf's own writer would not produce.
std::string varint(uint64_t v);
std::string length_delimited(int field, const std::string& payload);

}  // namespace hostile
