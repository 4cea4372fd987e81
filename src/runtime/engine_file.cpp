// The .tdm engine file, writing: a deployment saved after compilation, so that loading skips import,
// specialisation, the fusion passes and the tactic search (kernels are re-created with the recorded tactics,
// weights re-packed). The layout is in engine_format.h; reading is engine_file_load.cpp.
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "core/regular_file.h"
#include "runtime/engine_format.h"
#include "runtime/deployment.h"

namespace tandem {
namespace {

using json = nlohmann::json;

using namespace engine_format;

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

}  // namespace

bool is_engine_file(const std::string& path) {
  // Without blocking: a FIFO given as a model must come back as "not a regular file", not hang here.
  Result<RegularFile> f = RegularFile::open(path, "file");
  char magic[sizeof kMagic] = {};
  return f.is_ok() && f->read_at(0, magic, sizeof magic).is_ok() && std::memcmp(magic, kMagic, sizeof kMagic) == 0;
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

}  // namespace tandem
