// Hostile .tdm engines for `tandem run E.tdm`: truncated, bit-flipped, wrong magic or version, and forged ones whose
// checksum is recomputed after the edit (so only validation stands between them and the loader): constants
// outside the blob, overflowing offsets, bad dtypes and shapes, bad stage/tensor/port indices, unknown tensors,
// shapes that disagree between a kernel and its buffers, a cycle, deep JSON, and section sizes that lie.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <string>

#include "hostile_harness.h"
#include "hostile_models.h"

namespace hostile {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// The layout of src/runtime/engine_file.cpp: "TANDEMDM", u32 version, u64 header bytes, header JSON,
// u64 blob bytes, blob, u64 FNV-1a 64 of everything before it.
constexpr size_t kPrefix = 8 + 4;

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

uint64_t u64_at(const std::string& s, size_t at) {
  uint64_t v;
  std::memcpy(&v, s.data() + at, 8);
  return v;
}
std::string u64_bytes(uint64_t v) { return std::string(reinterpret_cast<const char*>(&v), 8); }
void set_u64(std::string& s, size_t at, uint64_t v) { std::memcpy(s.data() + at, &v, 8); }

// `bytes` with its last 8 bytes replaced by the checksum of the rest, as the writer would have left it.
std::string resealed(std::string bytes) {
  set_u64(bytes, bytes.size() - 8, fnv1a(bytes.substr(0, bytes.size() - 8)));
  return bytes;
}

// An engine file taken apart: the header text (to forge as text) or JSON, and the blob.
struct EngineParts {
  std::string prefix, header, blob;

  static EngineParts split(const std::string& bytes) {
    const uint64_t hn = u64_at(bytes, kPrefix), bn = u64_at(bytes, kPrefix + 8 + hn);
    return {bytes.substr(0, kPrefix), bytes.substr(kPrefix + 8, hn), bytes.substr(kPrefix + 8 + hn + 8, bn)};
  }
  std::string join() const {
    return resealed(prefix + u64_bytes(header.size()) + header + u64_bytes(blob.size()) + blob + u64_bytes(0));
  }
};

// The first element of `array` whose "name" is `name`.
json& named(json& array, const std::string& name) {
  for (json& e : array)
    if (e.value("name", "") == name) return e;
  throw std::runtime_error("engine header has no '" + name + "'");
}

class HostileEngine : public HostileTest {
 protected:
  // One engine for the whole suite: small_model() built for a one-stage plan on core 0.
  static void SetUpTestSuite() {
    std::string tmpl = (fs::temp_directory_path() / "tandem_hostile_engine_XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) return;
    const fs::path dir = tmpl;
    const std::string model = (dir / "m.onnx").string(), plan = (dir / "plan.json").string(),
                      engine = (dir / "e.tdm").string();
    std::ofstream(model, std::ios::binary) << small_model().model().SerializeAsString();
    std::ofstream(plan) << kPlan;
    build_ = new HostileResult(run_tandem({"build", model, "--plan", plan, "-o", engine}));
    engine_ = new std::string(read_file(engine));
    fs::remove_all(dir);
  }
  static void TearDownTestSuite() {
    delete build_;
    delete engine_;
  }
  void SetUp() override {
    HostileTest::SetUp();
    ASSERT_TRUE(build_ && accepted(*build_)) << "tandem build failed: " << (build_ ? build_->describe() : "");
    ASSERT_GT(engine_->size(), 100u);
  }

  const std::string& engine() const { return *engine_; }
  HostileResult run_engine(const std::string& bytes) { return run_tandem({"run", write_bytes("e.tdm", bytes)}); }

  // The engine with its header JSON edited by `edit`; sizes and checksum recomputed.
  HostileResult run_forged(const std::function<void(json&)>& edit) {
    EngineParts parts = EngineParts::split(engine());
    json header = json::parse(parts.header);
    edit(header);
    parts.header = header.dump();
    return run_engine(parts.join());
  }
  static json& graph(json& h) { return h["stages"][0]["graph"]; }
  static json& value(json& h, const std::string& name) { return named(graph(h)["values"], name); }
  static json& tensor(json& h, const std::string& name) { return named(h["tensors"], name); }
  static json& node(json& h) { return graph(h)["nodes"][0]; }  // the fused conv: x, W -> y

  static constexpr const char* kPlan = R"({"version": 1, "units": [{"name": "u", "kind": "cpu", "cores": [0]}],
      "stages": [{"name": "s", "unit": "u", "outputs": ["y"]}]})";
  static inline HostileResult* build_ = nullptr;
  static inline std::string* engine_ = nullptr;
};

