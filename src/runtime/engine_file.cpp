// The .tdm engine file: a deployment saved after compilation, so that loading skips import, specialisation,
// the fusion passes and the tactic search (kernels are re-created with the recorded tactics, weights re-packed).
//
// Layout (little-endian):
//   "TANDEMDM"                     8-byte magic
//   u32 format version             kFormatVersion; any other is refused
//   u64 header bytes, header       JSON: plan, tensors, stages (compiled graphs, tactics), constants index
//   u64 blob bytes, blob           every constant tensor's bytes, each 64-byte aligned, shared ones once
//   u64 checksum                   FNV-1a 64 of everything before it
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "runtime/build_thread.h"
#include "tandem/deployment.h"

namespace tandem {
namespace {

using json = nlohmann::json;

constexpr char kMagic[8] = {'T', 'A', 'N', 'D', 'E', 'M', 'D', 'M'};
constexpr uint32_t kFormatVersion = 1;

uint64_t fnv1a(const char* data, size_t n, uint64_t h = 1469598103934665603ull) {
  for (size_t i = 0; i < n; ++i) {
    h ^= static_cast<unsigned char>(data[i]);
    h *= 1099511628211ull;
  }
  return h;
}

// Constant tensors into one blob; a tensor shared by several values or stages is stored once.
class BlobWriter {
 public:
  json add(const Tensor& t) {
    auto it = offsets_.find(t.raw());
    size_t offset;
    if (it != offsets_.end()) {
      offset = it->second;
    } else {
      offset = blob_.size();
      blob_.resize(offset + (t.nbytes() + 63) / 64 * 64, '\0');
      if (t.nbytes() > 0) std::memcpy(blob_.data() + offset, t.raw(), t.nbytes());
      offsets_[t.raw()] = offset;
    }
    return {{"dtype", static_cast<int>(t.dtype())}, {"shape", t.shape()}, {"offset", offset}, {"bytes", t.nbytes()}};
  }
  const std::string& blob() const { return blob_; }

