// Graph construction, rewiring, topological order and cloning.
#include "ir/graph.h"

#include <algorithm>
#include <unordered_map>

namespace tandem {

bool Value::shape_is_concrete() const {
  if (!has_shape) return false;
  return std::all_of(shape.begin(), shape.end(), [](int64_t d) { return d >= 0; });
}

std::string Node::describe() const {
  std::string op = domain.empty() || domain == "ai.onnx" ? op_type : domain + "." + op_type;
  return "node '" + name + "' (" + op + ")";
}

Value* Graph::value(const std::string& name) {
  auto it = by_name_.find(name);
  if (it != by_name_.end()) return it->second;
  values_.push_back(std::make_unique<Value>());
  Value* v = values_.back().get();
  v->name = name;
  by_name_[name] = v;
  return v;
}

Value* Graph::find_value(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

Value* Graph::new_value(const std::string& hint) {
  std::string name;
  do {
    name = hint + "__" + std::to_string(fresh_counter_++);
  } while (by_name_.count(name));
  return value(name);
}

Node* Graph::add_node(std::string op_type, std::string name, std::vector<Value*> inputs, std::vector<Value*> outputs,
                      std::string domain) {
  nodes_.push_back(std::make_unique<Node>());
  Node* n = nodes_.back().get();
  n->op_type = std::move(op_type);
  n->name = std::move(name);
  n->domain = std::move(domain);
  n->inputs = std::move(inputs);
  n->outputs = std::move(outputs);
  for (Value* v : n->inputs)
    if (v) v->consumers.push_back(n);
  for (Value* v : n->outputs)
    if (v) v->producer = n;
  return n;
}

void Graph::remove_node(Node* node) {
  for (Value* v : node->inputs) {
    if (!v) continue;
    auto& c = v->consumers;
    auto it = std::find(c.begin(), c.end(), node);
    if (it != c.end()) c.erase(it);
  }
  for (Value* v : node->outputs)
    if (v && v->producer == node) v->producer = nullptr;
  node->dead = true;
}

void Graph::replace_all_uses(Value* from, Value* to) {
  for (Node* n : std::vector<Node*>(from->consumers)) {
    for (size_t i = 0; i < n->inputs.size(); ++i)
      if (n->inputs[i] == from) {
        n->inputs[i] = to;
        to->consumers.push_back(n);
      }
  }
  from->consumers.clear();
  for (Value*& out : outputs)
    if (out == from) out = to;
}

void Graph::set_node_input(Node* node, int index, Value* v) {
  Value* old = node->input(index);
  if (old) {
    auto& c = old->consumers;
    auto it = std::find(c.begin(), c.end(), node);
    if (it != c.end()) c.erase(it);
  }
  if (index >= node->num_inputs()) node->inputs.resize(static_cast<size_t>(index) + 1, nullptr);
  node->inputs[static_cast<size_t>(index)] = v;
  if (v) v->consumers.push_back(node);
}

int64_t Graph::opset(const std::string& domain) const {
  auto it = opsets.find(domain);
  if (it == opsets.end() && domain.empty()) it = opsets.find("ai.onnx");
  return it == opsets.end() ? 0 : it->second;
}

bool Graph::is_graph_output(const Value* v) const {
  return std::find(outputs.begin(), outputs.end(), v) != outputs.end();
}

std::vector<Node*> Graph::live_nodes() const {
  std::vector<Node*> out;
  for (const auto& n : nodes_)
    if (!n->dead) out.push_back(n.get());
  return out;
}

size_t Graph::node_count() const { return live_nodes().size(); }

Result<std::vector<Node*>> Graph::topological_order() const {
  // Kahn's algorithm in model order, so the result is stable and close to how the exporter wrote it.
  std::vector<Node*> nodes = live_nodes();
  std::unordered_map<const Node*, int> pending;
  for (Node* n : nodes) {
    int count = 0;
    for (Value* v : n->inputs)
      if (v && v->producer && !v->producer->dead) ++count;
    pending[n] = count;
  }
  std::vector<Node*> order, ready;
  for (auto it = nodes.rbegin(); it != nodes.rend(); ++it)
    if (pending[*it] == 0) ready.push_back(*it);
  while (!ready.empty()) {
    Node* n = ready.back();
    ready.pop_back();
    order.push_back(n);
    std::vector<Node*> unlocked;
    for (Value* v : n->outputs) {
      if (!v) continue;
      // `consumers` holds a node once per input slot reading v, matching how `pending` was counted.
      for (Node* c : v->consumers)
        if (--pending[c] == 0) unlocked.push_back(c);
    }
    // Keep model order among the newly ready nodes.
    for (auto it = unlocked.rbegin(); it != unlocked.rend(); ++it) ready.push_back(*it);
  }
  if (order.size() != nodes.size()) {
    for (Node* n : nodes)
      if (pending[n] > 0)
        return Status(Code::kInvalidModel, "the graph has a cycle through " + n->describe());
  }
  return order;
}

void Graph::compact() {
  nodes_.erase(std::remove_if(nodes_.begin(), nodes_.end(), [](const auto& n) { return n->dead; }), nodes_.end());
  std::unordered_map<const Value*, bool> used;
  for (const auto& n : nodes_) {
    for (Value* v : n->inputs) used[v] = true;
    for (Value* v : n->outputs) used[v] = true;
  }
  for (Value* v : inputs) used[v] = true;
  for (Value* v : outputs) used[v] = true;
  for (auto& v : values_) {
    if (!used.count(v.get())) by_name_.erase(v->name);
  }
  values_.erase(std::remove_if(values_.begin(), values_.end(), [&](const auto& v) { return !used.count(v.get()); }),
                values_.end());
}

std::unique_ptr<Graph> Graph::clone() const {
  auto g = std::make_unique<Graph>();
  g->name = name;
  g->opsets = opsets;
  g->fresh_counter_ = fresh_counter_;
  std::unordered_map<const Value*, Value*> vmap;
  vmap[nullptr] = nullptr;
  for (const auto& v : values_) {
    Value* c = g->value(v->name);
    c->dtype = v->dtype;
    c->has_shape = v->has_shape;
    c->shape = v->shape;
    c->dim_names = v->dim_names;
    c->constant = v->constant;
    vmap[v.get()] = c;
  }
  for (const auto& n : nodes_) {
    if (n->dead) continue;
    std::vector<Value*> ins, outs;
    for (Value* v : n->inputs) ins.push_back(vmap[v]);
    for (Value* v : n->outputs) outs.push_back(vmap[v]);
    Node* c = g->add_node(n->op_type, n->name, ins, outs, n->domain);
    c->attrs = n->attrs;
  }
  for (Value* v : inputs) g->inputs.push_back(vmap[v]);
  for (Value* v : outputs) g->outputs.push_back(vmap[v]);
  return g;
}

}  // namespace tandem
