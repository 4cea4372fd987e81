// The .tdm engine file, reading. The checksum only finds corruption; a file with a valid checksum can still be
// hostile, so every offset, length, index and shape in it is checked before anything is allocated or run: the
// blob ranges with overflow-safe arithmetic, every tensor/stage/unit index against its list, each compiled graph
// re-verified by shape inference (verify_recorded_graph), and each stage's ports against the tensors the
// pipeline allocates for them.
#include <cfloat>
#include <climits>
#include <cmath>
#include <cstring>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "core/checked_size.h"
#include "core/json_nesting.h"
#include "core/memory_limit.h"
#include "core/regular_file.h"
#include "passes/verify_graph.h"
#include "runtime/build_thread.h"
#include "runtime/engine_format.h"
#include "runtime/deployment.h"

namespace tandem {
namespace {

using json = nlohmann::json;
using namespace engine_format;

// Reads the header's fields with the path of each in errors; JSON numbers are range-checked, never narrowed.
class Reader {
 public:
  Reader(const std::string& path, const std::string& blob) : path_(path), blob_(blob) {}

  Status error(const std::string& what) const {
    return Status(Code::kInvalidModel, "engine file '" + path_ + "': " + what);
  }
  Result<int64_t> integer(const json& j, const std::string& where, int64_t lo, int64_t hi) const {
    int64_t v = 0;
    if (j.is_number_unsigned()) {
      const uint64_t u = j.get<uint64_t>();
      if (u > static_cast<uint64_t>(INT64_MAX)) return error(where + " is out of range");
      v = static_cast<int64_t>(u);
    } else if (j.is_number_integer()) {
      v = j.get<int64_t>();
    } else {
      return error(where + " is not an integer");
    }
    if (v < lo || v > hi) return error(format("%s = %lld is outside %lld..%lld", where.c_str(),
                                              static_cast<long long>(v), static_cast<long long>(lo),
                                              static_cast<long long>(hi)));
    return v;
  }
  Result<std::vector<int>> indices(const json& j, const std::string& where, int64_t lo, int64_t hi) const {
    if (!j.is_array()) return error(where + " is not an array");
    std::vector<int> out;
    for (const json& x : j) {
      TANDEM_ASSIGN_OR_RETURN(int64_t v, integer(x, where, lo, hi));
      out.push_back(static_cast<int>(v));
    }
    return out;
  }
  Result<DType> dtype(const json& j, const std::string& where) const {
    TANDEM_ASSIGN_OR_RETURN(int64_t code, integer(j, where, 0, 64));
    if (!dtype_is_valid(static_cast<int32_t>(code)) || dtype_size(static_cast<DType>(code)) == 0)
      return error(format("%s: %lld is not an element type an engine holds", where.c_str(),
                          static_cast<long long>(code)));
    return static_cast<DType>(code);
  }
  // A concrete shape whose bytes of `dtype` neither overflow nor pass the memory limit.
  Result<Shape> shape(const json& j, DType dt, const std::string& where) const {
    if (!j.is_array()) return error(where + " is not an array");
    Shape s;
    for (const json& d : j) {
      TANDEM_ASSIGN_OR_RETURN(int64_t v, integer(d, where, 0, INT64_MAX));
      s.push_back(v);
    }
    Result<size_t> bytes = checked_nbytes(dt, s);
    if (!bytes.is_ok()) return error(where + ": " + bytes.status().message());
    return s;
  }
  Result<Tensor> tensor(const json& j, const std::string& where) const {
    TANDEM_ASSIGN_OR_RETURN(DType dt, dtype(j.at("dtype"), where + ".dtype"));
    TANDEM_ASSIGN_OR_RETURN(Shape s, shape(j.at("shape"), dt, where + ".shape"));
    TANDEM_ASSIGN_OR_RETURN(int64_t offset, integer(j.at("offset"), where + ".offset", 0, INT64_MAX));
    TANDEM_ASSIGN_OR_RETURN(int64_t bytes, integer(j.at("bytes"), where + ".bytes", 0, INT64_MAX));
    const size_t want = checked_nbytes(dt, s).value();
    if (static_cast<uint64_t>(bytes) != want)
      return error(format("%s: %lld bytes recorded for %s %s, which needs %zu", where.c_str(),
                          static_cast<long long>(bytes), dtype_name(dt), shape_to_string(s).c_str(), want));
    if (static_cast<uint64_t>(offset) > blob_.size() || want > blob_.size() - static_cast<uint64_t>(offset))
      return error(where + ": the constant lies outside the file's data");
    TANDEM_ASSIGN_OR_RETURN(Tensor t, Tensor::allocate(dt, s, where));
    if (want > 0) std::memcpy(t.raw(), blob_.data() + offset, want);
    return t;
  }
  const std::string& path() const { return path_; }