// The baseline: the engine runs, and so does a copy taken apart and joined again, so the forger is right.
TEST_F(HostileEngine, ValidAndRejoinedEnginesRun) {
  expect_accepted(run_engine(engine()), "[1,4,8,8]");
  expect_accepted(run_forged([](json&) {}), "[1,4,8,8]");
}

TEST_F(HostileEngine, TruncatedAtSeveralOffsets) {
  const size_t n = engine().size();
  for (size_t cut : {size_t{0}, size_t{4}, size_t{8}, size_t{12}, size_t{20}, size_t{100}, n / 2, n - 9, n - 1}) {
    SCOPED_TRACE("cut at " + std::to_string(cut) + " of " + std::to_string(n));
    expect_rejected(run_engine(engine().substr(0, cut)), "e.tdm");
  }
}

TEST_F(HostileEngine, BitFlip) {
  std::string bytes = engine();
  bytes[bytes.size() / 2] ^= 0x10;
  expect_rejected(run_engine(bytes), "checksum");
}

TEST_F(HostileEngine, WrongMagic) {
  std::string bytes = engine();
  bytes[0] = 'X';
  expect_rejected(run_engine(bytes), "e.tdm");
}

TEST_F(HostileEngine, Version2) {
  std::string bytes = engine();
  bytes[8] = 2;
  expect_rejected(run_engine(resealed(bytes)), "version");
}

// ---- section sizes that lie (checksum recomputed) ----

TEST_F(HostileEngine, HeaderSizeLargerThanFile) {
  std::string bytes = engine();
  set_u64(bytes, kPrefix, bytes.size() * 2);
  expect_rejected(run_engine(resealed(bytes)), "e.tdm");
}

// A header size near 2^64: `20 + size + 8` wraps around to 4, below the file's size, and the blob size would then
// be read from 4 bytes before the file's buffer.
TEST_F(HostileEngine, HeaderSizeWrapsAround) {
  std::string bytes = engine();
  set_u64(bytes, kPrefix, uint64_t{0} - 24);
  expect_rejected(run_engine(resealed(bytes)), "e.tdm");
}

TEST_F(HostileEngine, BlobSizeLargerThanFile) {
  std::string bytes = engine();
  set_u64(bytes, kPrefix + 8 + u64_at(bytes, kPrefix), uint64_t{1} << 40);
  expect_rejected(run_engine(resealed(bytes)), "e.tdm");
}

TEST_F(HostileEngine, HeaderNotJson) {
  EngineParts parts = EngineParts::split(engine());
  parts.header = "{\"stages\": [" + std::string(parts.header.size(), ' ');
  expect_rejected(run_engine(parts.join()), "JSON");
}

TEST_F(HostileEngine, HeaderNested100000Deep) {
  EngineParts parts = EngineParts::split(engine());
  parts.header = "{\"tensors\": " + std::string(100000, '[') + std::string(100000, ']') + "}";
  expect_rejected(run_engine(parts.join()), "e.tdm");
}

// ---- constants ----

TEST_F(HostileEngine, ConstantOffsetBeyondBlob) {
  expect_rejected(run_forged([](json& h) { value(h, "W")["constant"]["offset"] = 1 << 20; }), "constant");
}

TEST_F(HostileEngine, ConstantOffsetPlusBytesOverflows) {
  expect_rejected(run_forged([](json& h) { value(h, "W")["constant"]["offset"] = uint64_t{0} - 8; }), "constant");
}

TEST_F(HostileEngine, ConstantBytesNotMatchingShape) {
  expect_rejected(run_forged([](json& h) { value(h, "W")["constant"]["bytes"] = 16; }), "constant");
}

TEST_F(HostileEngine, ConstantDtype99) {
  expect_rejected(run_forged([](json& h) { value(h, "W")["constant"]["dtype"] = 99; }), "e.tdm");
}

