#include "runtime/layer_report.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "unit/unit.h"

namespace tandem {

Result<std::unique_ptr<TensorTap>> TensorTap::create(const Deployment& deployment) {
  auto tap = std::unique_ptr<TensorTap>(new TensorTap());
  for (int i : deployment.model_inputs()) tap->model_inputs_.push_back(deployment.tensors()[static_cast<size_t>(i)].name);
  std::map<std::string, std::string> latest_key;  // value name -> key of its latest producer
  for (const std::string& name : tap->model_inputs_) latest_key[name] = name;
  for (const DeployedStage& stage : deployment.stages()) {
    std::map<std::string, std::string> key_of;
    TANDEM_CHECK_OR_RETURN(stage.graph != nullptr, kInternal, "stage '%s' has no compiled graph", stage.name.c_str());
    std::unique_ptr<Graph> graph = stage.graph->clone();
    TANDEM_ASSIGN_OR_RETURN(std::vector<Node*> order, graph->topological_order());
    for (Node* n : order) {
      for (Value* v : n->outputs) {
        if (v == nullptr || v->dtype != DType::kFloat32 || !v->shape_is_concrete()) continue;
        if (!graph->is_graph_output(v)) graph->outputs.push_back(v);
        const std::string key = latest_key.count(v->name) ? v->name + "@" + stage.name : v->name;
        Produced p{key, v->name, n->name, n->op_type, stage.name, {}};
        for (Value* in : n->inputs) {
          if (in == nullptr || in->is_constant() || in->dtype != DType::kFloat32) continue;
          auto local = key_of.find(in->name);
          if (local != key_of.end()) {
            p.inputs.push_back(local->second);
          } else if (auto it = latest_key.find(in->name); it != latest_key.end()) {
            p.inputs.push_back(it->second);
          }
        }
        key_of[v->name] = key;
        tap->produced_.push_back(std::move(p));
      }
    }
    // The tactics the stage's engine chose, so the tapped engine runs the same kernels without re-timing.
    std::map<std::string, std::string> tactics;
    for (const StepInfo& s : stage.engine->steps()) {
      if (!s.tactic.empty()) tactics[s.node_name] = s.tactic;
    }
    const Unit& unit = *deployment.units()[static_cast<size_t>(stage.unit)];
    Result<std::unique_ptr<Engine>> engine = unit.instantiate(*graph, stage.precision, tactics);
    if (!engine.is_ok()) return engine.status().with_context("layer report: stage '" + stage.name + "'");
    for (const auto& [name, key] : key_of) latest_key[name] = key;
    tap->stages_.push_back({stage.name, std::move(engine).value(), std::move(key_of)});
  }
  return tap;
}

Result<std::vector<std::pair<std::string, Tensor>>> TensorTap::run(std::span<const Tensor> inputs) {
  TANDEM_CHECK_OR_RETURN(inputs.size() == model_inputs_.size(), kInvalidArgument, "layer report: %zu inputs, the model has %zu",
                         inputs.size(), model_inputs_.size());
  std::map<std::string, Tensor> values;
  for (size_t i = 0; i < inputs.size(); ++i) values[model_inputs_[i]] = inputs[i];
  std::vector<std::pair<std::string, Tensor>> out;
  for (Stage& stage : stages_) {
    std::vector<Tensor> in, res;
    for (const TensorDesc& d : stage.engine->inputs()) {
      auto it = values.find(d.name);
      TANDEM_CHECK_OR_RETURN(it != values.end(), kInternal, "layer report: stage '%s' reads '%s', which no earlier stage made",
                             stage.name.c_str(), d.name.c_str());
      in.push_back(it->second);
    }
    for (const TensorDesc& d : stage.engine->outputs()) res.push_back(Tensor::make(d.dtype, d.shape));
    TANDEM_RETURN_IF_ERROR_CTX(stage.engine->run_bound(in, res), "layer report: stage '" + stage.name + "'");
    for (size_t i = 0; i < res.size(); ++i) {
      const TensorDesc& d = stage.engine->outputs()[i];
      values[d.name] = res[i];
      auto key = stage.key_of.find(d.name);
      if (d.dtype == DType::kFloat32 && key != stage.key_of.end()) out.emplace_back(key->second, res[i]);
    }
  }
  return out;
}

Result<std::unique_ptr<LayerReport>> LayerReport::create(const Deployment& subject, const Deployment& reference) {
  auto report = std::unique_ptr<LayerReport>(new LayerReport());
  TANDEM_ASSIGN_OR_RETURN(report->subject_, TensorTap::create(subject));
  TANDEM_ASSIGN_OR_RETURN(report->reference_, TensorTap::create(reference));
  std::set<std::string> in_reference;
  for (const TensorTap::Produced& p : report->reference_->produced()) in_reference.insert(p.key);
  for (const TensorTap::Produced& p : report->subject_->produced()) {
    if (in_reference.count(p.tensor)) report->order_.push_back(p);
  }
  TANDEM_CHECK_OR_RETURN(!report->order_.empty(), kInvalidArgument,
                         "layer report: the two configurations share no tensor names (are they the same model?)");
  report->sums_.resize(report->order_.size());
  report->elements_.resize(report->order_.size(), 0);
  return report;
}

Status LayerReport::add_frame(std::span<const Tensor> inputs) {
  TANDEM_ASSIGN_OR_RETURN(auto a_list, subject_->run(inputs));
  TANDEM_ASSIGN_OR_RETURN(auto b_list, reference_->run(inputs));
  std::map<std::string, const Tensor*> a, b;
  for (const auto& [name, t] : a_list) a[name] = &t;
  for (const auto& [name, t] : b_list) b[name] = &t;
  for (size_t k = 0; k < order_.size(); ++k) {
    auto ia = a.find(order_[k].key), ib = b.find(order_[k].tensor);
    if (ia == a.end() || ib == b.end() || ia->second->shape() != ib->second->shape()) continue;
    const float* x = ia->second->data<float>();
    const float* y = ib->second->data<float>();
    Sums& s = sums_[k];
    for (int64_t i = 0, n = ia->second->numel(); i < n; ++i) {
      const double d = static_cast<double>(x[i]) - y[i];
      s.dot += static_cast<double>(x[i]) * y[i];
      s.aa += static_cast<double>(x[i]) * x[i];
      s.bb += static_cast<double>(y[i]) * y[i];
      s.dd += d * d;
      s.max_abs = std::max(s.max_abs, std::abs(d));
    }
    elements_[k] = ia->second->numel();
  }
  ++frames_;
  return Status::ok();
}

std::vector<TensorError> LayerReport::result() const {
  std::vector<TensorError> out;
  std::map<std::string, double> rel;
  for (size_t k = 0; k < order_.size(); ++k) {
    const Sums& s = sums_[k];
    if (elements_[k] == 0) continue;
    TensorError e;
    e.tensor = order_[k].key;
    e.node = order_[k].node;
    e.op_type = order_[k].op_type;
    e.stage = order_[k].stage;
    e.cosine = (s.aa > 0 && s.bb > 0) ? s.dot / std::sqrt(s.aa * s.bb) : (s.dd == 0 ? 1.0 : 0.0);
    e.rel_l2 = s.bb > 0 ? std::sqrt(s.dd / s.bb) : (s.dd == 0 ? 0.0 : INFINITY);
    e.max_abs = s.max_abs;
    e.elements = elements_[k];
    double worst_input = 0;
    for (const std::string& in : order_[k].inputs) {
      auto it = rel.find(in);
      if (it == rel.end()) continue;
      e.inputs.push_back(in);
      worst_input = std::max(worst_input, it->second);
    }
    e.growth = e.rel_l2 - worst_input;
    rel[e.tensor] = e.rel_l2;
    out.push_back(std::move(e));
  }
  return out;
}

int first_divergence(const std::vector<TensorError>& report, double threshold) {
  for (size_t i = 0; i < report.size(); ++i) {
    if (report[i].rel_l2 > threshold) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace tandem
