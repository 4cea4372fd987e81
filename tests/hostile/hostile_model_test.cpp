// Hostile ONNX models through `tandem inspect` and `tandem run`: initializers whose sizes lie, operators whose
// output shapes overflow or explode, out-of-range axes, huge graph inputs, external data leaving the model's
// folder, a 200000-node chain, deep nesting, and files that are not (complete) protobuf.
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "hostile_harness.h"
#include "hostile_models.h"

namespace hostile {
namespace {

constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();
constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

// What `tandem inspect` must do with a model `run` refuses: refuse it too (the model is malformed, or a shape in
// it cannot be represented), or merely end well (its shapes are representable, only too large to run).
enum class Inspect { kRejects, kEndsWell };

class HostileModel : public HostileTest {
 protected:
  std::string write(ModelBuilder& b, const std::string& name = "m.onnx") {
    return write_bytes(name, b.model().SerializeAsString());
  }

  // `tandem run M FLAGS` must refuse the model with `needle` in its message; `tandem inspect M FLAGS` as `inspect` says.
  void expect_model_rejected(ModelBuilder& b, const std::string& needle, Inspect inspect = Inspect::kRejects,
                             const std::vector<std::string>& flags = {}, const char* file = __builtin_FILE(),
                             int line = __builtin_LINE()) {
    const std::string m = write(b);
    HostileResult inspected = run_tandem(with_flags({"inspect", m}, flags));
    if (inspect == Inspect::kRejects) expect_rejected(inspected, needle, file, line);
    else expect_handled(inspected, file, line);
    expect_rejected(run_tandem(with_flags({"run", m}, flags)), needle, file, line);
  }

  // Legitimately valid: both commands succeed and `run` prints `output`.
  void expect_model_accepted(ModelBuilder& b, const std::string& output, const char* file = __builtin_FILE(),
                             int line = __builtin_LINE()) {
    const std::string m = write(b);
    expect_accepted(run_tandem({"inspect", m}), "", file, line);
    expect_accepted(run_tandem({"run", m}), output, file, line);
  }

