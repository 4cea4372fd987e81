// Bad input through the real CLI: a missing, truncated or non-ONNX file, a cycle, a missing initializer,
// unsupported operators, a wrong input shape. Each must give exactly one stderr line naming the problem
// and a non-zero exit, never a crash or a hang.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <sys/wait.h>

#include "io/npy.h"
#include "tandem/version.h"

namespace {

namespace fs = std::filesystem;

struct CliResult {
  int exit_code = 0;
  std::string err;
  std::string out;
};

CliResult run_cli(const std::string& args) {
  fs::path err_file = fs::temp_directory_path() / ("tandem_cli_err_" + std::to_string(::getpid()));
  fs::path out_file = fs::temp_directory_path() / ("tandem_cli_out_" + std::to_string(::getpid()));
  std::string cmd = "timeout 60 " + std::string(TANDEM_CLI) + " " + args + " >" + out_file.string() + " 2>" +
                    err_file.string();
  int status = std::system(cmd.c_str());
  CliResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  std::ifstream f(err_file);
  r.err.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  fs::remove(err_file);
  std::ifstream o(out_file);
  r.out.assign(std::istreambuf_iterator<char>(o), std::istreambuf_iterator<char>());
  fs::remove(out_file);
  return r;
}

void expect_one_line_error(const CliResult& r, const std::string& needle) {
  EXPECT_EQ(r.exit_code, 1) << r.err;  // 1 = reported error; 124 = hang, >128 = crash
  ASSERT_FALSE(r.err.empty());
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "more than one line: " << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << "expected '" << needle << "' in: " << r.err;
}

class BadInput : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tandem_bad_input_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // x[1,3,8,8] -> Conv(W[4,3,3,3], pad 1) -> Relu -> y
  onnx::ModelProto small_model() {
    onnx::ModelProto m;
    m.set_ir_version(8);
    m.add_opset_import()->set_version(17);
    onnx::GraphProto* g = m.mutable_graph();
    g->set_name("small");
    auto add_io = [](onnx::ValueInfoProto* v, const std::string& name, std::vector<int64_t> dims) {
      v->set_name(name);
      auto* t = v->mutable_type()->mutable_tensor_type();
      t->set_elem_type(onnx::TensorProto::FLOAT);
      for (int64_t d : dims) t->mutable_shape()->add_dim()->set_dim_value(d);
    };
    add_io(g->add_input(), "x", {1, 3, 8, 8});
    add_io(g->add_output(), "y", {1, 4, 8, 8});
    onnx::TensorProto* w = g->add_initializer();
    w->set_name("W");
    w->set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : {4, 3, 3, 3}) w->add_dims(d);
    for (int i = 0; i < 4 * 3 * 3 * 3; ++i) w->add_float_data(0.01f * static_cast<float>(i % 7));
    onnx::NodeProto* conv = g->add_node();
    conv->set_op_type("Conv");
    conv->set_name("conv1");
    conv->add_input("x");
    conv->add_input("W");
    conv->add_output("c");
    onnx::AttributeProto* pads = conv->add_attribute();
    pads->set_name("pads");
    pads->set_type(onnx::AttributeProto::INTS);
    for (int i = 0; i < 4; ++i) pads->add_ints(1);
    onnx::NodeProto* relu = g->add_node();
    relu->set_op_type("Relu");
    relu->set_name("relu1");
    relu->add_input("c");
    relu->add_output("y");
    return m;
  }

  std::string write(const onnx::ModelProto& m, const std::string& name) {
    std::string path = (dir_ / name).string();
    std::ofstream f(path, std::ios::binary);
    m.SerializeToOstream(&f);
    return path;
  }
  std::string write_bytes(const std::string& bytes, const std::string& name) {
    std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }

  fs::path dir_;
};

TEST_F(BadInput, ValidModelRuns) {
  CliResult r = run_cli("run " + write(small_model(), "ok.onnx"));
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(BadInput, VersionFlagPrintsTheVersion) {
  CliResult r = run_cli("--version");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, std::string("tandem ") + TANDEM_VERSION_STRING + "\n");
}

TEST_F(BadInput, MissingModelFile) {
  expect_one_line_error(run_cli("run " + (dir_ / "nope.onnx").string()), "cannot open");
}

TEST_F(BadInput, NotOnnx) {
  expect_one_line_error(run_cli("run " + write_bytes("hello, this is not a model\n", "text.onnx")),
                        "not a valid ONNX model");
}

TEST_F(BadInput, TruncatedModel) {
  std::string bytes = small_model().SerializeAsString();
  expect_one_line_error(run_cli("run " + write_bytes(bytes.substr(0, bytes.size() / 2), "cut.onnx")),
                        "ONNX model");
}