 private:
  std::string blob_;
  std::unordered_map<const void*, size_t> offsets_;
};

Result<json> attribute_json(const Attribute& a, BlobWriter& blob) {
  switch (a.kind) {
    case Attribute::Kind::kInt: return json{{"int", a.i}};
    case Attribute::Kind::kFloat: return json{{"float", a.f}};
    case Attribute::Kind::kString: return json{{"string", a.s}};
    case Attribute::Kind::kInts: return json{{"ints", a.ints}};
    case Attribute::Kind::kFloats: return json{{"floats", a.floats}};
    case Attribute::Kind::kStrings: return json{{"strings", a.strings}};
    case Attribute::Kind::kTensor:
      if (a.t.dtype() == DType::kString) break;
      return json{{"tensor", blob.add(a.t)}};
    case Attribute::Kind::kGraph: break;
  }
  return Status(Code::kUnsupported, "attributes holding graphs or string tensors cannot be saved in an engine file");
}

Result<json> graph_json(const Graph& g, BlobWriter& blob) {
  TANDEM_ASSIGN_OR_RETURN(std::vector<Node*> order, g.topological_order());
  json values = json::array(), nodes = json::array();
  std::map<const Value*, bool> seen;
  auto add_value = [&](const Value* v) -> Status {
    if (!v || seen[v]) return Status::ok();
    seen[v] = true;
    json jv{{"name", v->name}, {"dtype", static_cast<int>(v->dtype)}, {"shape", v->shape}};
    if (v->is_constant()) {
      TANDEM_CHECK_OR_RETURN(v->constant->dtype() != DType::kString, kUnsupported,
                             "constant '%s' is a string tensor, which an engine file cannot hold", v->name.c_str());
      jv["constant"] = blob.add(*v->constant);
    }
    values.push_back(std::move(jv));
    return Status::ok();
  };
  for (const Value* v : g.inputs) TANDEM_RETURN_IF_ERROR(add_value(v));
  auto names = [](const std::vector<Value*>& vs) {
    json j = json::array();
    for (const Value* v : vs) j.push_back(v ? json(v->name) : json(nullptr));
    return j;
  };
  for (const Node* n : order) {
    for (const Value* v : n->inputs) TANDEM_RETURN_IF_ERROR(add_value(v));
    for (const Value* v : n->outputs) TANDEM_RETURN_IF_ERROR(add_value(v));
    json attrs = json::object();
    for (const auto& [name, a] : n->attrs.all()) {
      Result<json> ja = attribute_json(a, blob);
      TANDEM_RETURN_IF_ERROR_CTX(ja.status(), n->describe());
      attrs[name] = *ja;
    }
    nodes.push_back({{"name", n->name}, {"op", n->op_type}, {"domain", n->domain}, {"inputs", names(n->inputs)},
                     {"outputs", names(n->outputs)}, {"attrs", attrs}});
  }
  for (const Value* v : g.outputs) TANDEM_RETURN_IF_ERROR(add_value(v));
  return json{{"opsets", g.opsets}, {"values", values}, {"nodes", nodes}, {"inputs", names(g.inputs)},
              {"outputs", names(g.outputs)}};
}

// ---- reading ----

struct Reader {
  const std::string& path;
  const std::string& blob;
  Status error(const std::string& what) const {
    return Status(Code::kInvalidModel, "engine file '" + path + "': " + what);
  }
  Result<Tensor> tensor(const json& j) const {
    try {
      const size_t offset = j.at("offset").get<size_t>(), bytes = j.at("bytes").get<size_t>();
      Tensor t = Tensor::make(static_cast<DType>(j.at("dtype").get<int>()), j.at("shape").get<Shape>());
      if (t.nbytes() != bytes || offset + bytes > blob.size()) return error("a constant lies outside the file");
      if (bytes > 0) std::memcpy(t.raw(), blob.data() + offset, bytes);
      return t;
    } catch (const json::exception& e) {
      return error(std::string("bad constant record: ") + e.what());
    }
  }
};

Result<Attribute> attribute_from(const Reader& r, const json& j) {
  Attribute a;
  if (j.contains("int")) a.kind = Attribute::Kind::kInt, a.i = j["int"].get<int64_t>();
  else if (j.contains("float")) a.kind = Attribute::Kind::kFloat, a.f = j["float"].get<float>();
  else if (j.contains("string")) a.kind = Attribute::Kind::kString, a.s = j["string"].get<std::string>();
  else if (j.contains("ints")) a.kind = Attribute::Kind::kInts, a.ints = j["ints"].get<std::vector<int64_t>>();
  else if (j.contains("floats")) a.kind = Attribute::Kind::kFloats, a.floats = j["floats"].get<std::vector<float>>();
  else if (j.contains("strings")) a.kind = Attribute::Kind::kStrings, a.strings = j["strings"].get<std::vector<std::string>>();
  else if (j.contains("tensor")) {
    a.kind = Attribute::Kind::kTensor;
    TANDEM_ASSIGN_OR_RETURN(a.t, r.tensor(j["tensor"]));
  } else {
    return r.error("an attribute of unknown kind");
  }
  return a;
}

Result<std::unique_ptr<Graph>> graph_from(const Reader& r, const json& j) {
  auto g = std::make_unique<Graph>();
  g->opsets = j.at("opsets").get<std::map<std::string, int64_t>>();
  std::map<std::string, Tensor> constants;  // constants read once even when several values share them
  for (const json& jv : j.at("values")) {
    Value* v = g->value(jv.at("name").get<std::string>());
    v->dtype = static_cast<DType>(jv.at("dtype").get<int>());
    v->has_shape = true;
    v->shape = jv.at("shape").get<Shape>();
    if (jv.contains("constant")) {
      std::string key = jv["constant"].at("offset").dump() + ":" + jv["constant"].dump();
      auto it = constants.find(key);
      if (it == constants.end()) {
        TANDEM_ASSIGN_OR_RETURN(Tensor t, r.tensor(jv["constant"]));
        it = constants.emplace(key, t).first;
      }
      v->constant = it->second;
    }
  }
  auto lookup = [&](const json& names, std::vector<Value*>& out) -> Status {
    for (const json& n : names) {
      if (n.is_null()) {
        out.push_back(nullptr);
        continue;
      }
      Value* v = g->find_value(n.get<std::string>());
      if (!v) return r.error("node refers to an unknown tensor '" + n.get<std::string>() + "'");
      out.push_back(v);
    }
    return Status::ok();
  };
  for (const json& jn : j.at("nodes")) {
    std::vector<Value*> ins, outs;
    TANDEM_RETURN_IF_ERROR(lookup(jn.at("inputs"), ins));
    TANDEM_RETURN_IF_ERROR(lookup(jn.at("outputs"), outs));
    Node* n = g->add_node(jn.at("op").get<std::string>(), jn.at("name").get<std::string>(), ins, outs,
                          jn.at("domain").get<std::string>());
    for (const auto& [name, ja] : jn.at("attrs").items()) {
      TANDEM_ASSIGN_OR_RETURN(Attribute a, attribute_from(r, ja));
      n->attrs.set(name, std::move(a));
    }
  }
  TANDEM_RETURN_IF_ERROR(lookup(j.at("inputs"), g->inputs));
  TANDEM_RETURN_IF_ERROR(lookup(j.at("outputs"), g->outputs));
  return g;
}

}  // namespace

bool is_engine_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  char magic[sizeof kMagic] = {};
  f.read(magic, sizeof magic);
  return f.gcount() == sizeof magic && std::memcmp(magic, kMagic, sizeof kMagic) == 0;
}