 private:
  const std::string& path_;
  const std::string& blob_;
};

Result<Attribute> attribute_from(const Reader& r, const json& j, const std::string& where) {
  Attribute a;
  if (!j.is_object() || j.size() != 1) return r.error(where + " is not an attribute record");
  auto number = [&](const json& x) -> Result<double> {
    if (!x.is_number()) return r.error(where + " holds a non-number");
    return x.get<double>();
  };
  auto as_float = [&](double d) -> Result<float> {  // a double outside float's range would be undefined
    if (std::isfinite(d) && std::fabs(d) > static_cast<double>(FLT_MAX)) return r.error(where + " overflows float");
    return static_cast<float>(d);
  };
  if (j.contains("int")) {
    a.kind = Attribute::Kind::kInt;
    TANDEM_ASSIGN_OR_RETURN(a.i, r.integer(j["int"], where, INT64_MIN, INT64_MAX));
  } else if (j.contains("float")) {
    a.kind = Attribute::Kind::kFloat;
    TANDEM_ASSIGN_OR_RETURN(double d, number(j["float"]));
    TANDEM_ASSIGN_OR_RETURN(a.f, as_float(d));
  } else if (j.contains("string") && j["string"].is_string()) {
    a.kind = Attribute::Kind::kString;
    a.s = j["string"].get<std::string>();
  } else if (j.contains("ints") && j["ints"].is_array()) {
    a.kind = Attribute::Kind::kInts;
    for (const json& x : j["ints"]) {
      TANDEM_ASSIGN_OR_RETURN(int64_t v, r.integer(x, where, INT64_MIN, INT64_MAX));
      a.ints.push_back(v);
    }
  } else if (j.contains("floats") && j["floats"].is_array()) {
    a.kind = Attribute::Kind::kFloats;
    for (const json& x : j["floats"]) {
      TANDEM_ASSIGN_OR_RETURN(double d, number(x));
      TANDEM_ASSIGN_OR_RETURN(float f, as_float(d));
      a.floats.push_back(f);
    }
  } else if (j.contains("strings")) {
    a.kind = Attribute::Kind::kStrings;
    a.strings = j["strings"].get<std::vector<std::string>>();
  } else if (j.contains("tensor")) {
    a.kind = Attribute::Kind::kTensor;
    TANDEM_ASSIGN_OR_RETURN(a.t, r.tensor(j["tensor"], where));
  } else {
    return r.error(where + " is an attribute of unknown kind");
  }
  return a;
}

Result<std::unique_ptr<Graph>> graph_from(const Reader& r, const json& j, const std::string& where) {
  auto g = std::make_unique<Graph>();
  for (const auto& [domain, version] : j.at("opsets").items()) {
    TANDEM_ASSIGN_OR_RETURN(g->opsets[domain], r.integer(version, where + ".opsets", 1, 1000));
  }
  std::map<std::string, Tensor> constants;  // constants read once even when several values share them
  for (const json& jv : j.at("values")) {
    const std::string name = jv.at("name").get<std::string>();
    const std::string vwhere = where + " value '" + name + "'";
    if (g->find_value(name)) return r.error(vwhere + " is listed twice");
    Value* v = g->value(name);
    TANDEM_ASSIGN_OR_RETURN(v->dtype, r.dtype(jv.at("dtype"), vwhere + " dtype"));
    v->has_shape = true;
    TANDEM_ASSIGN_OR_RETURN(v->shape, r.shape(jv.at("shape"), v->dtype, vwhere + " shape"));
    if (jv.contains("constant")) {
      std::string key = jv["constant"].dump();
      auto it = constants.find(key);
      if (it == constants.end()) {
        TANDEM_ASSIGN_OR_RETURN(Tensor t, r.tensor(jv["constant"], vwhere + " constant"));
        it = constants.emplace(key, t).first;
      }
      v->constant = it->second;
    }
  }
  auto lookup = [&](const json& names, std::vector<Value*>& out) -> Status {
    if (!names.is_array()) return r.error(where + ": a list of tensor names is not an array");
    for (const json& n : names) {
      if (n.is_null()) {
        out.push_back(nullptr);
        continue;
      }
      Value* v = g->find_value(n.get<std::string>());
      if (!v) return r.error(where + ": a node refers to an unknown tensor '" + n.get<std::string>() + "'");
      out.push_back(v);
    }
    return Status::ok();
  };
  for (const json& jn : j.at("nodes")) {
    std::vector<Value*> ins, outs;
    TANDEM_RETURN_IF_ERROR(lookup(jn.at("inputs"), ins));
    TANDEM_RETURN_IF_ERROR(lookup(jn.at("outputs"), outs));
    for (const Value* v : outs)
      if (v && v->producer) return r.error(where + ": tensor '" + v->name + "' is written by two nodes");
    Node* n = g->add_node(jn.at("op").get<std::string>(), jn.at("name").get<std::string>(), ins, outs,
                          jn.at("domain").get<std::string>());
    for (const auto& [name, ja] : jn.at("attrs").items()) {
      TANDEM_ASSIGN_OR_RETURN(Attribute a, attribute_from(r, ja, where + " " + n->describe() + " attribute '" + name + "'"));
      n->attrs.set(name, std::move(a));
    }
  }
  TANDEM_RETURN_IF_ERROR(lookup(j.at("inputs"), g->inputs));
  TANDEM_RETURN_IF_ERROR(lookup(j.at("outputs"), g->outputs));
  for (const std::vector<Value*>* ports : {&g->inputs, &g->outputs})
    for (const Value* v : *ports)
      if (!v) return r.error(where + ": a graph port has no tensor");
  Status verified = verify_recorded_graph(*g);
  if (!verified.is_ok()) return r.error(where + ": " + verified.message());
  return g;
}

// The boundary tensors, the stages' ports and the model's ports must describe one dataflow: each tensor
// written by exactly the stage it names as producer, read by exactly the stages it lists, earlier stages before
// later ones, and each port's dtype and shape the tensor's (the pipeline sizes its buffers from the tensor,
// the engine reads and writes as its port says).
Status check_dataflow(const Reader& r, const std::vector<BoundaryTensor>& tensors,
                      const std::vector<DeployedStage>& stages, const std::vector<int>& model_inputs,
                      const std::vector<int>& model_outputs) {
  std::vector<int> writer(tensors.size(), -1);
  std::vector<std::set<int>> readers(tensors.size());
  for (size_t s = 0; s < stages.size(); ++s) {
    const DeployedStage& st = stages[s];
    const std::string where = "stage '" + st.name + "'";
    auto same = [&](const TensorDesc& port, int t) {
      const BoundaryTensor& b = tensors[static_cast<size_t>(t)];
      return port.dtype == b.dtype && port.shape == b.shape;
    };
    for (size_t i = 0; i < st.inputs.size(); ++i) {
      const int t = st.inputs[i];
      if (!same(st.engine->inputs()[i], t))
        return r.error(where + " reads '" + tensors[static_cast<size_t>(t)].name + "' with another type or shape");
      readers[static_cast<size_t>(t)].insert(static_cast<int>(s));
    }
    for (size_t i = 0; i < st.outputs.size(); ++i) {
      const int t = st.outputs[i];
      if (!same(st.engine->outputs()[i], t))
        return r.error(where + " writes '" + tensors[static_cast<size_t>(t)].name + "' with another type or shape");
      if (writer[static_cast<size_t>(t)] >= 0)
        return r.error("tensor '" + tensors[static_cast<size_t>(t)].name + "' is written by two stages");
      writer[static_cast<size_t>(t)] = static_cast<int>(s);
    }
  }
  std::set<int> inputs(model_inputs.begin(), model_inputs.end());
  for (size_t t = 0; t < tensors.size(); ++t) {
    const BoundaryTensor& b = tensors[t];
    const std::set<int> listed(b.consumers.begin(), b.consumers.end());
    if (b.producer != writer[t] || listed != readers[t] || listed.size() != b.consumers.size())
      return r.error("tensor '" + b.name + "': its producer and consumers do not match the stages' ports");
    if ((b.producer < 0) != (inputs.count(static_cast<int>(t)) > 0))
      return r.error("tensor '" + b.name + "' is a model input exactly when no stage writes it");
    for (int c : listed)
      if (c <= b.producer) return r.error("tensor '" + b.name + "' is read by a stage that runs before its writer");
  }
  for (int t : model_outputs)
    if (!tensors[static_cast<size_t>(t)].model_output || writer[static_cast<size_t>(t)] < 0)
      return r.error("model output '" + tensors[static_cast<size_t>(t)].name + "' is not written as one");
  if (inputs.size() != model_inputs.size()) return r.error("a model input is listed twice");
  return Status::ok();
}

Result<std::unique_ptr<Deployment>> parse_engine(const std::string& path, const std::string& bytes) {
  const std::string none;
  Reader bad(path, none);
  if (bytes.size() < kFixedBytes || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
    return bad.error("not a Tandem engine file");
  uint32_t version;
  std::memcpy(&version, bytes.data() + 8, 4);
  if (version != kFormatVersion)
    return bad.error(format("format version %u, but this Tandem reads version %u: rebuild it with `tandem build`",
                            version, kFormatVersion));
  uint64_t sum;
  std::memcpy(&sum, bytes.data() + bytes.size() - 8, 8);
  if (fnv1a(bytes.data(), bytes.size() - 8) != sum) return bad.error("checksum mismatch: the file is corrupt or truncated");
  // Section sizes, compared by subtraction so that no sum can wrap.
  uint64_t hn, bn;
  std::memcpy(&hn, bytes.data() + 12, 8);
  if (hn > bytes.size() - kFixedBytes) return bad.error("truncated header");
  std::memcpy(&bn, bytes.data() + 20 + hn, 8);
  if (bn != bytes.size() - kFixedBytes - hn) return bad.error("section sizes do not match the file size");
  const std::string_view header_text(bytes.data() + 20, hn);
  if (json_nesting_depth(header_text) > kMaxJsonNesting)
    return bad.error(format("header nested more than %d levels deep", kMaxJsonNesting));
  json header = json::parse(header_text, nullptr, false);
  if (header.is_discarded() || !header.is_object()) return bad.error("header is not valid JSON");
  const std::string blob = bytes.substr(20 + hn + 8, bn);
  Reader r(path, blob);
  try {
    TANDEM_ASSIGN_OR_RETURN(Plan plan, parse_plan(header.at("plan").dump(), "engine file '" + path + "' plan",
                                                  available_cores()));
    TANDEM_ASSIGN_OR_RETURN(std::vector<std::unique_ptr<Unit>> units, make_units(plan));
    const json& jstages = header.at("stages");
    if (!jstages.is_array() || jstages.empty()) return r.error("no stages");
    const int64_t n_stages = static_cast<int64_t>(jstages.size());
    std::vector<BoundaryTensor> tensors;
    std::map<std::string, int> tensor_index;
    for (const json& t : header.at("tensors")) {
      BoundaryTensor b;
      b.name = t.at("name").get<std::string>();
      const std::string where = "tensor '" + b.name + "'";
      if (!tensor_index.emplace(b.name, static_cast<int>(tensors.size())).second) return r.error(where + " is listed twice");
      TANDEM_ASSIGN_OR_RETURN(b.dtype, r.dtype(t.at("dtype"), where + " dtype"));
      TANDEM_ASSIGN_OR_RETURN(b.shape, r.shape(t.at("shape"), b.dtype, where + " shape"));
      TANDEM_ASSIGN_OR_RETURN(int64_t producer, r.integer(t.at("producer"), where + " producer", -1, n_stages - 1));
      b.producer = static_cast<int>(producer);
      TANDEM_ASSIGN_OR_RETURN(b.consumers, r.indices(t.at("consumers"), where + " consumers", 0, n_stages - 1));
      b.model_output = t.at("model_output").get<bool>();
      tensors.push_back(std::move(b));
    }
    const int64_t last_tensor = static_cast<int64_t>(tensors.size()) - 1;
    TANDEM_ASSIGN_OR_RETURN(std::vector<int> model_inputs, r.indices(header.at("model_inputs"), "model_inputs", 0, last_tensor));
    TANDEM_ASSIGN_OR_RETURN(std::vector<int> model_outputs,
                            r.indices(header.at("model_outputs"), "model_outputs", 0, last_tensor));
    std::vector<DeployedStage> stages;
    for (const json& js : jstages) {
      DeployedStage st;
      st.name = js.at("name").get<std::string>();
      const std::string where = "stage '" + st.name + "'";
      st.plan_stage = js.at("plan_stage").get<std::string>();
      TANDEM_ASSIGN_OR_RETURN(int64_t unit, r.integer(js.at("unit"), where + " unit", 0,
                                                      static_cast<int64_t>(units.size()) - 1));
      st.unit = static_cast<int>(unit);
      TANDEM_ASSIGN_OR_RETURN(st.precision, parse_precision(js.at("precision").get<std::string>()));
      st.fallback_nodes = js.at("fallback_nodes").get<std::vector<std::string>>();
      TANDEM_ASSIGN_OR_RETURN(std::unique_ptr<Graph> g, graph_from(r, js.at("graph"), where));
      auto tactics = js.at("tactics").get<std::map<std::string, std::string>>();
      Result<std::unique_ptr<Engine>> e = units[static_cast<size_t>(st.unit)]->instantiate(*g, st.precision, tactics);
      TANDEM_RETURN_IF_ERROR_CTX(e.status(), "engine file '" + path + "': " + where);
      st.engine = std::move(e).value();
      st.graph = std::move(g);
      for (const auto* ports : {&st.engine->inputs(), &st.engine->outputs()}) {
        std::vector<int>& indices = ports == &st.engine->inputs() ? st.inputs : st.outputs;
        for (const TensorDesc& port : *ports) {
          auto it = tensor_index.find(port.name);
          if (it == tensor_index.end()) return r.error(where + " has a port '" + port.name + "' the file does not list");
          indices.push_back(it->second);
        }
      }
      stages.push_back(std::move(st));
    }
    TANDEM_RETURN_IF_ERROR(check_dataflow(r, tensors, stages, model_inputs, model_outputs));
    return Deployment::assemble(std::move(plan), std::move(units), std::move(stages), std::move(tensors),
                                std::move(model_inputs), std::move(model_outputs));
  } catch (const json::exception& e) {
    return r.error(std::string("malformed header: ") + e.what());
  }
}

}  // namespace

Result<std::unique_ptr<Deployment>> load_deployment(const std::string& path) {
  // An engine holds its weights, so the memory limit bounds the file as it bounds them.
  TANDEM_ASSIGN_OR_RETURN(std::string bytes, read_regular_file(path, memory_limit(), "engine file"));
  // Its engines are instantiated with OpenMP too: on a thread of its own, as Deployment::build does.
  return on_build_thread([&] { return parse_engine(path, bytes); });
}

}  // namespace tandem
