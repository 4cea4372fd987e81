// `tandem inspect`: inputs, outputs, operator counts, parameters and FLOPs (per node and in total).
#include <algorithm>
#include <iomanip>
#include <iostream>

#include "backends/cpu/cpu_engine.h"
#include "backends/cpu/cpu_unit.h"
#include "command.h"
#include "ir/graph.h"
#include "onnx/onnx_import.h"
#include "passes/optimize.h"
#include "plan/trunk.h"
#include "runtime/deployment.h"

namespace tandem::cli {
namespace {

struct InspectOptions {
  std::string model;
  std::vector<std::string> shapes;
  bool per_node = false;
  bool support = false;
};

// --support: per node, what each compute unit can do with it in each precision. The graph is the imported one,
// or the specialised one where --shape fixes the inputs (shape arithmetic folded away, so only what runs is
// listed). CPU units are the only kind in this build.
void print_support(const Graph& g) {
  CpuUnit cpu(UnitSpec{"cpu", "cpu", {0}});
  auto order = g.topological_order();
  std::vector<Node*> nodes = order.is_ok() ? *order : g.live_nodes();
  const bool native_bf16 = CpuUnit::native_bf16();
  int unsupported = 0, int8 = 0, bf16 = 0;
  std::cout << "  support per node (unit cpu; fp32 | int8 | bf16):\n";
  for (const Node* n : nodes) {
    const bool fp32 = cpu.supports(*n, Precision::kFp32);
    const bool q = fp32 && int8_quantizable(*n);
    const bool passthrough = fp32 && !q && int8_resizable(n);  // int8 between int8 convs (fuse_requantize)
    const bool b = fp32 && native_bf16 && bf16_markable(*n);
    unsupported += !fp32;
    int8 += q;
    bf16 += b;
    std::cout << "    " << std::left << std::setw(18) << n->op_type << std::right << " "
              << (fp32 ? "fp32" : "NO  ") << " | "
              << (!fp32 ? "NO           " : q ? "int8         " : passthrough ? "int8 between " : "float in int8")
              << " | "
              << (!fp32 ? "NO     " : b ? "bf16   " : "as fp32") << "  " << n->name << "\n";
  }
  std::cout << "  " << nodes.size() << " nodes: " << nodes.size() - static_cast<size_t>(unsupported)
            << " run on cpu, " << unsupported << " unsupported; " << int8
            << " run in int8 in an int8 stage (given calibration scales), resizes marked 'int8 between' run in int8 "
               "between two int8 convs, the rest in float there; "
            << (native_bf16 ? std::to_string(bf16) + " multiply in bf16 in a bf16 stage, the rest in fp32\n"
                            : std::string("bf16 stages run as fp32 here (this CPU has no AVX-512 BF16)\n"));
}

std::string port_shape(const TensorInfo& p) {
  std::string s = "[";
  for (size_t i = 0; i < p.shape.size(); ++i) {
    if (i) s += ",";
    bool named = i < p.dim_names.size() && !p.dim_names[i].empty();
    s += p.shape[i] >= 0 ? std::to_string(p.shape[i]) : (named ? p.dim_names[i] : "?");
  }
  return s + "]";
}

// The backbone/heads cut `tandem plan --split heads` would make, with the boundary tensors' sizes.
void print_trunk_boundary(const ModelSession& session, const std::map<std::string, Shape>& shapes) {
  if (session.outputs().size() < 2) return;
  auto g = specialized_copy(session.graph(), shapes);
  if (!g.is_ok()) return;
  auto split = find_shared_trunk(**g);
  if (!split.is_ok()) {
    std::cout << "  shared trunk: none (" << split.status().message() << ")\n";
    return;
  }
  double bytes = 0;
  std::cout << "  shared trunk: " << split->trunk_nodes << " nodes, " << split->heads.size()
            << " heads; boundary (tandem plan --split heads):\n";
  for (const std::string& name : split->boundary) {
    const Value* v = (*g)->find_value(name);
    const double b = static_cast<double>(shape_numel(v->shape) * static_cast<int64_t>(dtype_size(v->dtype)));
    bytes += b;
    std::cout << "    " << name << " " << dtype_name(v->dtype) << " " << shape_to_string(v->shape) << "  "
              << std::setprecision(1) << b / 1024 << " KiB\n";
  }
  std::cout << "    total " << std::setprecision(1) << bytes / 1024 << " KiB per frame\n";
}

Status inspect_command(const InspectOptions& o) {
  Result<std::unique_ptr<ModelSession>> loaded = ModelSession::load(o.model, ModelSessionOptions{});
  if (!loaded.is_ok() && o.support && loaded.status().code() == Code::kUnsupported) {
    // The model cannot run, which is what --support is asked to explain: the table for the imported graph.
    TANDEM_ASSIGN_OR_RETURN(std::unique_ptr<Graph> imported, import_onnx_file(o.model));
    std::cout << "model " << o.model << "\n";
    print_support(*imported);
    return Status::ok();
  }
  TANDEM_ASSIGN_OR_RETURN(std::unique_ptr<ModelSession> session, std::move(loaded));
  const Graph& g = session->graph();
  std::cout << "model " << o.model << "\n";
  for (const auto& [domain, version] : g.opsets)
    std::cout << "  opset " << (domain.empty() ? "ai.onnx" : domain) << " " << version << "\n";
  for (const TensorInfo& p : session->inputs())
    std::cout << "  input  " << p.name << " " << dtype_name(p.dtype) << " " << port_shape(p) << "\n";
  for (const TensorInfo& p : session->outputs())
    std::cout << "  output " << p.name << " " << dtype_name(p.dtype) << " " << port_shape(p) << "\n";
  std::map<std::string, int> ops;
  for (Node* n : g.live_nodes()) ++ops[n->op_type];
  double params = 0;
  for (const auto& v : g.values())
    if (v->is_constant() && dtype_is_float(v->dtype)) params += static_cast<double>(v->constant->numel());
  std::cout << "  nodes " << g.node_count() << ", parameters " << std::fixed << std::setprecision(3) << params / 1e6
            << " M\n  operators:";
  for (const auto& [op, count] : ops) std::cout << " " << op << "=" << count;
  std::cout << "\n";

  auto shapes = resolve_shapes(session->inputs(), o.shapes);
  TANDEM_RETURN_IF_ERROR(shapes.status());
  if (o.support) {
    auto spec = specialized_copy(g, *shapes);
    print_support(spec.is_ok() ? **spec : g);
  }
  // Every input shape known (declared, or fixed by --shape): a model that does not build is an error, not a note.
  bool concrete = true;
  for (const TensorInfo& p : session->inputs()) {
    auto it = shapes->find(p.name);
    const Shape& s = it != shapes->end() ? it->second : p.shape;
    concrete = concrete && std::all_of(s.begin(), s.end(), [](int64_t d) { return d >= 0; });
  }
  auto engine = session->engine_for(*shapes);
  if (!engine.is_ok() && concrete) return engine.status();
  if (!engine.is_ok()) {
    std::cout << "  FLOPs: unknown until input shapes are fixed (" << engine.status().message() << ")\n";
    return Status::ok();
  }
  double total = 0;
  for (const StepInfo& s : (*engine)->steps()) total += s.flops;
  std::cout << "  after specialisation and fusion: " << (*engine)->steps().size() << " kernels, arena "
            << std::setprecision(1) << static_cast<double>((*engine)->arena_bytes()) / (1 << 20) << " MiB\n";
  if (o.per_node) {
    std::cout << "  per node (GFLOP, kernel):\n";
    for (const StepInfo& s : (*engine)->steps())
      std::cout << "    " << std::setw(8) << std::setprecision(4) << s.flops / 1e9 << "  " << s.op_type << " "
                << s.node_name << "  [" << s.impl << "]\n";
  }
  std::cout << "  total " << std::setprecision(3) << total / 1e9 << " GFLOP\n";
  print_trunk_boundary(*session, *shapes);
  return Status::ok();
}

}  // namespace

void add_inspect_command(CLI::App& app, CommandResult& result) {
  auto o = std::make_shared<InspectOptions>();
  CLI::App* cmd = app.add_subcommand("inspect", "Show a model's inputs, outputs, operators, parameters and FLOPs");
  cmd->add_option("model", o->model, "ONNX model")->required();
  cmd->add_option("--shape", o->shapes, "HxW for NCHW inputs, or name=AxBxCxD (needed for FLOPs of dynamic models)");
  cmd->add_flag("--per-node", o->per_node, "List every kernel with its FLOPs and implementation");
  cmd->add_flag("--support", o->support, "Per node, whether each unit and precision supports it");
  cmd->callback([o, &result] { result.status = inspect_command(*o); });
}

}  // namespace tandem::cli