  static std::vector<std::string> with_flags(std::vector<std::string> args, const std::vector<std::string>& flags) {
    args.insert(args.end(), flags.begin(), flags.end());
    return args;
  }
};

// hostile_w (FLOAT, dims, its data left to the caller: see weight()) -> Identity -> y
ModelBuilder initializer_model(const Dims& dims, const std::string& name = "hostile_w") {
  ModelBuilder b;
  b.output("y");
  b.initializer(name, onnx::TensorProto::FLOAT, dims);
  b.node("Identity", {name}, {"y"});
  return b;
}
onnx::TensorProto& weight(ModelBuilder& b) { return *b.graph().mutable_initializer(0); }

// x[1,3,8,8] -> OP(x, W[4,3,3,3]) with `attrs` -> y
ModelBuilder conv_model(const std::string& op, const std::vector<std::pair<std::string, Dims>>& attrs) {
  ModelBuilder b;
  b.input("x", {1, 3, 8, 8}).output("y");
  b.floats("W", std::vector<float>(4 * 3 * 3 * 3, 0.5f), op == "Conv" ? Dims{4, 3, 3, 3} : Dims{3, 4, 3, 3});
  onnx::NodeProto& n = b.node(op, {"x", "W"}, {"y"});
  for (const auto& [name, values] : attrs) set_attr(n, name, values);
  return b;
}

// x[1,1] -> OP(x, shape-like int64 constant) -> y
ModelBuilder grow_model(const std::string& op, const std::string& constant, const Dims& values) {
  return one_op_model(op, {{constant, values}}, {1, 1});
}

// x -> Relu -> y with x declared `dims` (negative: symbolic)
ModelBuilder relu_model(const Dims& dims) {
  ModelBuilder b;
  b.input("x", dims).output("y");
  b.node("Relu", {"x"}, {"y"});
  return b;
}

// ---- initializers whose declared size and data disagree ----

TEST_F(HostileModel, InitializerOf2To31By2To31WithoutData) {
  ModelBuilder b = initializer_model({kTwoTo31, kTwoTo31});
  expect_model_rejected(b, "hostile_w");
}

TEST_F(HostileModel, InitializerDimsProductOverflowsInt64) {
  ModelBuilder b = initializer_model({kTwoTo62, 4});
  expect_model_rejected(b, "hostile_w");
}

TEST_F(HostileModel, InitializerNegativeDim) {
  ModelBuilder b = initializer_model({4, -2});
  for (int i = 0; i < 8; ++i) weight(b).add_float_data(1.0f);
  expect_model_rejected(b, "hostile_w");
}

TEST_F(HostileModel, RawDataShorterThanShape) {
  ModelBuilder b = initializer_model({4, 4});
  weight(b).set_raw_data(std::string(8, '\1'));
  expect_model_rejected(b, "hostile_w");
}

TEST_F(HostileModel, RawDataLongerThanShape) {
  ModelBuilder b = initializer_model({4, 4});
  weight(b).set_raw_data(std::string(100, '\1'));
  expect_model_rejected(b, "hostile_w");
}

// A ~120-byte file that declares a 4 GiB initializer: refused before anything is allocated.
TEST_F(HostileModel, TinyModelDeclaring4GiBInitializerFailsBeforeAllocating) {
  ModelBuilder b = initializer_model({int64_t{1} << 28, 4}, "w");
  weight(b).set_raw_data(std::string(16, '\1'));
  const std::string bytes = b.model().SerializeAsString();
  ASSERT_LT(bytes.size(), 160u);
  const std::string m = write_bytes("tiny.onnx", bytes);
  for (const char* command : {"inspect", "run"}) {
    HostileResult r = run_tandem({command, m});
    expect_rejected(r, "'w'");
    EXPECT_LT(r.max_rss_kb, 256 * 1024 * kSanitizerSlowdown) << "allocated before checking: " << r.describe();
  }
}

TEST_F(HostileModel, FloatDataWrongCount) {
  ModelBuilder b = initializer_model({4, 4});
  for (int i = 0; i < 3; ++i) weight(b).add_float_data(1.0f);
  expect_model_rejected(b, "hostile_w");
}

TEST_F(HostileModel, Int64DataWrongCount) {
  ModelBuilder b = one_op_model("Reshape", {{"shape", {1, 3, 64}}});
  b.graph().mutable_initializer(0)->add_dims(2);  // now [3, 2]: 6 elements declared, 3 given
  expect_model_rejected(b, "'shape'");
}

// ---- operators whose output shapes overflow or explode ----

TEST_F(HostileModel, ReshapeToOverflowingShape) {
  ModelBuilder b = one_op_model("Reshape", {{"shape", {7, 5270498306774157632}}});
  expect_model_rejected(b, "'reshape'");
}

TEST_F(HostileModel, ReshapeWithTwoInferredDims) {
  ModelBuilder b = one_op_model("Reshape", {{"shape", {-1, -1, 8}}});
  expect_model_rejected(b, "'reshape'");
}

// shape -> ConstantOfShape -> c; y = c * x, so that nothing is constant all the way to the output.
ModelBuilder constant_of_shape_model(const Dims& shape) {
  ModelBuilder b;
  b.input("x", {1}).output("y");
  b.ints("shape", shape);
  b.node("ConstantOfShape", {"shape"}, {"c"});
  b.node("Mul", {"c", "x"}, {"y"});
  return b;
}

TEST_F(HostileModel, ConstantOfShape100000x100000) {
  ModelBuilder b = constant_of_shape_model({100000, 100000});
  expect_model_rejected(b, "'constantofshape'", Inspect::kEndsWell);
}

TEST_F(HostileModel, ConstantOfShape2To40) {
  ModelBuilder b = constant_of_shape_model({kTwoTo40});
  expect_model_rejected(b, "'constantofshape'", Inspect::kEndsWell);
}

// Range(start, limit, delta) as `type`; y = r + x.
ModelBuilder range_model(int type, double limit) {
  ModelBuilder b;
  b.input("x", {1}, type).output("y", type);
  for (const auto& [name, v] : {std::pair<std::string, double>{"start", 0}, {"limit", limit}, {"delta", 1}}) {
    onnx::TensorProto& t = b.initializer(name, type, {});
    if (type == onnx::TensorProto::INT64) t.add_int64_data(static_cast<int64_t>(v));
    else t.add_float_data(static_cast<float>(v));
  }
  b.node("Range", {"start", "limit", "delta"}, {"r"});
  b.node("Add", {"r", "x"}, {"y"});
  return b;
}

TEST_F(HostileModel, RangeInt64To2To62) {
  ModelBuilder b = range_model(onnx::TensorProto::INT64, static_cast<double>(kTwoTo62));
  expect_model_rejected(b, "'range'");
}

TEST_F(HostileModel, RangeFloatTo1e30) {
  ModelBuilder b = range_model(onnx::TensorProto::FLOAT, 1e30);
  expect_model_rejected(b, "'range'");
}

TEST_F(HostileModel, ExpandTo100000x100000) {
  ModelBuilder b = grow_model("Expand", "shape", {100000, 100000});
  expect_model_rejected(b, "'expand'", Inspect::kEndsWell);
}

TEST_F(HostileModel, TileBy2To40) {
  ModelBuilder b = grow_model("Tile", "repeats", {kTwoTo40, kTwoTo40});
  expect_model_rejected(b, "'tile'");
}

TEST_F(HostileModel, PadBy2To40) {
  ModelBuilder b = one_op_model("Pad", {{"pads", {0, 0, kTwoTo40, kTwoTo40, 0, 0, kTwoTo40, kTwoTo40}}});
  expect_model_rejected(b, "'pad'");
}

TEST_F(HostileModel, ResizeByScale1e30) {
  ModelBuilder b;
  b.input("x", {1, 3, 8, 8}).output("y");
  b.floats("scales", {1, 1, 1e30f, 1e30f}, {4});
  b.node("Resize", {"x", "", "scales"}, {"y"});
  expect_model_rejected(b, "'resize'");
}

// 4096 references to one 12 MiB input: a 48 GiB output from a 12 MiB input.
TEST_F(HostileModel, ConcatOfManyLargeInputs) {
  ModelBuilder b;
  b.input("x", {1, 3, 1024, 1024}).output("y");
  set_attr(b.node("Concat", std::vector<std::string>(4096, "x"), {"y"}), "axis", int64_t{0});
  expect_model_rejected(b, "'concat'", Inspect::kEndsWell);
}

TEST_F(HostileModel, ConvPads2To40) {
  ModelBuilder b = conv_model("Conv", {{"pads", {kTwoTo40, kTwoTo40, kTwoTo40, kTwoTo40}}});
  expect_model_rejected(b, "'conv'");
}

TEST_F(HostileModel, ConvDilations2To40) {
  ModelBuilder b = conv_model("Conv", {{"dilations", {kTwoTo40, kTwoTo40}}});
  expect_model_rejected(b, "'conv'");
}

TEST_F(HostileModel, ConvStrides2To40) {
  ModelBuilder b = conv_model("Conv", {{"strides", {kTwoTo40, kTwoTo40}}});
  expect_model_rejected(b, "'conv'");
}

TEST_F(HostileModel, ConvTransposeStrides2To31Minus1) {
  ModelBuilder b = conv_model("ConvTranspose", {{"strides", {kTwoTo31 - 1, kTwoTo31 - 1}}});
  expect_model_rejected(b, "'convtranspose'");
}

// ---- axes and permutations out of range (2^32 + k would be k if narrowed to int) ----

TEST_F(HostileModel, UnsqueezeAxisOutOfRange) {
  ModelBuilder b = one_op_model("Unsqueeze", {{"axes", {int64_t{1} << 32}}});
  expect_model_rejected(b, "'unsqueeze'");
}

TEST_F(HostileModel, SqueezeAxisOutOfRange) {
  ModelBuilder b = one_op_model("Squeeze", {{"axes", {int64_t{1} << 32}}});
  expect_model_rejected(b, "'squeeze'");
}

TEST_F(HostileModel, TransposePermOutOfRange) {
  ModelBuilder b = one_op_model("Transpose");
  set_attr(*b.graph().mutable_node(0), "perm", Dims{0, 1, 2, (int64_t{1} << 32) + 3});
  expect_model_rejected(b, "'transpose'");
}

TEST_F(HostileModel, TransposePermRepeatsAnAxis) {
  ModelBuilder b = one_op_model("Transpose");
  set_attr(*b.graph().mutable_node(0), "perm", Dims{0, 1, 2, 2});
  expect_model_rejected(b, "'transpose'");
}

TEST_F(HostileModel, SoftmaxAxisOutOfRange) {
  ModelBuilder b = one_op_model("Softmax");
  set_attr(*b.graph().mutable_node(0), "axis", (int64_t{1} << 32) + 1);
  expect_model_rejected(b, "'softmax'");
}

TEST_F(HostileModel, SoftmaxAxisInt64Min) {
  ModelBuilder b = one_op_model("Softmax");
  set_attr(*b.graph().mutable_node(0), "axis", kInt64Min);
  expect_model_rejected(b, "'softmax'");
}

TEST_F(HostileModel, GatherAxisOutOfRange) {
  ModelBuilder b = one_op_model("Gather", {{"indices", {0}}});
  set_attr(*b.graph().mutable_node(0), "axis", int64_t{1} << 32);
  expect_model_rejected(b, "'gather'");
}

// The index is data, not shape: `inspect` need not look at it, `run` must not read out of bounds.
TEST_F(HostileModel, GatherIndexOutOfRange) {
  ModelBuilder b = one_op_model("Gather", {{"indices", {0, 100}}});
  expect_model_rejected(b, "'gather'", Inspect::kEndsWell);
}

TEST_F(HostileModel, FlattenAxisOutOfRange) {
  ModelBuilder b = one_op_model("Flatten");
  set_attr(*b.graph().mutable_node(0), "axis", (int64_t{1} << 32) + 1);
  expect_model_rejected(b, "'flatten'");
}

// Legitimately valid: ONNX clamps starts and ends to the axis, so each of these takes one element of the last
// axis, [1,3,8,1]; `end - start + step - 1` and `-step` must not overflow on the way.
TEST_F(HostileModel, SliceInt64ExtremesForwardIsValid) {
  ModelBuilder b = one_op_model("Slice", {{"starts", {kInt64Min}}, {"ends", {kInt64Max}}, {"axes", {3}}, {"steps", {kInt64Max}}});
  expect_model_accepted(b, "[1,3,8,1]");
}

TEST_F(HostileModel, SliceInt64ExtremesBackwardIsValid) {
  ModelBuilder b = one_op_model("Slice", {{"starts", {kInt64Max}}, {"ends", {kInt64Min}}, {"axes", {3}}, {"steps", {kInt64Min}}});
  expect_model_accepted(b, "[1,3,8,1]");
}

TEST_F(HostileModel, SliceStepZero) {
  ModelBuilder b = one_op_model("Slice", {{"starts", {0}}, {"ends", {8}}, {"axes", {3}}, {"steps", {0}}});
  expect_model_rejected(b, "'slice'");
}

// ---- graph inputs too large to run ----

TEST_F(HostileModel, InputDeclared100000x100000RunWithoutShape) {
  ModelBuilder b = relu_model({1, 3, 100000, 100000});
  expect_model_rejected(b, "'x'", Inspect::kEndsWell);
}

TEST_F(HostileModel, ShapeFlag99999x99999) {
  ModelBuilder b = relu_model({1, 3, -1, -1});
  expect_model_rejected(b, "'x'", Inspect::kEndsWell, {"--shape", "99999x99999"});
}

TEST_F(HostileModel, ShapeFlagNegativeDim) {
  ModelBuilder b = relu_model({1, 3, -1, -1});
  expect_model_rejected(b, "shape", Inspect::kRejects, {"--shape", "x=1x3x-5x4"});
}

// ---- external data ----

class HostileExternalData : public HostileModel {
 protected:
  static constexpr size_t kWeightBytes = 4 * 3 * 3 * 3 * sizeof(float);

