// `tandem plan`: writes a deployment plan: the shared trunk found automatically (--split heads) or a cut at
// named tensors (--split T1,T2,...), backbone on one unit and the heads on another.
#include <iomanip>
#include <iostream>

#include "command.h"
#include "plan/trunk.h"
#include "runtime/deployment.h"

namespace tandem::cli {
namespace {

struct PlanOptions {
  std::string model;
  std::string split = "heads";
  std::vector<std::string> shapes;
  std::vector<int> backbone_cores, heads_cores;
  int in_flight = 2;
  std::string out;
};

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t c = s.find(',', start);
    std::string part = s.substr(start, c == std::string::npos ? std::string::npos : c - start);
    if (!part.empty()) out.push_back(part);
    if (c == std::string::npos) break;
    start = c + 1;
  }
  return out;
}

Status plan_command(const PlanOptions& o) {
  TANDEM_ASSIGN_OR_RETURN(std::unique_ptr<ModelSession> session, ModelSession::load(o.model, ModelSessionOptions{}));
  TANDEM_ASSIGN_OR_RETURN(auto shapes, resolve_shapes(session->inputs(), o.shapes));
  TANDEM_ASSIGN_OR_RETURN(std::unique_ptr<Graph> g, specialized_copy(session->graph(), shapes));

  // Units: the given cores, or the first half of this process's cores for the backbone and the rest for heads.
  std::vector<int> cores = available_cores();
  std::vector<int> bb = o.backbone_cores, hd = o.heads_cores;
  if (bb.empty()) bb.assign(cores.begin(), cores.begin() + static_cast<long>(std::max<size_t>(1, cores.size() / 2)));
  if (hd.empty()) {
    for (int c : cores)
      if (std::find(bb.begin(), bb.end(), c) == bb.end()) hd.push_back(c);
    if (hd.empty()) hd = bb;  // one core: both stages on it, still pipelined in order
  }
  std::vector<UnitSpec> units{{"backbone_unit", "cpu", bb}};
  const bool shared = hd == bb;
  if (!shared) units.push_back({"heads_unit", "cpu", hd});
  const std::string heads_unit = shared ? "backbone_unit" : "heads_unit";

  Plan plan;
  if (o.split == "heads") {
    TANDEM_ASSIGN_OR_RETURN(TrunkSplit split, find_shared_trunk(*g));
    plan = heads_plan(split, units, "backbone_unit", heads_unit, o.in_flight);
    std::cout << "shared trunk: " << split.trunk_nodes << " nodes; " << split.heads.size() << " heads\n";
  } else {
    std::vector<std::string> cut = split_commas(o.split);
    std::vector<std::string> outputs;
    for (const Value* v : g->outputs) outputs.push_back(v->name);
    plan.units = units;
    plan.fallback_unit = "backbone_unit";
    plan.in_flight = o.in_flight;
    plan.stages.push_back({"part1", "backbone_unit", cut, Precision::kFp32, {}});
    plan.stages.push_back({"part2", heads_unit, outputs, Precision::kFp32, {}});
  }
  // Check it against the model before writing it.
  TANDEM_ASSIGN_OR_RETURN(Plan checked, parse_plan(plan_to_json(plan), "generated plan", {}));
  TANDEM_ASSIGN_OR_RETURN(Partition part, partition_graph(*g, checked, nullptr));
  for (const StageGraph& s : part.stages)
    std::cout << "stage " << s.name << " on " << s.unit << ": " << s.graph->node_count() << " nodes\n";
  std::cout << "boundary tensors:\n";
  for (const BoundaryTensor& t : part.tensors) {
    if (t.producer < 0 || t.consumers.empty()) continue;
    std::cout << "  " << t.name << " " << dtype_name(t.dtype) << " " << shape_to_string(t.shape) << "  "
              << std::fixed << std::setprecision(2) << static_cast<double>(t.bytes()) / 1024.0 << " KiB\n";
  }
  if (o.out.empty()) {
    std::cout << plan_to_json(checked);
    return Status::ok();
  }
  TANDEM_RETURN_IF_ERROR(save_plan(checked, o.out));
  std::cout << "wrote " << o.out << "\n";
  return Status::ok();
}

}  // namespace

void add_plan_command(CLI::App& app, CommandResult& result) {
  auto o = std::make_shared<PlanOptions>();
  CLI::App* cmd = app.add_subcommand("plan", "Write a deployment plan: backbone + heads on separate units");
  cmd->add_option("model", o->model, "ONNX model")->required();
  cmd->add_option("--split", o->split, "'heads' (find the shared trunk) or tensor names T1,T2,... to cut at");
  cmd->add_option("--shape", o->shapes, "HxW for NCHW inputs, or name=AxBxCxD");
  cmd->add_option("--backbone-cores", o->backbone_cores, "Cores of the backbone's unit (default: first half)");
  cmd->add_option("--heads-cores", o->heads_cores, "Cores of the heads' unit (default: the other cores)");
  cmd->add_option("--in-flight", o->in_flight, "Frames in flight")->check(CLI::Range(1, 64));
  cmd->add_option("-o,--output", o->out, "Write the plan here (default: print it)");
  cmd->callback([o, &result] { result.status = plan_command(*o); });
}

}  // namespace tandem::cli