TEST_F(BadInput, EmptyFile) {
  expect_one_line_error(run_cli("run " + write_bytes("", "empty.onnx")), "empty");
}

TEST_F(BadInput, Cycle) {
  onnx::ModelProto m = small_model();
  // relu1 now also feeds conv1's input: conv1 -> relu1 -> conv1.
  m.mutable_graph()->mutable_node(0)->set_input(0, "y");
  expect_one_line_error(run_cli("run " + write(m, "cycle.onnx")), "cycle");
}

TEST_F(BadInput, MissingInitializer) {
  onnx::ModelProto m = small_model();
  m.mutable_graph()->mutable_initializer()->Clear();
  CliResult r = run_cli("run " + write(m, "noinit.onnx"));
  expect_one_line_error(r, "'W'");
  EXPECT_NE(r.err.find("conv1"), std::string::npos) << r.err;
}

TEST_F(BadInput, UnsupportedOperatorsAreAllListed) {
  onnx::ModelProto m = small_model();
  m.mutable_graph()->mutable_node(0)->set_op_type("FancyConv");
  m.mutable_graph()->mutable_node(1)->set_op_type("FancyRelu");
  CliResult r = run_cli("run " + write(m, "unsupported.onnx"));
  expect_one_line_error(r, "2 node(s)");
  EXPECT_NE(r.err.find("'conv1' (FancyConv)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("'relu1' (FancyRelu)"), std::string::npos) << r.err;
  // inspect --support still describes the model, node by node.
  CliResult s = run_cli("inspect " + write(m, "unsupported.onnx") + " --support");
  EXPECT_EQ(s.exit_code, 0) << s.err;
  EXPECT_NE(s.out.find("2 unsupported"), std::string::npos) << s.out;
  EXPECT_NE(s.out.find("FancyConv          NO"), std::string::npos) << s.out;
}

TEST_F(BadInput, UnsupportedAttributeValuesAreAllListed) {
  onnx::ModelProto m = small_model();
  onnx::AttributeProto* pad = m.mutable_graph()->mutable_node(0)->add_attribute();
  pad->set_name("auto_pad");
  pad->set_type(onnx::AttributeProto::STRING);
  pad->set_s("WRAP");
  onnx::NodeProto* cast = m.mutable_graph()->add_node();
  cast->set_op_type("Cast");
  cast->set_name("cast1");
  cast->add_input("x");
  cast->add_output("s");
  onnx::AttributeProto* to = cast->add_attribute();
  to->set_name("to");
  to->set_type(onnx::AttributeProto::INT);
  to->set_i(onnx::TensorProto::STRING);
  CliResult r = run_cli("run " + write(m, "attrs.onnx"));
  expect_one_line_error(r, "2 node(s)");
  EXPECT_NE(r.err.find("'conv1' (Conv)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("'auto_pad'='WRAP'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("'cast1' (Cast)"), std::string::npos) << r.err;
}

TEST_F(BadInput, WrongInputShape) {
  std::string npy = (dir_ / "small.npy").string();
  ASSERT_TRUE(tandem::save_npy(tandem::Tensor::make(tandem::DType::kFloat32, {1, 3, 4, 4}), npy).is_ok());
  CliResult r = run_cli("run " + write(small_model(), "ok.onnx") + " --input " + npy);
  expect_one_line_error(r, "expects shape [1,3,8,8]");
}

TEST_F(BadInput, MissingInputFile) {
  expect_one_line_error(run_cli("run " + write(small_model(), "ok.onnx") + " --input " + (dir_ / "x.npy").string()),
                        "cannot open");
}

TEST_F(BadInput, UnknownFlag) {
  expect_one_line_error(run_cli("run " + write(small_model(), "ok.onnx") + " --bogus"), "--bogus");
}

TEST_F(BadInput, OutOfRangeFlag) {
  expect_one_line_error(run_cli("run " + write(small_model(), "ok.onnx") + " --threads 0"), "--threads");
}

TEST_F(BadInput, BadShapeFlag) {
  expect_one_line_error(run_cli("run " + write(small_model(), "ok.onnx") + " --shape 8xq"), "bad shape");
}

// ---- plans and engines ----

TEST_F(BadInput, PlanErrors) {
  std::string model = write(small_model(), "ok.onnx");
  expect_one_line_error(run_cli("bench " + model + " --plan " + write_bytes("{oops", "bad.json")), "not valid JSON");
  expect_one_line_error(run_cli("bench " + model + " --plan " + (dir_ / "none.json").string()), "cannot open plan");
  std::string unknown = write_bytes(R"({"units": [{"name": "u", "cores": [0]}],
      "stages": [{"name": "s", "unit": "u", "outputs": ["nope"]}]})", "unknown.json");
  expect_one_line_error(run_cli("bench " + model + " --plan " + unknown), "stage 's': output 'nope' is not a tensor");
  std::string missing_output = write_bytes(R"({"units": [{"name": "u", "cores": [0]}],
      "stages": [{"name": "s", "unit": "u", "outputs": ["c"]}]})", "partial.json");
  expect_one_line_error(run_cli("build " + model + " --plan " + missing_output + " -o " + (dir_ / "e.tdm").string()),
                        "model output 'y' is not produced by any stage");
  expect_one_line_error(run_cli("plan " + model), "splitting into heads needs at least two");
}

TEST_F(BadInput, EngineFiles) {
  std::string model = write(small_model(), "ok.onnx");
  std::string engine = (dir_ / "ok.tdm").string();
  CliResult built = run_cli("build " + model + " -o " + engine);
  ASSERT_EQ(built.exit_code, 0) << built.err;
  CliResult ran = run_cli("run " + engine);
  EXPECT_EQ(ran.exit_code, 0) << ran.err;
  std::ifstream in(engine, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(bytes.size(), 100u);

  std::string flipped = bytes;
  flipped[bytes.size() / 2] ^= 0x40;
  expect_one_line_error(run_cli("run " + write_bytes(flipped, "flipped.tdm")), "checksum mismatch");
  expect_one_line_error(run_cli("run " + write_bytes(bytes.substr(0, bytes.size() - 100), "cut.tdm")), "corrupt");
  std::string future = bytes;
  future[8] = 9;  // format version 9
  expect_one_line_error(run_cli("bench " + write_bytes(future, "v9.tdm")), "format version 9");
  expect_one_line_error(run_cli("run " + engine + " --shape 16x16"), "shapes built in");
  std::string other = write_bytes("TRT-8601-EntropyCalibration2\nsomeone_elses_tensor: 3c000000\n", "other.cache");
  expect_one_line_error(run_cli("build " + model + " --calib-cache " + other + " -o " + engine),
                        "names none of the model's tensors (first entry 'someone_elses_tensor')");
  std::string broken = write_bytes("TRT-8601-EntropyCalibration2\nx: 3c000000\ny 3c000000\n", "broken.cache");
  expect_one_line_error(run_cli("build " + model + " --calib-cache " + broken + " -o " + engine), ":3");
}

// `run --plan` builds the deployment as `build` does; an int8 stage without a cache must not quietly run float.
TEST_F(BadInput, RunWithPlan) {
  std::string model = write(small_model(), "ok.onnx");
  std::string int8_plan = write_bytes(R"({"units": [{"name": "u", "cores": [0]}],
      "stages": [{"name": "s", "unit": "u", "outputs": ["y"], "precision": "int8"}]})", "int8.json");
  expect_one_line_error(run_cli("run " + model + " --plan " + int8_plan), "an int8 stage needs calibration scales");
  expect_one_line_error(run_cli("bench " + model + " --plan " + int8_plan), "an int8 stage needs calibration scales");
  std::string cache = write_bytes("TRT-8601-EntropyCalibration2\nx: 3c000000\nc: 3c800000\n", "small.cache");
  CliResult ran = run_cli("run " + model + " --plan " + int8_plan + " --calib-cache " + cache + " --iterations 2");
  ASSERT_EQ(ran.exit_code, 0) << ran.err;
  EXPECT_NE(ran.out.find("stage s on u (int8)"), std::string::npos) << ran.out;
  EXPECT_NE(ran.out.find("output y float32 [1,4,8,8]"), std::string::npos) << ran.out;
  expect_one_line_error(run_cli("run " + model + " --calib-cache " + cache), "--calib-cache needs a --plan");
  expect_one_line_error(run_cli("run " + model + " --plan " + int8_plan + " --calib-cache " + cache + " --profile"),
                        "tandem bench");
  std::string engine = (dir_ / "int8.tdm").string();
  ASSERT_EQ(run_cli("build " + model + " --plan " + int8_plan + " --calib-cache " + cache + " -o " + engine).exit_code,
            0);
  expect_one_line_error(run_cli("run " + engine + " --plan " + int8_plan), "drop --shape, --plan");
}

TEST_F(BadInput, EvalErrors) {
  std::string model = write(small_model(), "ok.onnx");
  expect_one_line_error(run_cli("eval " + model + " --data synth:1:1 --layer-report"),
                        "--layer-report needs --reference");
  expect_one_line_error(run_cli("eval " + model + " --data synth:1:1"), "seg_logits");
}

}  // namespace
