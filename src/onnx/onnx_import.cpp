// ONNX ModelProto -> Graph: opsets, initializers, inputs/outputs with their declared types, nodes, attributes.
#include "onnx/onnx_import.h"

#include <onnx/onnx_pb.h>

#include <set>

#include "core/regular_file.h"
#include "onnx/node_arity.h"
#include "onnx/tensor_proto.h"

namespace tandem {
namespace {

std::string normalize_domain(const std::string& d) { return d == "ai.onnx" ? "" : d; }

Result<Attribute> convert_attribute(const onnx::AttributeProto& a, const std::string& base_dir,
                                    const std::string& where) {
  Attribute out;
  using A = onnx::AttributeProto;
  switch (a.type()) {
    case A::INT: out.kind = Attribute::Kind::kInt; out.i = a.i(); break;
    case A::FLOAT: out.kind = Attribute::Kind::kFloat; out.f = a.f(); break;
    case A::STRING: out.kind = Attribute::Kind::kString; out.s = a.s(); break;
    case A::INTS: out.kind = Attribute::Kind::kInts; out.ints.assign(a.ints().begin(), a.ints().end()); break;
    case A::FLOATS: out.kind = Attribute::Kind::kFloats; out.floats.assign(a.floats().begin(), a.floats().end()); break;
    case A::STRINGS: out.kind = Attribute::Kind::kStrings; out.strings.assign(a.strings().begin(), a.strings().end()); break;
    case A::TENSOR: {
      out.kind = Attribute::Kind::kTensor;
      TANDEM_ASSIGN_OR_RETURN(out.t, tensor_from_proto(a.t(), base_dir, where + " attribute '" + a.name() + "'"));
      break;
    }
    case A::GRAPH: case A::GRAPHS: out.kind = Attribute::Kind::kGraph; break;  // control flow: rejected by the op check
    default:
      return Status(Code::kUnsupported,
                    where + " attribute '" + a.name() + "' has unsupported type " + std::to_string(a.type()));
  }
  return out;
}

// Declared element type and shape of a graph input/output; unknown dims become -1 with their symbol kept.
void apply_type(const onnx::ValueInfoProto& info, Value* v) {
  if (!info.type().has_tensor_type()) return;
  const auto& tt = info.type().tensor_type();
  if (dtype_is_valid(tt.elem_type())) v->dtype = static_cast<DType>(tt.elem_type());
  if (!tt.has_shape()) return;
  v->has_shape = true;
  v->shape.clear();
  v->dim_names.clear();
  for (const auto& d : tt.shape().dim()) {
    v->shape.push_back(d.has_dim_value() ? d.dim_value() : -1);
    v->dim_names.push_back(d.has_dim_param() ? d.dim_param() : "");
  }
}

}  // namespace

Result<std::unique_ptr<Graph>> import_onnx_bytes(const std::string& bytes, const std::string& base_dir,
                                                 const std::string& where) {
  onnx::ModelProto model;
  TANDEM_CHECK_OR_RETURN(!bytes.empty(), kInvalidModel, "'%s' is empty", where.c_str());
  TANDEM_CHECK_OR_RETURN(model.ParseFromString(bytes), kInvalidModel,
                         "'%s' is not a valid ONNX model (protobuf parse failed: truncated or not ONNX)",
                         where.c_str());
  TANDEM_CHECK_OR_RETURN(model.has_graph() && model.ir_version() > 0, kInvalidModel,
                         "'%s' is not an ONNX model (no graph or IR version)", where.c_str());
  const onnx::GraphProto& gp = model.graph();
  auto graph = std::make_unique<Graph>();
  graph->name = gp.name();
  for (const auto& op : model.opset_import()) graph->opsets[normalize_domain(op.domain())] = op.version();
  if (!graph->opsets.count("")) graph->opsets[""] = 1;  // IR < 3 models have no opset_import

  TANDEM_CHECK_OR_RETURN(gp.sparse_initializer_size() == 0, kUnsupported, "'%s': sparse initializers are not supported",
                         where.c_str());
  for (const auto& init : gp.initializer()) {
    TANDEM_ASSIGN_OR_RETURN(Tensor t, tensor_from_proto(init, base_dir, "initializer '" + init.name() + "'"));
    Value* v = graph->value(init.name());
    v->dtype = t.dtype();
    v->has_shape = true;
    v->shape = t.shape();
    v->constant = std::move(t);
  }
  for (const auto& in : gp.input()) {
    Value* v = graph->value(in.name());
    if (v->is_constant()) continue;  // IR < 4 lists initializers among inputs; they stay constants
    TANDEM_CHECK_OR_RETURN(in.type().has_tensor_type(), kUnsupported,
                           "'%s': input '%s' is not a tensor (sequences/maps/optionals are not supported)",
                           where.c_str(), in.name().c_str());
    apply_type(in, v);
    graph->inputs.push_back(v);
  }

  // Every name a node may read: inputs, initializers and every node output (in any order, cycles are found later).
  const std::set<const Value*> graph_inputs(graph->inputs.begin(), graph->inputs.end());
  std::set<std::string> produced;
  for (const auto& n : gp.node())
    for (const auto& o : n.output()) {
      if (o.empty()) continue;
      TANDEM_CHECK_OR_RETURN(!produced.count(o) && !graph->find_value(o), kInvalidModel,
                             "'%s': tensor '%s' is produced twice", where.c_str(), o.c_str());
      produced.insert(o);
    }

  int index = 0;
  for (const auto& np : gp.node()) {
    std::string name = np.name().empty() ? np.op_type() + "_" + std::to_string(index) : np.name();
    ++index;
    const std::string domain = normalize_domain(np.domain());
    auto opset = graph->opsets.find(domain);
    TANDEM_RETURN_IF_ERROR(check_node_arity(np, domain, opset == graph->opsets.end() ? 1 : opset->second,
                                            "'" + where + "': node '" + name + "' (" + np.op_type() + ")"));
    std::vector<Value*> ins, outs;
    for (const auto& i : np.input()) {
      if (i.empty()) {
        ins.push_back(nullptr);
        continue;
      }
      Value* v = graph->find_value(i);
      if (!produced.count(i) && (!v || (!v->is_constant() && !graph_inputs.count(v))))
        return Status(Code::kInvalidModel, "'" + where + "': node '" + name + "' (" + np.op_type() + ") reads '" + i +
                                               "', which is not a graph input, an initializer or any node's output");
      ins.push_back(graph->value(i));
    }
    for (const auto& o : np.output()) outs.push_back(o.empty() ? nullptr : graph->value(o));
    Node* node = graph->add_node(np.op_type(), name, ins, outs, normalize_domain(np.domain()));
    for (const auto& a : np.attribute()) {
      TANDEM_ASSIGN_OR_RETURN(Attribute attr, convert_attribute(a, base_dir, node->describe()));
      node->attrs.set(a.name(), std::move(attr));
    }
  }
  for (const auto& vi : gp.value_info()) {
    if (Value* v = graph->find_value(vi.name())) {
      if (!v->is_constant()) apply_type(vi, v);
    }
  }
  for (const auto& out : gp.output()) {
    Value* v = graph->find_value(out.name());
    TANDEM_CHECK_OR_RETURN(v, kInvalidModel, "'%s': graph output '%s' is not produced by any node", where.c_str(),
                           out.name().c_str());
    if (v->dtype == DType::kUndefined) apply_type(out, v);
    graph->outputs.push_back(v);
  }
  TANDEM_RETURN_IF_ERROR_CTX(graph->topological_order().status(), "'" + where + "'");
  return graph;
}

Result<std::unique_ptr<Graph>> import_onnx_file(const std::string& path) {
  TANDEM_ASSIGN_OR_RETURN(std::string bytes, read_regular_file(path, kMaxProtobufFileBytes, "model"));
  std::string dir = path.find('/') == std::string::npos ? "." : path.substr(0, path.rfind('/'));
  return import_onnx_bytes(bytes, dir, path);
}

}  // namespace tandem
