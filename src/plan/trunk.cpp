// Trunk = intersection of the outputs' ancestor sets; heads = outputs grouped by shared non-trunk ancestors.
#include "plan/trunk.h"

#include <numeric>
#include <set>
#include <unordered_set>

namespace tandem {
namespace {

std::unordered_set<const Node*> ancestors(const Value* v) {
  std::unordered_set<const Node*> seen;
  std::vector<const Node*> todo;
  if (v->producer) todo.push_back(v->producer);
  while (!todo.empty()) {
    const Node* n = todo.back();
    todo.pop_back();
    if (!seen.insert(n).second) continue;
    for (const Value* in : n->inputs)
      if (in && in->producer) todo.push_back(in->producer);
  }
  return seen;
}

int find_root(std::vector<int>& parent, int i) {
  while (parent[static_cast<size_t>(i)] != i) i = parent[static_cast<size_t>(i)] = parent[static_cast<size_t>(parent[static_cast<size_t>(i)])];
  return i;
}

}  // namespace

Result<TrunkSplit> find_shared_trunk(const Graph& graph) {
  const size_t n_out = graph.outputs.size();
  TANDEM_CHECK_OR_RETURN(n_out >= 2, kInvalidArgument,
                         "the model has %zu output(s); splitting into heads needs at least two", n_out);
  std::vector<std::unordered_set<const Node*>> anc;
  for (const Value* o : graph.outputs) anc.push_back(ancestors(o));
  TANDEM_ASSIGN_OR_RETURN(std::vector<Node*> order, graph.topological_order());
  std::unordered_set<const Node*> trunk;
  for (const Node* n : order) {
    bool all = true;
    for (const auto& a : anc) all = all && a.count(n);
    if (all) trunk.insert(n);
  }
  TANDEM_CHECK_OR_RETURN(!trunk.empty(), kInvalidArgument, "no node is shared by all %zu model outputs: no trunk", n_out);

  TrunkSplit split;
  split.trunk_nodes = trunk.size();
  for (const Node* n : order) {
    if (!trunk.count(n)) continue;
    for (const Value* v : n->outputs) {
      if (!v) continue;
      bool read_outside = graph.is_graph_output(v);
      for (const Node* c : v->consumers) read_outside = read_outside || !trunk.count(c);
      if (read_outside) split.boundary.push_back(v->name);
    }
  }
  // Outputs whose head (non-trunk ancestors) overlap form one head.
  std::vector<int> parent(n_out);
  std::iota(parent.begin(), parent.end(), 0);
  for (size_t i = 0; i < n_out; ++i)
    for (size_t j = i + 1; j < n_out; ++j)
      for (const Node* n : anc[i])
        if (!trunk.count(n) && anc[j].count(n)) {
          parent[static_cast<size_t>(find_root(parent, static_cast<int>(j)))] = find_root(parent, static_cast<int>(i));
          break;
        }
  std::vector<int> head_of_root(n_out, -1);
  for (size_t i = 0; i < n_out; ++i) {
    int r = find_root(parent, static_cast<int>(i));
    if (head_of_root[static_cast<size_t>(r)] < 0) {
      head_of_root[static_cast<size_t>(r)] = static_cast<int>(split.heads.size());
      split.heads.emplace_back();
    }
    split.heads[static_cast<size_t>(head_of_root[static_cast<size_t>(r)])].push_back(graph.outputs[i]->name);
  }
  return split;
}

Plan heads_plan(const TrunkSplit& split, const std::vector<UnitSpec>& units, const std::string& backbone_unit,
                const std::string& heads_unit, int in_flight) {
  Plan plan;
  plan.units = units;
  plan.fallback_unit = backbone_unit;
  plan.in_flight = in_flight;
  plan.stages.push_back({"backbone", backbone_unit, split.boundary, Precision::kFp32, {}});
  for (const auto& outputs : split.heads) {
    std::string name = outputs.front();
    for (const std::string& suffix : {std::string("_logits"), std::string("_out"), std::string("_output")})
      if (name.size() > suffix.size() && name.ends_with(suffix)) name.resize(name.size() - suffix.size());
    plan.stages.push_back({name + "_head", heads_unit, outputs, Precision::kFp32, {}});
  }
  return plan;
}

}  // namespace tandem