Status save_deployment(const Deployment& d, const std::string& path, const std::string& source_model) {
  BlobWriter blob;
  json stages = json::array();
  for (const DeployedStage& s : d.stages()) {
    TANDEM_CHECK_OR_RETURN(s.graph, kInternal, "stage '%s' keeps no compiled graph", s.name.c_str());
    Result<json> g = graph_json(*s.graph, blob);
    TANDEM_RETURN_IF_ERROR_CTX(g.status(), "stage '" + s.name + "'");
    json tactics = json::object();
    for (const StepInfo& step : s.engine->steps())
      if (!step.tactic.empty()) tactics[step.node_name] = step.tactic;
    stages.push_back({{"name", s.name}, {"plan_stage", s.plan_stage}, {"unit", s.unit},
                      {"precision", precision_name(s.precision)}, {"fallback_nodes", s.fallback_nodes},
                      {"graph", *g}, {"tactics", tactics}});
  }
  json tensors = json::array();
  for (const BoundaryTensor& t : d.tensors())
    tensors.push_back({{"name", t.name}, {"dtype", static_cast<int>(t.dtype)}, {"shape", t.shape},
                       {"producer", t.producer}, {"consumers", t.consumers}, {"model_output", t.model_output}});
  json header{{"tandem", "0.1.0"}, {"source_model", source_model}, {"plan", json::parse(plan_to_json(d.plan()))},
              {"tensors", tensors}, {"model_inputs", d.model_inputs()}, {"model_outputs", d.model_outputs()},
              {"stages", stages}};
  const std::string h = header.dump();
  std::string bytes(kMagic, sizeof kMagic);
  auto put = [&](const void* p, size_t n) { bytes.append(static_cast<const char*>(p), n); };
  put(&kFormatVersion, 4);
  uint64_t n = h.size();
  put(&n, 8);
  bytes += h;
  n = blob.blob().size();
  put(&n, 8);
  bytes += blob.blob();
  uint64_t sum = fnv1a(bytes.data(), bytes.size());
  put(&sum, 8);
  std::ofstream f(path, std::ios::binary);
  if (!f) return Status(Code::kIoError, "cannot write engine file '" + path + "'");
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return f.good() ? Status::ok() : Status(Code::kIoError, "cannot write engine file '" + path + "'");
}

namespace {
Result<std::unique_ptr<Deployment>> load_here(const std::string& path);
}  // namespace

Result<std::unique_ptr<Deployment>> load_deployment(const std::string& path) {
  // Its engines are instantiated with OpenMP too: on a thread of its own, as Deployment::build does.
  return on_build_thread([&] { return load_here(path); });
}

