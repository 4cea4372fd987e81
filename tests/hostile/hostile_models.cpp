// ONNX models for the hostile-input suite.
#include "hostile_models.h"

#include <algorithm>
#include <cctype>

namespace hostile {

ModelBuilder::ModelBuilder(int64_t opset) {
  model_.set_ir_version(8);
  model_.add_opset_import()->set_version(opset);
  model_.mutable_graph()->set_name("hostile");
}

ModelBuilder& ModelBuilder::input(const std::string& name, const Dims& dims, int elem_type) {
  onnx::ValueInfoProto* v = graph().add_input();
  v->set_name(name);
  auto* t = v->mutable_type()->mutable_tensor_type();
  t->set_elem_type(elem_type);
  auto* shape = t->mutable_shape();
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] < 0) shape->add_dim()->set_dim_param(std::string("d").append(std::to_string(i)));
    else shape->add_dim()->set_dim_value(dims[i]);
  }
  return *this;
}

ModelBuilder& ModelBuilder::output(const std::string& name, int elem_type) {
  onnx::ValueInfoProto* v = graph().add_output();
  v->set_name(name);
  v->mutable_type()->mutable_tensor_type()->set_elem_type(elem_type);
  return *this;
}

onnx::TensorProto& ModelBuilder::initializer(const std::string& name, int elem_type, const Dims& dims) {
  onnx::TensorProto* t = graph().add_initializer();
  t->set_name(name);
  t->set_data_type(elem_type);
  for (int64_t d : dims) t->add_dims(d);
  return *t;
}

ModelBuilder& ModelBuilder::ints(const std::string& name, const Dims& values, bool scalar) {
  onnx::TensorProto& t =
      initializer(name, onnx::TensorProto::INT64, scalar ? Dims{} : Dims{static_cast<int64_t>(values.size())});
  for (int64_t v : values) t.add_int64_data(v);
  return *this;
}

ModelBuilder& ModelBuilder::floats(const std::string& name, const std::vector<float>& values, const Dims& dims) {
  onnx::TensorProto& t = initializer(name, onnx::TensorProto::FLOAT, dims);
  for (float v : values) t.add_float_data(v);
  return *this;
}

onnx::NodeProto& ModelBuilder::node(const std::string& op, const std::vector<std::string>& inputs,
                                    const std::vector<std::string>& outputs) {
  std::string name = op;
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  const int same = op_counts_[op]++;
  onnx::NodeProto* n = graph().add_node();
  n->set_op_type(op);
  n->set_name(same ? name + std::to_string(same + 1) : name);
  for (const std::string& i : inputs) n->add_input(i);
  for (const std::string& o : outputs) n->add_output(o);
  return *n;
}

void set_attr(onnx::NodeProto& node, const std::string& name, int64_t value) {
  onnx::AttributeProto* a = node.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(value);
}

void set_attr(onnx::NodeProto& node, const std::string& name, const Dims& values) {
  onnx::AttributeProto* a = node.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t v : values) a->add_ints(v);
}

void set_attr(onnx::NodeProto& node, const std::string& name, float value) {
  onnx::AttributeProto* a = node.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(value);
}

ModelBuilder small_model() {
  ModelBuilder b;
  b.input("x", {1, 3, 8, 8}).output("y");
  std::vector<float> w(4 * 3 * 3 * 3);
  for (size_t i = 0; i < w.size(); ++i) w[i] = 0.01f * static_cast<float>(i % 7);
  b.floats("W", w, {4, 3, 3, 3});
  set_attr(b.node("Conv", {"x", "W"}, {"c"}), "pads", Dims{1, 1, 1, 1});
  b.node("Relu", {"c"}, {"y"});
  return b;
}

ModelBuilder one_op_model(const std::string& op, const std::vector<std::pair<std::string, Dims>>& constants,
                          const Dims& x_dims, int64_t opset) {
  ModelBuilder b(opset);
  b.input("x", x_dims).output("y");
  std::vector<std::string> inputs{"x"};
  for (const auto& [name, values] : constants) {
    b.ints(name, values);
    inputs.push_back(name);
  }
  b.node(op, inputs, {"y"});
  return b;
}

std::string varint(uint64_t v) {
  std::string s;
  do {
    s += static_cast<char>((v & 0x7f) | (v >= 0x80 ? 0x80 : 0));
    v >>= 7;
  } while (v);
  return s;
}

std::string length_delimited(int field, const std::string& payload) {
  return varint(static_cast<uint64_t>(field) << 3 | 2) + varint(payload.size()) + payload;
}

}  // namespace hostile
