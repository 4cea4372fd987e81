// The public C++ API as an application uses it: only tandem/ headers (and onnx's protobuf classes, to write the
// test's own small models). Session: open from a file or bytes, declared and prepared shapes, run by name into
// Tandem's buffers or the caller's (aligned or not), and the errors a caller can make.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "tandem/session.h"
#include "tandem/version.h"

namespace {

using tandem::DType;
using tandem::Session;
using tandem::Shape;
using tandem::Tensor;

// y = Relu(x + c), x of shape [N, 4] with N symbolic, c = [-1, 0, 1, 2].
std::string add_relu_model(bool external_c = false) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(17);
  onnx::GraphProto* g = m.mutable_graph();
  g->set_name("add_relu");
  onnx::ValueInfoProto* x = g->add_input();
  x->set_name("x");
  x->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  onnx::TensorShapeProto* xs = x->mutable_type()->mutable_tensor_type()->mutable_shape();
  xs->add_dim()->set_dim_param("N");
  xs->add_dim()->set_dim_value(4);
  g->add_output()->set_name("y");
  g->mutable_output(0)->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  onnx::TensorProto* c = g->add_initializer();
  c->set_name("c");
  c->set_data_type(onnx::TensorProto::FLOAT);
  c->add_dims(4);
  if (external_c) {
    c->set_data_location(onnx::TensorProto::EXTERNAL);
    onnx::StringStringEntryProto* loc = c->add_external_data();
    loc->set_key("location");
    loc->set_value("c.bin");
  } else {
    for (float v : {-1.0f, 0.0f, 1.0f, 2.0f}) c->add_float_data(v);
  }
  onnx::NodeProto* add = g->add_node();
  add->set_op_type("Add");
  add->set_name("add");
  add->add_input("x");
  add->add_input("c");
  add->add_output("s");
  onnx::NodeProto* relu = g->add_node();
  relu->set_op_type("Relu");
  relu->set_name("relu");
  relu->add_input("s");
  relu->add_output("y");
  return m.SerializeAsString();
}

std::vector<float> expected(const std::vector<float>& x) {
  std::vector<float> y(x.size());
  const float c[4] = {-1, 0, 1, 2};
  for (size_t i = 0; i < x.size(); ++i) y[i] = std::max(0.0f, x[i] + c[i % 4]);
  return y;
}

std::vector<float> values(const Tensor& t) {
  const float* p = t.data<float>();
  return std::vector<float>(p, p + t.numel());
}

Session open_model() {
  tandem::Result<Session> s = Session::open_bytes(add_relu_model());
  EXPECT_TRUE(s.is_ok()) << s.status().to_string();
  return std::move(s).value();
}

TEST(ApiSession, DeclaredPortsKeepTheirSymbolicDims) {
  Session s = open_model();
  ASSERT_EQ(s.inputs().size(), 1u);
  EXPECT_EQ(s.inputs()[0].name, "x");
  EXPECT_EQ(s.inputs()[0].dtype, DType::kFloat32);
  EXPECT_EQ(s.inputs()[0].shape, (Shape{-1, 4}));
  EXPECT_EQ(s.inputs()[0].dim_names, (std::vector<std::string>{"N", ""}));
  ASSERT_EQ(s.outputs().size(), 1u);
  EXPECT_EQ(s.outputs()[0].name, "y");
  tandem::Result<std::vector<tandem::TensorInfo>> prepared = s.prepare({{"x", {3, 4}}});
  ASSERT_TRUE(prepared.is_ok()) << prepared.status().to_string();
  ASSERT_EQ(prepared->size(), 1u);
  EXPECT_EQ((*prepared)[0].shape, (Shape{3, 4}));
}

TEST(ApiSession, RunsByNameAtEveryBatchSize) {
  Session s = open_model();
  for (int64_t n : {1, 2, 5}) {
    std::vector<float> x(static_cast<size_t>(n * 4));
    for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i) * 0.5f - 3.0f;
    auto out = s.run({{"x", Tensor::view(DType::kFloat32, {n, 4}, x.data())}});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    ASSERT_EQ(out->count("y"), 1u);
    EXPECT_EQ(out->at("y").shape(), (Shape{n, 4}));
    EXPECT_EQ(values(out->at("y")), expected(x));
  }
}