TEST_F(HostileEngine, ConstantShape2To40Squared) {
  expect_rejected(run_forged([](json& h) { value(h, "W")["constant"]["shape"] = {kTwoTo40, kTwoTo40}; }), "e.tdm");
}

TEST_F(HostileEngine, ConstantNegativeShape) {
  expect_rejected(run_forged([](json& h) { value(h, "W")["constant"]["shape"] = {-4, 3, 3, 3}; }), "e.tdm");
}

// ---- values, nodes and graphs ----

TEST_F(HostileEngine, ValueShape2To40Squared) {
  expect_rejected(run_forged([](json& h) { value(h, "x")["shape"] = {kTwoTo40, kTwoTo40}; }), "e.tdm");
}

TEST_F(HostileEngine, ValueDtype99) {
  expect_rejected(run_forged([](json& h) { value(h, "y")["dtype"] = 99; }), "'y'");
}

TEST_F(HostileEngine, NodeInputUnknownTensor) {
  expect_rejected(run_forged([](json& h) { node(h)["inputs"][1] = "nope"; }), "nope");
}

TEST_F(HostileEngine, NodeUnknownOperator) {
  expect_rejected(run_forged([](json& h) { node(h)["op"] = "FancyConv"; }), "FancyConv");
}

// The conv's output recorded as [1,1,1,1] instead of [1,4,8,8]: an error, not a kernel writing past its buffer.
TEST_F(HostileEngine, NodeOutputShapeShrunk) {
  expect_rejected(run_forged([](json& h) { value(h, "y")["shape"] = {1, 1, 1, 1}; }), "'y'");
}

TEST_F(HostileEngine, GraphWithCycle) {
  expect_rejected(run_forged([](json& h) { node(h)["inputs"][0] = "y"; }), "cycle");
}

// ---- stages, boundary tensors and ports ----

TEST_F(HostileEngine, StageUnit7) {
  expect_rejected(run_forged([](json& h) { h["stages"][0]["unit"] = 7; }), "unit");
}

TEST_F(HostileEngine, TensorProducer1000) {
  expect_rejected(run_forged([](json& h) { tensor(h, "y")["producer"] = 1000; }), "e.tdm");
}

TEST_F(HostileEngine, TensorProducerNegative) {
  expect_rejected(run_forged([](json& h) { tensor(h, "y")["producer"] = -5; }), "e.tdm");
}

TEST_F(HostileEngine, TensorConsumer99) {
  expect_rejected(run_forged([](json& h) { tensor(h, "x")["consumers"] = json::array({99}); }), "e.tdm");
}

TEST_F(HostileEngine, TensorDtype99) {
  expect_rejected(run_forged([](json& h) { tensor(h, "y")["dtype"] = 99; }), "'y'");
}

// The pipeline's buffer for y recorded smaller than the kernel that writes it.
TEST_F(HostileEngine, BoundaryOutputShapeShrunk) {
  expect_rejected(run_forged([](json& h) { tensor(h, "y")["shape"] = {1, 1, 1, 1}; }), "'y'");
}

// The model input recorded smaller than the kernel that reads it.
TEST_F(HostileEngine, BoundaryInputShapeShrunk) {
  expect_rejected(run_forged([](json& h) { tensor(h, "x")["shape"] = {1, 1, 1, 1}; }), "'x'");
}

TEST_F(HostileEngine, BoundaryTensorShape2To40Squared) {
  expect_rejected(run_forged([](json& h) { tensor(h, "y")["shape"] = {kTwoTo40, kTwoTo40}; }), "'y'");
}

TEST_F(HostileEngine, ModelInputsNegative) {
  expect_rejected(run_forged([](json& h) { h["model_inputs"] = json::array({-3}); }), "e.tdm");
}

TEST_F(HostileEngine, ModelOutputsBeyondTensors) {
  expect_rejected(run_forged([](json& h) { h["model_outputs"] = json::array({1000}); }), "e.tdm");
}

TEST_F(HostileEngine, PlanInFlight1e10) {
  expect_rejected(run_forged([](json& h) { h["plan"]["in_flight"] = 10000000000; }), "in_flight");
}

}  // namespace
}  // namespace hostile