  // small_model() with W in external data: `location`, then the other key/value pairs.
  void expect_external_rejected(const std::string& location, const std::string& needle,
                                const std::vector<std::pair<std::string, std::string>>& entries = {},
                                const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
    ModelBuilder b = external_model(location, entries);
    const std::string m = write(b);
    expect_handled(run_tandem({"inspect", m}), file, line);  // it need not read the weights
    expect_rejected(run_tandem({"run", m}), needle, file, line);
  }

  ModelBuilder external_model(const std::string& location,
                              const std::vector<std::pair<std::string, std::string>>& entries) {
    write_bytes("weights.bin", std::string(kWeightBytes, '\0'));
    ModelBuilder b = small_model();
    onnx::TensorProto* w = b.graph().mutable_initializer(0);
    w->clear_float_data();
    w->set_data_location(onnx::TensorProto::EXTERNAL);
    auto add = [&](const std::string& key, const std::string& value) {
      onnx::StringStringEntryProto* e = w->add_external_data();
      e->set_key(key);
      e->set_value(value);
    };
    add("location", location);
    for (const auto& [key, value] : entries) add(key, value);
    return b;
  }
};

TEST_F(HostileExternalData, ValidIsAccepted) {
  ModelBuilder b = external_model("weights.bin", {{"offset", "0"}, {"length", std::to_string(kWeightBytes)}});
  expect_accepted(run_tandem({"run", write(b)}), "[1,4,8,8]");
}

TEST_F(HostileExternalData, AbsoluteLocation) { expect_external_rejected("/etc/passwd", "folder"); }

TEST_F(HostileExternalData, DotDotLocation) {
  make_dir("sub");
  expect_external_rejected("sub/../../weights.bin", "folder");
}

TEST_F(HostileExternalData, SymlinkToEtcPasswd) {
  make_symlink("link.bin", "/etc/passwd");
  expect_external_rejected("link.bin", "outside");
}

TEST_F(HostileExternalData, Fifo) {
  make_fifo("pipe.bin");
  expect_external_rejected("pipe.bin", "regular file");
}

TEST_F(HostileExternalData, Directory) {
  make_dir("folder.bin");
  expect_external_rejected("folder.bin", "regular file");
}

TEST_F(HostileExternalData, MissingFile) { expect_external_rejected("missing.bin", "missing.bin"); }

TEST_F(HostileExternalData, OffsetBeyondFile) {
  expect_external_rejected("weights.bin", "weights.bin", {{"offset", "1000"}});
}

TEST_F(HostileExternalData, OffsetPlusLengthBeyondFile) {
  expect_external_rejected("weights.bin", "weights.bin", {{"offset", "100"}, {"length", std::to_string(kWeightBytes)}});
}

TEST_F(HostileExternalData, OffsetOver2To63) {
  expect_external_rejected("weights.bin", "weights.bin", {{"offset", "9999999999999999999"}});
}

TEST_F(HostileExternalData, OffsetOverUint64) {
  expect_external_rejected("weights.bin", "offset", {{"offset", "18446744073709551617"}});
}

TEST_F(HostileExternalData, OffsetWithTrailingLetters) {
  expect_external_rejected("weights.bin", "offset", {{"offset", "12abc"}});
}

TEST_F(HostileExternalData, NegativeLength) {
  expect_external_rejected("weights.bin", "length", {{"length", "-432"}});
}

TEST_F(HostileExternalData, LengthBeyondFile) {
  expect_external_rejected("weights.bin", "length", {{"length", "100000"}});
}

// ---- graph structure ----

// x[1,4] -> Relu -> t0 -> Relu -> t1 ... -> y: 200000 nodes, a 4 MB file.
ModelBuilder relu_chain(int nodes) {
  ModelBuilder b;
  b.input("x", {1, 4}).output("y");
  auto t = [](int i) { return std::string("t").append(std::to_string(i)); };
  for (int i = 0; i < nodes; ++i) b.node("Relu", {i == 0 ? "x" : t(i - 1)}, {i == nodes - 1 ? "y" : t(i)});
  return b;
}

// Legitimately valid: a long, thin graph must be handled in time, without recursion as deep as the graph.
TEST_F(HostileModel, ChainOf200000ReluInspects) {
  ModelBuilder b = relu_chain(200000);
  expect_accepted(run_tandem({"inspect", write(b)}), "Relu=200000");
}

TEST_F(HostileModel, ChainOf200000ReluRuns) {
  ModelBuilder b = relu_chain(200000);
  expect_accepted(run_tandem({"run", write(b)}), "[1,4]");
}

// Legitimately valid: a wide graph, 50000 Relus of one input all concatenated, so that every branch is alive
// at the Concat (the arena planner's search among overlapping buffers was quadratic in such live sets).
TEST_F(HostileModel, FanOutOf50000ReluRuns) {
  ModelBuilder b;
  b.input("x", {1, 4}).output("y");
  std::vector<std::string> branches;
  for (int i = 0; i < 50000; ++i) {
    branches.push_back("t" + std::to_string(i));
    b.node("Relu", {"x"}, {branches.back()});
  }
  set_attr(b.node("Concat", branches, {"y"}), "axis", int64_t{0});
  expect_accepted(run_tandem({"run", write(b)}), "[50000,4]");
}

// ModelProto.graph -> (GraphProto.node -> NodeProto.attribute -> AttributeProto.g ->) x 100000: 300000 levels.
std::string deeply_nested_model(int levels) {
  std::vector<uint64_t> graph_bytes(levels + 1, 0);  // graph_bytes[k]: a GraphProto with k levels inside it
  auto field = [](uint64_t n) { return 1 + varint(n).size() + n; };
  for (int k = 1; k <= levels; ++k) graph_bytes[k] = field(field(field(graph_bytes[k - 1])));
  std::string out = varint(1 << 3) + varint(8);  // ir_version 8
  out += length_delimited(8, varint(2 << 3) + varint(17));  // opset_import { version: 17 }
  out += varint(7 << 3 | 2) + varint(graph_bytes[levels]);
  for (int k = levels; k >= 1; --k) {
    const uint64_t attr = field(graph_bytes[k - 1]), node = field(attr);
    out += varint(1 << 3 | 2) + varint(node);                // GraphProto.node
    out += varint(5 << 3 | 2) + varint(attr);                // NodeProto.attribute
    out += varint(6 << 3 | 2) + varint(graph_bytes[k - 1]);  // AttributeProto.g
  }
  return out;
}

TEST_F(HostileModel, Subgraphs100000LevelsDeep) {
  const std::string m = write_bytes("deep.onnx", deeply_nested_model(100000));
  expect_rejected(run_tandem({"inspect", m}), "deep.onnx");
  expect_rejected(run_tandem({"run", m}), "deep.onnx");
}

TEST_F(HostileModel, NotProtobuf) {
  const std::string m = write_bytes("text.onnx", "\xff\xff\xff\xff this is not a model\n");
  expect_rejected(run_tandem({"inspect", m}), "text.onnx");
  expect_rejected(run_tandem({"run", m}), "text.onnx");
}

TEST_F(HostileModel, EmptyFile) {
  const std::string m = write_bytes("empty.onnx", "");
  expect_rejected(run_tandem({"inspect", m}), "empty.onnx");
  expect_rejected(run_tandem({"run", m}), "empty.onnx");
}

TEST_F(HostileModel, TruncatedAtSeveralPoints) {
  const std::string bytes = small_model().model().SerializeAsString();
  for (size_t cut : {size_t{1}, size_t{3}, size_t{9}, bytes.size() / 3, bytes.size() / 2, bytes.size() - 9,
                     bytes.size() - 1}) {
    SCOPED_TRACE("cut at " + std::to_string(cut) + " of " + std::to_string(bytes.size()));
    const std::string m = write_bytes("cut.onnx", bytes.substr(0, cut));
    expect_rejected(run_tandem({"inspect", m}), "cut.onnx");
    expect_rejected(run_tandem({"run", m}), "cut.onnx");
  }
}

}  // namespace
}  // namespace hostile