TEST(ApiSession, WritesIntoTheCallersBuffersAlignedOrNot) {
  Session s = open_model();
  // Buffers on a 64-byte boundary and 4 bytes past one (both bound in place), and 1 byte past one (not aligned to
  // a float: copied through the engine's buffers).
  // (Filled and read with memcpy: a float access through a misaligned pointer would be undefined in C++.)
  alignas(64) unsigned char in_storage[16 * 4 + 4], out_storage[16 * 4 + 4];
  std::vector<float> x(16), y(16);
  for (int i = 0; i < 16; ++i) x[i] = static_cast<float>(i % 5) - 2.0f;
  for (int offset : {0, 4, 1}) {
    std::memcpy(in_storage + offset, x.data(), 16 * sizeof(float));
    std::memset(out_storage + offset, 0xff, 16 * sizeof(float));
    std::map<std::string, Tensor> outputs{{"y", Tensor::view(DType::kFloat32, {4, 4}, out_storage + offset)}};
    tandem::Status st = s.run({{"x", Tensor::view(DType::kFloat32, {4, 4}, in_storage + offset)}}, outputs);
    ASSERT_TRUE(st.is_ok()) << st.to_string();
    std::memcpy(y.data(), out_storage + offset, 16 * sizeof(float));
    EXPECT_EQ(y, expected(x)) << "offset " << offset;
  }
}

TEST(ApiSession, CallerMistakesAreErrorsThatSayWhat) {
  Session s = open_model();
  std::vector<float> x(8, 1.0f);
  const Tensor good = Tensor::view(DType::kFloat32, {2, 4}, x.data());
  auto missing = s.run({});
  EXPECT_NE(missing.status().message().find("input 'x' is missing"), std::string::npos) << missing.status().message();
  auto unknown = s.run({{"x", good}, {"z", good}});
  EXPECT_NE(unknown.status().message().find("no input 'z'"), std::string::npos) << unknown.status().message();
  std::vector<int32_t> xi(8, 1);
  auto dtype = s.run({{"x", Tensor::view(DType::kInt32, {2, 4}, xi.data())}});
  EXPECT_NE(dtype.status().message().find("expects float32"), std::string::npos) << dtype.status().message();
  auto shape = s.run({{"x", Tensor::view(DType::kFloat32, {4, 2}, x.data())}});
  EXPECT_FALSE(shape.is_ok());
  std::vector<float> y(4);
  std::map<std::string, Tensor> small{{"y", Tensor::view(DType::kFloat32, {1, 4}, y.data())}};
  tandem::Status out_shape = s.run({{"x", good}}, small);
  EXPECT_NE(out_shape.message().find("output 'y' is float32 [2,4]"), std::string::npos) << out_shape.message();
  std::map<std::string, Tensor> none;
  EXPECT_NE(s.run({{"x", good}}, none).message().find("output 'y' is missing"), std::string::npos);
  EXPECT_NE(s.prepare({{"q", {1}}}).status().message().find("no input 'q'"), std::string::npos);
}

TEST(ApiSession, OpenErrors) {
  auto threads = Session::open_bytes(add_relu_model(), {.threads = 0});
  EXPECT_NE(threads.status().message().find("threads must be in [1,"), std::string::npos);
  auto junk = Session::open_bytes("not a model");
  EXPECT_FALSE(junk.is_ok());
  // A model in memory has no folder, so external data cannot be read from anywhere (not from the current one).
  auto external = Session::open_bytes(add_relu_model(/*external_c=*/true));
  EXPECT_NE(external.status().message().find("no folder"), std::string::npos) << external.status().message();
  auto absent = Session::open("/nonexistent/model.onnx");
  EXPECT_EQ(absent.status().code(), tandem::Code::kNotFound) << absent.status().to_string();
}

TEST(ApiSession, OpenFromAFileReadsExternalDataBesideIt) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "tandem_api_session_test";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "m.onnx", std::ios::binary) << add_relu_model(/*external_c=*/true);
  const float c[4] = {-1, 0, 1, 2};
  std::ofstream(dir / "c.bin", std::ios::binary).write(reinterpret_cast<const char*>(c), sizeof(c));
  auto s = Session::open((dir / "m.onnx").string(), {.threads = 2});
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  std::vector<float> x = {1, 1, 1, 1};
  auto out = s->run({{"x", Tensor::view(DType::kFloat32, {1, 4}, x.data())}});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(values(out->at("y")), expected(x));
  std::filesystem::remove_all(dir);
}

TEST(ApiVersion, MacrosAndLibraryAgree) {
  EXPECT_STREQ(tandem::version(), TANDEM_VERSION_STRING);
  EXPECT_EQ(TANDEM_VERSION, TANDEM_VERSION_MAJOR * 10000 + TANDEM_VERSION_MINOR * 100 + TANDEM_VERSION_PATCH);
}

}  // namespace
