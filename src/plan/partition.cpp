// Stage assignment (walk back from each stage's outputs), fallback splitting, and sub-graph extraction.
#include "plan/partition.h"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

namespace tandem {
namespace {

// Claims for `stage` every not yet claimed node that `v` depends on.
void claim(const Value* v, int stage, std::unordered_map<const Node*, int>& owner) {
  std::vector<const Node*> todo;
  if (v->producer) todo.push_back(v->producer);
  while (!todo.empty()) {
    const Node* n = todo.back();
    todo.pop_back();
    if (owner.count(n)) continue;
    owner[n] = stage;
    for (const Value* in : n->inputs)
      if (in && in->producer && !owner.count(in->producer)) todo.push_back(in->producer);
  }
}

struct Segment {
  std::vector<const Node*> nodes;  // topological order
  int plan_stage = 0;
  bool fallback = false;
};

// Splits each plan stage's nodes (topological order) into runs its unit supports and runs it does not.
std::vector<Segment> segments(const Plan& plan, const std::vector<Node*>& order,
                              const std::unordered_map<const Node*, int>& owner, const UnitSupports& supports) {
  std::vector<std::vector<const Node*>> per_stage(plan.stages.size());
  for (const Node* n : order) {
    auto it = owner.find(n);
    if (it != owner.end()) per_stage[static_cast<size_t>(it->second)].push_back(n);
  }
  std::vector<Segment> out;
  for (size_t s = 0; s < plan.stages.size(); ++s) {
    const StageSpec& spec = plan.stages[s];
    const UnitSpec& unit = *plan.unit(spec.unit);
    const bool can_fall_back = spec.unit != plan.fallback_unit;
    size_t first = out.size();
    for (const Node* n : per_stage[s]) {
      bool fallback = can_fall_back && supports && !supports(unit, *n, spec.precision);
      if (out.size() == first || out.back().fallback != fallback) out.push_back({{}, static_cast<int>(s), fallback});
      out.back().nodes.push_back(n);
    }
    if (out.size() == first) out.push_back({{}, static_cast<int>(s), false});  // an empty stage stays visible
  }
  return out;
}

// A copy of `nodes` as a graph of its own: inputs are what they read from outside, outputs what `keep` says.
std::unique_ptr<Graph> extract(const Graph& g, const std::vector<const Node*>& nodes,
                               const std::function<bool(const Value*)>& keep, std::vector<const Value*>& inputs_out,
                               std::vector<const Value*>& outputs_out) {
  auto sub = std::make_unique<Graph>();
  sub->name = g.name;
  sub->opsets = g.opsets;
  std::set<const Node*> inside(nodes.begin(), nodes.end());
  std::unordered_map<const Value*, Value*> map;
  auto copy = [&](const Value* v) -> Value* {
    if (!v) return nullptr;
    auto it = map.find(v);
    if (it != map.end()) return it->second;
    Value* c = sub->value(v->name);
    c->dtype = v->dtype;
    c->has_shape = v->has_shape;
    c->shape = v->shape;
    c->dim_names = v->dim_names;
    c->constant = v->constant;  // shares the immutable storage
    map[v] = c;
    if (!v->is_constant() && !(v->producer && inside.count(v->producer))) {
      sub->inputs.push_back(c);
      inputs_out.push_back(v);
    }
    return c;
  };
  for (const Node* n : nodes) {
    std::vector<Value*> ins, outs;
    for (const Value* v : n->inputs) ins.push_back(copy(v));
    for (const Value* v : n->outputs) outs.push_back(v ? copy(v) : nullptr);
    sub->add_node(n->op_type, n->name, ins, outs, n->domain)->attrs = n->attrs;
  }
  for (const Node* n : nodes)
    for (const Value* v : n->outputs)
      if (v && keep(v)) {
        sub->outputs.push_back(map.at(v));
        outputs_out.push_back(v);
      }
  return sub;
}

}  // namespace

const BoundaryTensor* Partition::tensor(const std::string& name) const {
  for (const BoundaryTensor& t : tensors)
    if (t.name == name) return &t;
  return nullptr;
}

Result<Partition> partition_graph(const Graph& graph, const Plan& plan, const UnitSupports& supports) {
  TANDEM_ASSIGN_OR_RETURN(std::vector<Node*> order, graph.topological_order());
  std::unordered_map<const Node*, int> owner;
  for (size_t s = 0; s < plan.stages.size(); ++s) {
    const StageSpec& spec = plan.stages[s];
    for (const std::string& name : spec.outputs) {
      const Value* v = graph.find_value(name);
      const std::string where = "stage '" + spec.name + "': output '" + name + "'";
      TANDEM_CHECK_OR_RETURN(v && (v->producer || v->is_constant() ||
                                   std::find(graph.inputs.begin(), graph.inputs.end(), v) != graph.inputs.end()),
                             kNotFound, "%s is not a tensor of the model", where.c_str());
      TANDEM_CHECK_OR_RETURN(v->producer && !v->is_constant(), kInvalidArgument,
                             "%s is a model input or a constant, which no stage computes", where.c_str());
      auto it = owner.find(v->producer);
      TANDEM_CHECK_OR_RETURN(it == owner.end() || it->second == static_cast<int>(s), kInvalidArgument,
                             "%s is already computed by the earlier stage '%s' (list stages in dependency order)",
                             where.c_str(), plan.stages[static_cast<size_t>(it == owner.end() ? 0 : it->second)].name.c_str());
      claim(v, static_cast<int>(s), owner);
    }
  }
  for (const Value* out : graph.outputs)
    TANDEM_CHECK_OR_RETURN(out->is_constant() || !out->producer || owner.count(out->producer), kInvalidArgument,
                           "model output '%s' is not produced by any stage; add it to a stage's outputs",
                           out->name.c_str());

  std::vector<Segment> segs = segments(plan, order, owner, supports);
  std::unordered_map<const Node*, int> seg_of;
  for (size_t k = 0; k < segs.size(); ++k)
    for (const Node* n : segs[k].nodes) seg_of[n] = static_cast<int>(k);

  Partition p;
  std::map<const Value*, size_t> tensor_index;
  auto tensor_for = [&](const Value* v) -> BoundaryTensor& {
    auto it = tensor_index.find(v);
    if (it != tensor_index.end()) return p.tensors[it->second];
    tensor_index[v] = p.tensors.size();
    p.tensors.push_back({v->name, v->dtype, v->shape, -1, {}, graph.is_graph_output(v)});
    return p.tensors.back();
  };
  for (const Value* in : graph.inputs) tensor_for(in);

  std::map<int, int> parts_of_stage;
  for (size_t k = 0; k < segs.size(); ++k) {
    const Segment& seg = segs[k];
    const StageSpec& spec = plan.stages[static_cast<size_t>(seg.plan_stage)];
    // Kept: tensors another segment reads, model outputs, and what the plan lists as this stage's outputs.
    auto keep = [&](const Value* v) {
      if (graph.is_graph_output(v)) return true;
      if (std::find(spec.outputs.begin(), spec.outputs.end(), v->name) != spec.outputs.end()) return true;
      for (const Node* c : v->consumers) {
        auto it = seg_of.find(c);
        if (it != seg_of.end() && it->second != static_cast<int>(k)) return true;
      }
      return false;
    };
    StageGraph sg;
    int part = parts_of_stage[seg.plan_stage]++;
    sg.name = part == 0 ? spec.name : spec.name + "#" + std::to_string(part);
    sg.plan_stage = spec.name;
    sg.unit = seg.fallback ? plan.fallback_unit : spec.unit;
    sg.precision = spec.precision;
    sg.overrides = spec.overrides;
    if (seg.fallback)
      for (const Node* n : seg.nodes) sg.fallback_nodes.push_back(n->describe());
    std::vector<const Value*> ins, outs;
    sg.graph = extract(graph, seg.nodes, keep, ins, outs);
    for (const Value* v : ins) tensor_for(v).consumers.push_back(static_cast<int>(k));
    for (const Value* v : outs) tensor_for(v).producer = static_cast<int>(k);
    p.stages.push_back(std::move(sg));
  }
  return p;
}

}  // namespace tandem
