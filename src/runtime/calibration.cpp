// Calibrator: the specialised model with its calibration tensors exposed as extra outputs, run on the CPU.
#include "runtime/calibration.h"

#include <omp.h>

#include <set>

#include "backends/cpu/cpu_engine.h"
#include "passes/fusion_match.h"
#include "passes/optimize.h"
#include "passes/specialize.h"

namespace tandem {

std::vector<std::string> calibration_tensors(const Graph& g) {
  std::map<std::string, std::string> aliases;
  return calibration_tensors(g, aliases);
}

std::vector<std::string> calibration_tensors(const Graph& g, std::map<std::string, std::string>& aliases) {
  std::vector<std::string> names;
  std::set<std::string> seen;
  auto order = g.topological_order();
  if (!order.is_ok()) return names;
  for (const Node* n : *order) {
    const bool conv = n->domain.empty() && n->op_type == "Conv";
    const bool matmul = n->domain.empty() && (n->op_type == "MatMul" || n->op_type == "Gemm");
    if (!conv && !matmul) continue;
    const Value* x = n->input(0);
    const Value* w = n->input(1);
    if (!x || x->is_constant() || x->dtype != DType::kFloat32 || !w || !w->is_constant()) continue;
    // The tensor behind any chain of data movement: the same values, and the name that survives the passes
    // (the int8 pass looks up through such chains, which fusion may rewrite, e.g. into channels-last views).
    auto behind_views = [&](const Value* v) {
      std::vector<std::string> chain;
      while (v->producer && fusion::is_data_movement(v->producer) && !v->producer->input(0)->is_constant()) {
        chain.push_back(v->name);
        v = v->producer->input(0);
      }
      for (const std::string& a : chain) aliases[a] = v->name;
      return v;
    };
    x = behind_views(x);
    if (seen.insert(x->name).second) names.push_back(x->name);
    // Up through float Resizes (not cubic, which overshoots): their sources get scales of their own.
    for (int depth = 0; depth < 8 && fusion::is_op(x->producer, "Resize") &&
                        x->producer->attrs.get_string("mode", "nearest") != "cubic";
         ++depth) {
      const Value* src = x->producer->input(0);
      if (!src || src->is_constant() || src->dtype != DType::kFloat32) break;
      x = behind_views(src);
      if (seen.insert(x->name).second) names.push_back(x->name);
    }
  }
  return names;
}

struct Calibrator::Impl {
  std::unique_ptr<CpuEngine> engine;
  int threads = 1;
  std::vector<Tensor> outputs;  // the model's outputs, then one per calibration tensor
  size_t first_stat = 0;
};

Calibrator::~Calibrator() = default;

Result<std::unique_ptr<Calibrator>> Calibrator::create(const Graph& imported,
                                                       const std::map<std::string, Shape>& input_shapes, int threads) {
  auto c = std::unique_ptr<Calibrator>(new Calibrator());
  c->impl_ = std::make_unique<Impl>();
  c->impl_->threads = threads;
  omp_set_num_threads(threads);
  std::unique_ptr<Graph> g = imported.clone();
  SpecializeOptions spec;
  spec.input_shapes = input_shapes;
  TANDEM_RETURN_IF_ERROR(specialize(*g, spec));
  c->tensors_ = calibration_tensors(*g, c->aliases_);
  TANDEM_CHECK_OR_RETURN(!c->tensors_.empty(), kInvalidArgument,
                         "the model has no convolution or matrix product with constant weights: nothing to calibrate");
  c->impl_->first_stat = g->outputs.size();
  // Exposed as outputs, the tensors survive fusion (no pass swallows a graph output), so they are the values
  // the fp32 model computes.
  for (const std::string& name : c->tensors_) g->outputs.push_back(g->find_value(name));
  TANDEM_RETURN_IF_ERROR(optimize(*g));
  CpuEngineOptions eo;
  eo.threads = threads;
  TANDEM_ASSIGN_OR_RETURN(c->impl_->engine, CpuEngine::build(*g, eo));
  for (const TensorDesc& d : c->impl_->engine->outputs()) c->impl_->outputs.push_back(Tensor::make(d.dtype, d.shape));
  for (const std::string& name : c->tensors_) c->stats_.emplace(name, HistogramCollector());
  return c;
}

Status Calibrator::add(const std::vector<Tensor>& inputs) {
  TANDEM_RETURN_IF_ERROR(impl_->engine->run(inputs, impl_->outputs));
  for (size_t i = 0; i < tensors_.size(); ++i) {
    const Tensor& t = impl_->outputs[impl_->first_stat + i];
    stats_.at(tensors_[i]).add(t.data<float>(), t.numel());
  }
  ++frames_;
  return Status::ok();
}

const HistogramCollector& Calibrator::statistics(const std::string& tensor) const { return stats_.at(tensor); }

Result<CalibrationCache> Calibrator::cache(CalibrationMethod method, const CalibrationOptions& options) const {
  TANDEM_CHECK_OR_RETURN(frames_ > 0, kInvalidArgument, "no calibration frame was run");
  CalibrationCache cache;
  cache.algorithm = cache_algorithm_name(method, options.percentile);
  for (const auto& [name, stats] : stats_) {
    Result<float> amax = calibrate_amax(stats, method, options);
    TANDEM_RETURN_IF_ERROR_CTX(amax.status(), "tensor '" + name + "'");
    cache.scales[name] = activation_scale_from_amax(*amax);
  }
  // The views on the way to each input (e.g. a stage boundary like c1 = reshape(transpose(tokens))) get the
  // same scale: a stage that receives the view finds it under its own name.
  for (const auto& [alias, root] : aliases_) cache.scales[alias] = cache.scales.at(root);
  return cache;
}

}  // namespace tandem