namespace {
Result<std::unique_ptr<Deployment>> load_here(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return Status(Code::kNotFound, "cannot open engine file '" + path + "'");
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string bytes = ss.str();
  const std::string blob_none;
  Reader bad{path, blob_none};
  if (bytes.size() < sizeof kMagic + 4 + 8 + 8 + 8 || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
    return bad.error("not a Tandem engine file");
  uint32_t version;
  std::memcpy(&version, bytes.data() + 8, 4);
  if (version != kFormatVersion)
    return bad.error(format("format version %u, but this Tandem reads version %u: rebuild it with `tandem build`",
                            version, kFormatVersion));
  uint64_t sum;
  std::memcpy(&sum, bytes.data() + bytes.size() - 8, 8);
  if (fnv1a(bytes.data(), bytes.size() - 8) != sum) return bad.error("checksum mismatch: the file is corrupt or truncated");
  uint64_t hn, bn;
  std::memcpy(&hn, bytes.data() + 12, 8);
  if (20 + hn + 8 > bytes.size() - 8) return bad.error("truncated header");
  std::memcpy(&bn, bytes.data() + 20 + hn, 8);
  if (28 + hn + bn != bytes.size() - 8) return bad.error("section sizes do not match the file size");
  json header = json::parse(bytes.begin() + 20, bytes.begin() + 20 + static_cast<long>(hn), nullptr, false);
  if (header.is_discarded()) return bad.error("header is not valid JSON");
  const std::string blob = bytes.substr(28 + hn, bn);
  Reader r{path, blob};
  try {
    TANDEM_ASSIGN_OR_RETURN(Plan plan, parse_plan(header.at("plan").dump(), "engine file '" + path + "' plan", available_cores()));
    TANDEM_ASSIGN_OR_RETURN(std::vector<std::unique_ptr<Unit>> units, make_units(plan));
    std::vector<BoundaryTensor> tensors;
    for (const json& t : header.at("tensors"))
      tensors.push_back({t.at("name").get<std::string>(), static_cast<DType>(t.at("dtype").get<int>()),
                         t.at("shape").get<Shape>(), t.at("producer").get<int>(), t.at("consumers").get<std::vector<int>>(),
                         t.at("model_output").get<bool>()});
    std::vector<DeployedStage> stages;
    for (const json& js : header.at("stages")) {
      DeployedStage st;
      st.name = js.at("name").get<std::string>();
      st.plan_stage = js.at("plan_stage").get<std::string>();
      st.unit = js.at("unit").get<int>();
      if (st.unit < 0 || st.unit >= static_cast<int>(units.size())) return r.error("stage '" + st.name + "' has no unit");
      TANDEM_ASSIGN_OR_RETURN(st.precision, parse_precision(js.at("precision").get<std::string>()));
      st.fallback_nodes = js.at("fallback_nodes").get<std::vector<std::string>>();
      TANDEM_ASSIGN_OR_RETURN(std::unique_ptr<Graph> g, graph_from(r, js.at("graph")));
      auto tactics = js.at("tactics").get<std::map<std::string, std::string>>();
      Result<std::unique_ptr<Engine>> e = units[static_cast<size_t>(st.unit)]->instantiate(*g, st.precision, tactics);
      TANDEM_RETURN_IF_ERROR_CTX(e.status(), "engine file '" + path + "': stage '" + st.name + "'");
      st.engine = std::move(e).value();
      st.graph = std::move(g);
      auto index = [&](const std::string& name) {
        for (size_t i = 0; i < tensors.size(); ++i)
          if (tensors[i].name == name) return static_cast<int>(i);
        return -1;
      };
      for (const TensorDesc& in : st.engine->inputs()) st.inputs.push_back(index(in.name));
      for (const TensorDesc& out : st.engine->outputs()) st.outputs.push_back(index(out.name));
      for (int i : st.inputs)
        if (i < 0) return r.error("stage '" + st.name + "' reads a tensor the file does not list");
      for (int i : st.outputs)
        if (i < 0) return r.error("stage '" + st.name + "' writes a tensor the file does not list");
      stages.push_back(std::move(st));
    }
    std::vector<int> model_inputs = header.at("model_inputs").get<std::vector<int>>();
    std::vector<int> model_outputs = header.at("model_outputs").get<std::vector<int>>();
    for (const std::vector<int>* list : {&model_inputs, &model_outputs})
      for (int i : *list)
        if (i < 0 || i >= static_cast<int>(tensors.size())) return r.error("a model port names no tensor");
    return Deployment::assemble(std::move(plan), std::move(units), std::move(stages), std::move(tensors),
                                std::move(model_inputs), std::move(model_outputs));
  } catch (const json::exception& e) {
    return r.error(std::string("malformed header: ") + e.what());
  }
}
}  // namespace

}  // namespace tandem
