// Runs ONNX's node tests (model.onnx + test_data_set_*/{input,output}_N.pb) through Tandem's CPU engine.
// A test is selected when every operator in it is registered; tests listed in skips.txt are skipped with
// their reason. Comparison follows ONNX's backend tests: |actual - expected| <= atol + rtol * |expected|.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "ir/graph.h"
#include "onnx/onnx_import.h"
#include "onnx/tensor_proto.h"
#include "ops/op_registry.h"
#include "passes/specialize.h"
#include "runtime/model_session.h"

namespace fs = std::filesystem;
using namespace tandem;

namespace {

std::map<std::string, std::string> read_skips(const std::string& path) {
  std::map<std::string, std::string> skips;
  std::ifstream f(path);
  std::string line;
  while (std::getline(f, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream is(line);
    std::string name, reason;
    is >> name;
    std::getline(is, reason);
    skips[name] = reason.empty() ? "listed in skips.txt" : reason.substr(reason.find_first_not_of(' '));
  }
  return skips;
}

std::vector<Tensor> load_set(const fs::path& dir, const std::string& prefix) {
  std::vector<Tensor> out;
  for (int i = 0;; ++i) {
    fs::path p = dir / (prefix + "_" + std::to_string(i) + ".pb");
    if (!fs::exists(p)) break;
    Result<Tensor> t = load_tensor_pb(p.string());
    if (!t.is_ok()) {
      ADD_FAILURE() << t.status().to_string();
      return {};
    }
    out.push_back(std::move(t.value()));
  }
  return out;
}

::testing::AssertionResult compare(const Tensor& actual, const Tensor& expected, double rtol, double atol) {
  if (actual.dtype() != expected.dtype())
    return ::testing::AssertionFailure() << "dtype " << dtype_name(actual.dtype()) << " != " << dtype_name(expected.dtype());
  if (actual.shape() != expected.shape())
    return ::testing::AssertionFailure() << "shape " << shape_to_string(actual.shape())
                                         << " != " << shape_to_string(expected.shape());
  bool is_float = dtype_is_float(actual.dtype());
  for (int64_t i = 0; i < actual.numel(); ++i) {
    if (is_float) {
      double a = actual.float_at(i), e = expected.float_at(i);
      if (std::isnan(e) && std::isnan(a)) continue;
      if (std::isinf(e) && a == e) continue;
      if (!(std::fabs(a - e) <= atol + rtol * std::fabs(e)))
        return ::testing::AssertionFailure() << "element " << i << ": " << a << " vs expected " << e;
    } else if (actual.int_at(i) != expected.int_at(i)) {
      return ::testing::AssertionFailure() << "element " << i << ": " << actual.int_at(i) << " vs expected "
                                           << expected.int_at(i);
    }
  }
  return ::testing::AssertionSuccess();
}

// Graph inputs that feed a shape-deciding operand: Tandem needs them at build time, so bind their values.
std::set<std::string> shape_input_names(const Graph& g) {
  std::set<std::string> names;
  for (Node* n : g.live_nodes()) {
    const OpSchema* s = OpRegistry::global().find(n->domain, n->op_type);
    if (!s) continue;
    for (int idx : s->shape_inputs)
      if (Value* v = n->input(idx); v && !v->producer && !v->is_constant()) names.insert(v->name);
  }
  return names;
}

// What selection learns from the model, so a test imports it only once more (through its ModelSession).
struct Selected {
  std::set<std::string> ops;            // operator types the test's model uses
  std::vector<std::string> port_names;  // graph inputs in model order
  std::vector<DType> port_dtypes;
  std::set<std::string> bound;          // inputs to bind at build time
};

class NodeTest : public ::testing::Test {
 public:
  NodeTest(fs::path dir, std::string skip_reason, Selected sel)
      : dir_(std::move(dir)), skip_(std::move(skip_reason)), sel_(std::move(sel)) {}
  void TestBody() override {
    if (!skip_.empty()) GTEST_SKIP() << skip_;
    std::string model = (dir_ / "model.onnx").string();
    const auto& ports = sel_.port_names;
    for (const auto& set : fs::directory_iterator(dir_)) {
      if (!set.is_directory()) continue;
      std::vector<Tensor> inputs = load_set(set.path(), "input");
      std::vector<Tensor> expected = load_set(set.path(), "output");
      ModelSessionOptions options;
      std::vector<Tensor> runtime_inputs;
      ASSERT_EQ(ports.size(), inputs.size()) << "input count";
      for (size_t i = 0; i < inputs.size(); ++i) {
        // NumPy has no bfloat16: ONNX stores such test data as uint16 bit patterns.
        if (sel_.port_dtypes[i] == DType::kBFloat16) inputs[i] = inputs[i].bitcast(DType::kBFloat16);
        if (sel_.bound.count(ports[i])) options.constant_inputs[ports[i]] = inputs[i];
        else runtime_inputs.push_back(inputs[i]);
      }
      auto session = ModelSession::load(model, options);
      ASSERT_TRUE(session.is_ok()) << session.status().to_string();
      auto outputs = (*session)->run(runtime_inputs);
      ASSERT_TRUE(outputs.is_ok()) << outputs.status().to_string();
      ASSERT_EQ(outputs->size(), expected.size());
      for (size_t i = 0; i < expected.size(); ++i) {
        if ((*outputs)[i].dtype() == DType::kBFloat16) expected[i] = expected[i].bitcast(DType::kBFloat16);
        EXPECT_TRUE(compare((*outputs)[i], expected[i], 1e-3, 1e-7)) << "output " << i << " of " << set.path();
      }
    }
  }

 private:
  fs::path dir_;
  std::string skip_;
  Selected sel_;
};

// A test is selected when every operator in it is supported.
std::optional<Selected> select(const fs::path& model) {
  auto graph = import_onnx_file(model.string());
  if (!graph.is_ok()) return std::nullopt;  // e.g. sequence-typed inputs: not a tensor op test
  if (!check_ops_supported(**graph).is_ok()) return std::nullopt;
  Selected sel;
  for (const Node* n : (*graph)->live_nodes()) sel.ops.insert(n->op_type);
  for (const Value* v : (*graph)->inputs) {
    sel.port_names.push_back(v->name);
    sel.port_dtypes.push_back(v->dtype);
  }
  sel.bound = shape_input_names(**graph);
  return sel;
}

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  const char* env_dir = std::getenv("TANDEM_NODE_TEST_DIR");
  fs::path root = env_dir ? env_dir : TANDEM_NODE_TEST_DIR;
  if (!fs::exists(root)) {
    std::cerr << "node test data not found at " << root << " (install libonnx-testdata)\n";
    return 1;
  }
  auto skips = read_skips(TANDEM_NODE_TEST_SKIPS);
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(root))
    if (e.is_directory() && fs::exists(e.path() / "model.onnx")) dirs.push_back(e.path());
  std::sort(dirs.begin(), dirs.end());
  int selected = 0, skipped = 0;
  std::map<std::string, int> per_op;  // tests run per operator (a test counts for every operator it uses)
  for (const fs::path& dir : dirs) {
    std::string name = dir.filename().string();
    std::optional<Selected> sel = select(dir / "model.onnx");
    if (!sel) continue;
    auto skip = skips.find(name);
    std::string reason = skip == skips.end() ? "" : skip->second;
    ++selected;
    if (!reason.empty()) ++skipped;
    else
      for (const std::string& op : sel->ops) ++per_op[op];
    ::testing::RegisterTest("OnnxNode", name.c_str(), nullptr, nullptr, __FILE__, __LINE__,
                            [dir, reason, s = *sel]() -> ::testing::Test* { return new NodeTest(dir, reason, s); });
  }
  std::cout << "ONNX node tests: " << selected << " selected of " << dirs.size() << " (" << skipped
            << " listed in skips.txt)\n";
  std::cout << "ONNX node tests per operator (" << per_op.size() << " operators):";
  for (const auto& [op, count] : per_op) std::cout << " " << op << "=" << count;
  std::cout << "\n";
  int rc = RUN_ALL_TESTS();
  const ::testing::UnitTest& u = *::testing::UnitTest::GetInstance();
  std::cout << "ONNX node tests run: " << u.successful_test_count() << " passed, " << u.failed_test_count()
            << " failed, " << u.skipped_test_count() << " skipped\n";
  return rc;
}
