// Deployment build: import, specialise, partition by the plan, compile each stage on its unit.
#include "runtime/deployment.h"

#include <algorithm>
#include <chrono>

#include "backends/cpu/cpu_unit.h"
#include "onnx/onnx_import.h"
#include "passes/specialize.h"
#include "runtime/build_thread.h"

namespace tandem {

Result<std::vector<std::unique_ptr<Unit>>> make_units(const Plan& plan) {
  std::vector<std::unique_ptr<Unit>> units;
  for (const UnitSpec& spec : plan.units) {
    TANDEM_CHECK_OR_RETURN(spec.kind == "cpu", kUnsupported,
                           "unit '%s': kind '%s' is not available in this build (cpu only)", spec.name.c_str(),
                           spec.kind.c_str());
    units.push_back(std::make_unique<CpuUnit>(spec));
  }
  return units;
}

namespace {

Value* scalar_constant(Graph& g, const std::string& name, Tensor t) {
  Value* v = g.value(name);
  v->dtype = t.dtype();
  v->has_shape = true;
  v->shape = t.shape();
  v->constant = std::move(t);
  return v;
}

// The boundary quantizer: a float tensor that only int8 stages read (and that has a calibrated scale) is
// quantised once, at the end of the stage that produces it, and crosses as int8; every reading stage takes
// the one int8 buffer (dequantising it only for ops that stay in float). The tensor is renamed
// "<name>:int8" and typed int8 in the partition.
void quantize_int8_boundaries(Partition& p, const std::map<std::string, float>& scales) {
  for (BoundaryTensor& t : p.tensors) {
    if (t.producer < 0 || t.consumers.empty() || t.model_output || t.dtype != DType::kFloat32) continue;
    auto scale = scales.find(t.name);
    if (scale == scales.end()) continue;
    bool all_int8 = true;
    for (int c : t.consumers) all_int8 = all_int8 && p.stages[static_cast<size_t>(c)].precision == Precision::kInt8;
    if (!all_int8) continue;
    const std::string qname = t.name + ":int8";
    // Producer: QuantizeLinear(v) becomes the output in place of v.
    Graph& g = *p.stages[static_cast<size_t>(t.producer)].graph;
    Value* v = g.find_value(t.name);
    Value* vq = g.value(qname);
    vq->dtype = DType::kInt8;
    vq->has_shape = true;
    vq->shape = t.shape;
    g.add_node("QuantizeLinear", t.name + "/boundary_quantize",
               {v, scalar_constant(g, t.name + "/scale", Tensor::scalar<float>(scale->second)),
                scalar_constant(g, t.name + "/zero_point", Tensor::scalar<int8_t>(0))},
               {vq});
    std::replace(g.outputs.begin(), g.outputs.end(), v, vq);
    // Consumers: the int8 tensor comes in; DequantizeLinear rebuilds v for whatever reads it in float.
    for (int c : t.consumers) {
      Graph& gc = *p.stages[static_cast<size_t>(c)].graph;
      Value* in = gc.find_value(t.name);
      Value* inq = gc.value(qname);
      inq->dtype = DType::kInt8;
      inq->has_shape = true;
      inq->shape = t.shape;
      std::replace(gc.inputs.begin(), gc.inputs.end(), in, inq);
      gc.add_node("DequantizeLinear", t.name + "/boundary_dequantize",
                  {inq, scalar_constant(gc, t.name + "/scale", Tensor::scalar<float>(scale->second)),
                   scalar_constant(gc, t.name + "/zero_point", Tensor::scalar<int8_t>(0))},
                  {in});
    }
    t.name = qname;
    t.dtype = DType::kInt8;
  }
}

}  // namespace

Result<std::unique_ptr<Graph>> specialized_copy(const Graph& imported, const std::map<std::string, Shape>& input_shapes) {
  std::unique_ptr<Graph> g = imported.clone();
  SpecializeOptions spec;
  spec.input_shapes = input_shapes;
  TANDEM_RETURN_IF_ERROR(specialize(*g, spec));
  return g;
}

std::vector<int> available_cores() { return current_thread_cores(); }

Plan single_unit_plan(const std::vector<std::string>& model_outputs, const std::vector<int>& cores, int in_flight) {
  Plan plan;
  plan.units.push_back({"cpu", "cpu", cores});
  plan.fallback_unit = "cpu";
  plan.in_flight = in_flight;
  plan.stages.push_back({"model", "cpu", model_outputs, Precision::kFp32, {}});
  return plan;
}

std::unique_ptr<Deployment> Deployment::assemble(Plan plan, std::vector<std::unique_ptr<Unit>> units,
                                                 std::vector<DeployedStage> stages, std::vector<BoundaryTensor> tensors,
                                                 std::vector<int> model_inputs, std::vector<int> model_outputs) {
  auto d = std::unique_ptr<Deployment>(new Deployment());
  d->plan_ = std::move(plan);
  d->units_ = std::move(units);
  d->stages_ = std::move(stages);
  d->tensors_ = std::move(tensors);
  d->model_inputs_ = std::move(model_inputs);
  d->model_outputs_ = std::move(model_outputs);
  return d;
}

Result<std::unique_ptr<Deployment>> Deployment::build(const std::string& model_path, const Plan& plan,
                                                      const DeploymentOptions& options) {
  TANDEM_ASSIGN_OR_RETURN(std::unique_ptr<Graph> imported, import_onnx_file(model_path));
  TANDEM_RETURN_IF_ERROR_CTX(check_ops_supported(*imported), "'" + model_path + "'");
  return build(*imported, plan, options);
}

Result<std::unique_ptr<Deployment>> Deployment::build(const Graph& imported, const Plan& plan,
                                                      const DeploymentOptions& options) {
  return on_build_thread([&] { return build_here(imported, plan, options); });
}

Result<std::unique_ptr<Deployment>> Deployment::build_here(const Graph& imported, const Plan& plan,
                                                           const DeploymentOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  auto d = std::unique_ptr<Deployment>(new Deployment());
  d->plan_ = plan;
  TANDEM_ASSIGN_OR_RETURN(d->units_, make_units(plan));
  TANDEM_ASSIGN_OR_RETURN(std::unique_ptr<Graph> graph, specialized_copy(imported, options.input_shapes));
  if (!options.scales.empty()) {
    // A TensorRT cache may list tensors this graph does not have (its own layer outputs); one that names none
    // of ours was made for another model, and would silently leave every layer in float.
    size_t known = 0;
    for (const auto& [name, scale] : options.scales) known += graph->find_value(name) != nullptr;
    TANDEM_CHECK_OR_RETURN(known > 0, kInvalidArgument,
                           "the calibration cache names none of the model's tensors (first entry '%s'): it was made "
                           "for another model",
                           options.scales.begin()->first.c_str());
  }

  auto unit_index = [&](const std::string& name) {
    for (size_t i = 0; i < d->units_.size(); ++i)
      if (d->units_[i]->spec().name == name) return static_cast<int>(i);
    return -1;
  };
  UnitSupports supports = [&](const UnitSpec& spec, const Node& node, Precision precision) {
    int u = unit_index(spec.name);
    return u >= 0 && d->units_[static_cast<size_t>(u)]->supports(node, precision);
  };
  TANDEM_ASSIGN_OR_RETURN(Partition partition, partition_graph(*graph, plan, supports));
  quantize_int8_boundaries(partition, options.scales);
  d->tensors_ = partition.tensors;
  auto tensor_index = [&](const std::string& name) {
    for (size_t i = 0; i < d->tensors_.size(); ++i)
      if (d->tensors_[i].name == name) return static_cast<int>(i);
    return -1;
  };
  for (const Value* v : graph->inputs) d->model_inputs_.push_back(tensor_index(v->name));
  for (const Value* v : graph->outputs) {
    int i = tensor_index(v->name);
    TANDEM_CHECK_OR_RETURN(i >= 0, kUnsupported, "model output '%s' is a constant; nothing to run", v->name.c_str());
    d->model_outputs_.push_back(i);
  }

  for (StageGraph& sg : partition.stages) {
    DeployedStage st;
    st.name = sg.name;
    st.plan_stage = sg.plan_stage;
    st.unit = unit_index(sg.unit);
    st.precision = sg.precision;
    st.fallback_nodes = sg.fallback_nodes;
    CompileOptions co;
    co.precision = sg.precision;
    co.optimize = options.optimize;
    // No cache means no scales: an int8 stage must fail here, not build with every layer left in float.
    co.scales = options.scales.empty() ? nullptr : &options.scales;
    for (const LayerOverride& o : sg.overrides)
      if (o.precision != Precision::kInt8) co.keep_float.push_back(o.match);
    Result<CompiledStage> compiled = d->units_[static_cast<size_t>(st.unit)]->compile(*sg.graph, co);
    TANDEM_RETURN_IF_ERROR_CTX(compiled.status(), "stage '" + sg.name + "'");
    st.engine = std::move(compiled->engine);
    st.graph = std::move(compiled->graph);
    st.precision = compiled->precision;
    st.notes = std::move(compiled->notes);
    for (const TensorDesc& in : st.engine->inputs()) st.inputs.push_back(tensor_index(in.name));
    for (const TensorDesc& out : st.engine->outputs()) st.outputs.push_back(tensor_index(out.name));
    d->stages_.push_back(std::move(st));
  }
  d->build_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return d;
}

}  // namespace tandem
