// CPU engine build (kernel choice, aliasing, memory plan) and the per-frame run loop.
#include "backends/cpu/cpu_engine.h"

#include <omp.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <unordered_map>

#include "backends/cpu/cpu_kernels.h"
#include "backends/cpu/memory_plan.h"
#include "core/memory_limit.h"
#include "ops/flops.h"
#include "passes/verify_graph.h"

namespace tandem {

Result<std::unique_ptr<CpuEngine>> CpuEngine::build(const Graph& graph, const CpuEngineOptions& options) {
  auto engine = std::unique_ptr<CpuEngine>(new CpuEngine());
  engine->options_ = options;
  TANDEM_CHECK_OR_RETURN(options.threads >= 1, kInvalidArgument, "threads must be >= 1, got %d", options.threads);
  // Kernels size every read and write from the values' recorded shapes: a graph whose shapes disagree with what
  // its nodes compute (a hostile engine file, or a pass's bug) must stop here, not overrun a buffer.
  TANDEM_RETURN_IF_ERROR_CTX(verify_recorded_graph(graph), "the graph to compile");
  omp_set_num_threads(options.threads);  // kernels query the thread count while preparing
  TANDEM_ASSIGN_OR_RETURN(std::vector<Node*> order, graph.topological_order());

  // Arena-resident values: everything that is not a constant. Aliases share their root's buffer.
  std::unordered_map<const Value*, int> buffer_of;
  std::vector<BufferRequest> requests;
  std::vector<const Value*> buffer_value;
  auto new_buffer = [&](const Value* v, int step) {
    buffer_of[v] = static_cast<int>(requests.size());
    requests.push_back({v->shape_is_concrete() ? static_cast<size_t>(shape_numel(v->shape)) * dtype_size(v->dtype) : 0,
                        step, step});
    buffer_value.push_back(v);
  };
  for (Value* in : graph.inputs) new_buffer(in, -1);

  for (size_t s = 0; s < order.size(); ++s) {
    Node* node = order[s];
    const OpSchema* schema = OpRegistry::global().find(node->domain, node->op_type);
    TANDEM_CHECK_OR_RETURN(schema, kUnsupported, "%s: operator is not supported", node->describe().c_str());
    OpContext ctx = make_op_context(graph, *node);
    for (Value* v : node->inputs)
      TANDEM_CHECK_OR_RETURN(!v || v->shape_is_concrete(), kInternal, "%s: input '%s' has no concrete shape",
                             node->describe().c_str(), v->name.c_str());
    Step step;
    auto tactic = options.tactics.find(node->name);
    auto kernel = select_cpu_kernel(*schema, ctx, tactic == options.tactics.end() ? std::string() : tactic->second);
    TANDEM_RETURN_IF_ERROR_CTX(kernel.status(), node->describe());
    step.kernel = std::move(kernel.value());
    int step_index = static_cast<int>(s);
    for (Value* v : node->inputs)
      if (v && !v->is_constant()) {
        auto it = buffer_of.find(v);
        TANDEM_CHECK_OR_RETURN(it != buffer_of.end(), kInternal, "%s: input '%s' is never written",
                               node->describe().c_str(), v->name.c_str());
        requests[static_cast<size_t>(it->second)].last_step = step_index;
      }
    for (size_t o = 0; o < node->outputs.size(); ++o) {
      Value* v = node->outputs[o];
      if (!v) continue;
      Value* src = node->input(0);
      if (o == 0 && step.kernel->output_aliases_input() && src && !src->is_constant() &&
          shape_numel(src->shape) * static_cast<int64_t>(dtype_size(src->dtype)) ==
              shape_numel(v->shape) * static_cast<int64_t>(dtype_size(v->dtype))) {
        buffer_of[v] = buffer_of[src];
      } else {
        new_buffer(v, step_index);
      }
    }
    engine->step_info_.push_back(
        {node->name, node->op_type, step.kernel->impl_name(), step.kernel->tactic(), node_flops(ctx)});
    engine->steps_.push_back(std::move(step));
  }
  for (Value* out : graph.outputs)
    if (!out->is_constant()) requests[static_cast<size_t>(buffer_of[out])].last_step = std::numeric_limits<int>::max();

  MemoryPlan plan = plan_memory(requests);
  engine->arena_bytes_ = plan.total_bytes;
  TANDEM_ASSIGN_OR_RETURN(engine->arena_, allocate_counted(plan.total_bytes + 64, "the engine's activation arena"));
  auto* base = static_cast<std::byte*>(engine->arena_.get());

  // Views: constants are the constant tensors themselves (sharing, and so keeping alive, their storage);
  // everything else points into the arena.
  auto view_of = [&](const Value* v) -> Tensor {
    if (!v) return Tensor();
    if (v->is_constant()) return *v->constant;
    size_t offset = plan.offsets[static_cast<size_t>(buffer_of.at(v))];
    return Tensor::view(v->dtype, v->shape, base + offset);
  };
  for (size_t s = 0; s < order.size(); ++s) {
    for (Value* v : order[s]->inputs) engine->steps_[s].in.push_back(view_of(v));
    for (Value* v : order[s]->outputs) engine->steps_[s].out.push_back(view_of(v));
  }
  for (Value* v : graph.inputs) {
    engine->inputs_.push_back({v->name, v->dtype, v->shape});
    engine->input_slots_.push_back(view_of(v));
  }
  for (Value* v : graph.outputs) {
    engine->outputs_.push_back({v->name, v->dtype, v->shape});
    engine->output_slots_.push_back(view_of(v));
  }

  // Port bindings: every step view in a port's buffer (the port's value and its aliases) is rebound to the
  // caller's memory by run_bound(). A buffer two ports share cannot take two addresses: those ports copy.
  std::unordered_map<int, std::vector<Tensor*>> views_of_buffer;
  for (size_t s = 0; s < order.size(); ++s) {
    for (size_t k = 0; k < order[s]->inputs.size(); ++k) {
      const Value* v = order[s]->inputs[k];
      if (v && !v->is_constant()) views_of_buffer[buffer_of.at(v)].push_back(&engine->steps_[s].in[k]);
    }
    for (size_t k = 0; k < order[s]->outputs.size(); ++k) {
      const Value* v = order[s]->outputs[k];
      if (v) views_of_buffer[buffer_of.at(v)].push_back(&engine->steps_[s].out[k]);
    }
  }
  std::unordered_map<int, int> ports_on_buffer;
  for (const auto* list : {&graph.inputs, &graph.outputs})
    for (const Value* v : *list)
      if (!v->is_constant()) ++ports_on_buffer[buffer_of.at(v)];
  auto refs_of = [&](const Value* v) {
    PortRefs r;
    r.bindable = !v->is_constant() && ports_on_buffer[buffer_of.at(v)] == 1;
    if (r.bindable) r.views = views_of_buffer[buffer_of.at(v)];
    return r;
  };
  for (const Value* v : graph.inputs) engine->input_refs_.push_back(refs_of(v));
  for (const Value* v : graph.outputs) engine->output_refs_.push_back(refs_of(v));
  return engine;
}

Status CpuEngine::check_ports(std::span<const Tensor> inputs, std::span<Tensor> outputs) const {
  TANDEM_CHECK_OR_RETURN(inputs.size() == inputs_.size(), kInvalidArgument, "expected %zu inputs, got %zu",
                         inputs_.size(), inputs.size());
  TANDEM_CHECK_OR_RETURN(outputs.size() == outputs_.size(), kInvalidArgument, "expected %zu outputs, got %zu",
                         outputs_.size(), outputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const TensorDesc& d = inputs_[i];
    TANDEM_CHECK_OR_RETURN(inputs[i].dtype() == d.dtype && inputs[i].shape() == d.shape, kInvalidArgument,
                           "input '%s' expects %s %s, got %s %s", d.name.c_str(), dtype_name(d.dtype),
                           shape_to_string(d.shape).c_str(), dtype_name(inputs[i].dtype()),
                           shape_to_string(inputs[i].shape()).c_str());
  }
  for (size_t i = 0; i < outputs.size(); ++i) {
    TANDEM_CHECK_OR_RETURN(outputs[i].nbytes() == output_slots_[i].nbytes() && outputs[i].dtype() == outputs_[i].dtype,
                           kInvalidArgument, "output '%s' buffer must be %s %s", outputs_[i].name.c_str(),
                           dtype_name(outputs_[i].dtype), shape_to_string(outputs_[i].shape).c_str());
  }
  return Status::ok();
}

void CpuEngine::bind(std::vector<PortRefs>& ports, size_t i, void* data) {
  for (Tensor* view : ports[i].views) view->rebind(data);
}

Status CpuEngine::run_steps(const RunProbe* probe) {
  omp_set_num_threads(options_.threads);
  const bool timed = probe && (probe->step_seconds || probe->trace);
  for (size_t s = 0; s < steps_.size(); ++s) {
    Step& step = steps_[s];
    const double t0 = timed ? trace_clock() : 0.0;
    Status st = step.kernel->run(step.in, step.out);
    if (!st.is_ok()) return st.with_context("node '" + step_info_[s].node_name + "' (" + step_info_[s].op_type + ")");
    if (timed) {
      const double t1 = trace_clock();
      if (probe->step_seconds) (*probe->step_seconds)[s] += t1 - t0;
      if (probe->trace) probe->trace->add({step_info_[s].node_name.c_str(), probe->frame, t0, t1, TraceEvent::Kind::kLayer});
    }
  }
  return Status::ok();
}

Status CpuEngine::run(std::span<const Tensor> inputs, std::span<Tensor> outputs, std::vector<double>* step_seconds) {
  TANDEM_RETURN_IF_ERROR(check_ports(inputs, outputs));
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (input_refs_[i].bindable) bind(input_refs_, i, input_slots_[i].raw());
    std::memcpy(input_slots_[i].raw(), inputs[i].raw(), inputs[i].nbytes());
  }
  for (size_t i = 0; i < outputs.size(); ++i)
    if (output_refs_[i].bindable) bind(output_refs_, i, output_slots_[i].raw());
  RunProbe probe;
  probe.step_seconds = step_seconds;
  TANDEM_RETURN_IF_ERROR(run_steps(&probe));
  for (size_t i = 0; i < outputs.size(); ++i)
    std::memcpy(outputs[i].raw(), output_slots_[i].raw(), output_slots_[i].nbytes());
  return Status::ok();
}

Status CpuEngine::run_bound(std::span<const Tensor> inputs, std::span<Tensor> outputs, const RunProbe* probe) {
  TANDEM_RETURN_IF_ERROR(check_ports(inputs, outputs));
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (input_refs_[i].bindable) {
      bind(input_refs_, i, const_cast<void*>(inputs[i].raw()));  // kernels never write their inputs
    } else {
      std::memcpy(input_slots_[i].raw(), inputs[i].raw(), inputs[i].nbytes());
    }
  }
  for (size_t i = 0; i < outputs.size(); ++i)
    if (output_refs_[i].bindable) bind(output_refs_, i, outputs[i].raw());
  TANDEM_RETURN_IF_ERROR(run_steps(probe));
  for (size_t i = 0; i < outputs.size(); ++i)
    if (!output_refs_[i].bindable) std::memcpy(outputs[i].raw(), output_slots_[i].raw(), output_slots_[i].nbytes());
  return Status::ok();
}

}  // namespace tandem
