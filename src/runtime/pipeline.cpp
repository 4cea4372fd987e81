// Pipeline: slot ring, per-(slot, stage) run contexts and events, and the submit/receive protocol.
#include "runtime/pipeline.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "core/memory_limit.h"

namespace tandem {

struct Pipeline::StageRun {
  Engine* engine = nullptr;
  std::vector<Tensor> inputs, outputs;  // views into the slot
  std::string label;
  // Written by the stage's stream thread, read by the host after the stage's event completed.
  double begin = 0, end = 0;
  std::vector<double>* compute = nullptr;  // shared per stage (same stream thread for all slots)
  std::vector<double>* layer_seconds = nullptr;  // shared per stage, with profile_layers
};

Status Pipeline::run_stage(void* ctx, TaskEnv& env) {
  auto* r = static_cast<StageRun*>(ctx);
  RunProbe probe;
  probe.trace = env.trace;
  probe.frame = env.frame;
  probe.step_seconds = r->layer_seconds;
  r->begin = trace_clock();
  Status st = r->engine->run_bound(r->inputs, r->outputs, env.trace || r->layer_seconds ? &probe : nullptr);
  r->end = trace_clock();
  if (r->compute->size() < r->compute->capacity()) r->compute->push_back(r->end - r->begin);
  return st;
}

Result<std::unique_ptr<Pipeline>> Pipeline::create(Deployment& d, const PipelineOptions& options) {
  auto p = std::unique_ptr<Pipeline>(new Pipeline(d));
  p->slots_ = options.in_flight > 0 ? options.in_flight : d.plan().in_flight;
  TANDEM_CHECK_OR_RETURN(p->slots_ >= 1 && p->slots_ <= 64, kInvalidArgument, "in_flight must be 1..64, got %d",
                         p->slots_);
  const auto& tensors = d.tensors();
  const size_t n_stages = d.stages().size();

  // One allocation per slot holding every tensor of a frame, each 64-byte aligned.
  std::vector<size_t> offset(tensors.size());
  size_t total = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    offset[i] = total;
    total += (tensors[i].bytes() + 63) / 64 * 64;
  }
  for (int s = 0; s < p->slots_; ++s) {
    TANDEM_ASSIGN_OR_RETURN(std::shared_ptr<void> slot, allocate_counted(total, format("pipeline slot %d", s)));
    void* mem = slot.get();
    p->slot_memory_.push_back(std::move(slot));
    std::vector<Tensor> views;
    for (size_t i = 0; i < tensors.size(); ++i)
      views.push_back(Tensor::view(tensors[i].dtype, tensors[i].shape, static_cast<std::byte*>(mem) + offset[i]));
    p->slot_tensors_.push_back(std::move(views));
  }

  // Dataflow between stages.
  p->readers_.assign(n_stages, {});
  p->producers_.assign(n_stages, {});
  for (const BoundaryTensor& t : tensors) {
    if (t.producer < 0) continue;
    for (int c : t.consumers) {
      auto add = [](std::vector<int>& v, int x) {
        if (std::find(v.begin(), v.end(), x) == v.end()) v.push_back(x);
      };
      add(p->readers_[static_cast<size_t>(t.producer)], c);
      add(p->producers_[static_cast<size_t>(c)], t.producer);
    }
  }

  // Per-stage compute samples, each written only by its stage's stream.
  p->stage_samples_.assign(n_stages, {});
  for (auto& v : p->stage_samples_) v.reserve(options.sample_capacity);
  p->layer_seconds_.assign(n_stages, {});
  for (size_t k = 0; k < n_stages && options.profile_layers; ++k)
    p->layer_seconds_[k].assign(d.stages()[k].engine->steps().size(), 0.0);

  for (int s = 0; s < p->slots_; ++s) {
    for (size_t k = 0; k < n_stages; ++k) {
      const DeployedStage& st = d.stages()[k];
      auto run = std::make_unique<StageRun>();
      run->engine = st.engine.get();
      for (int i : st.inputs) run->inputs.push_back(p->slot_tensors_[static_cast<size_t>(s)][static_cast<size_t>(i)]);
      for (int o : st.outputs) run->outputs.push_back(p->slot_tensors_[static_cast<size_t>(s)][static_cast<size_t>(o)]);
      run->label = st.name;
      run->compute = &p->stage_samples_[k];
      if (options.profile_layers) run->layer_seconds = &p->layer_seconds_[k];
      p->runs_.push_back(std::move(run));
      p->done_.push_back(std::make_unique<Event>());
    }
  }
  p->traces_.resize(d.units().size());
  for (size_t u = 0; u < d.units().size(); ++u) {
    p->streams_.push_back(d.units()[u]->create_stream(d.units()[u]->spec().name));
    if (options.trace_capacity > 0) {
      p->traces_[u].reserve(options.trace_capacity);
      p->streams_[u]->set_trace(&p->traces_[u]);
    }
  }
  p->submitted_at_.assign(static_cast<size_t>(p->slots_), 0.0);
  return p;
}

Pipeline::Pipeline(Deployment& d) : deployment_(d) {}

Pipeline::~Pipeline() {
  for (auto& s : streams_) (void)s->synchronize();
  streams_.clear();  // joins the workers before the slots and contexts go
}

int64_t Pipeline::pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  return submitted_ - received_;
}

Result<int64_t> Pipeline::submit(std::span<const Tensor> inputs) {
  const auto& model_inputs = deployment_.model_inputs();
  TANDEM_CHECK_OR_RETURN(inputs.size() == model_inputs.size(), kInvalidArgument,
                         "the model has %zu inputs, got %zu", model_inputs.size(), inputs.size());
  int64_t frame;
  {
    // Back-pressure: a slot is free once its previous frame has been received.
    std::unique_lock<std::mutex> lock(mu_);
    changed_.wait(lock, [&] { return submitted_ - received_ < slots_ || !failed_.is_ok(); });
    TANDEM_RETURN_IF_ERROR(failed_);
    frame = submitted_;
  }
  const size_t slot = static_cast<size_t>(frame % slots_);
  std::vector<Tensor>& views = slot_tensors_[slot];
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& dst = views[static_cast<size_t>(model_inputs[i])];
    TANDEM_CHECK_OR_RETURN(inputs[i].dtype() == dst.dtype() && inputs[i].shape() == dst.shape(), kInvalidArgument,
                           "input '%s' expects %s %s, got %s %s",
                           deployment_.tensors()[static_cast<size_t>(model_inputs[i])].name.c_str(),
                           dtype_name(dst.dtype()), shape_to_string(dst.shape()).c_str(), dtype_name(inputs[i].dtype()),
                           shape_to_string(inputs[i].shape()).c_str());
    // The slot's previous frame was received, so none of its stages reads this buffer any more.
    std::memcpy(const_cast<void*>(dst.raw()), inputs[i].raw(), inputs[i].nbytes());
  }
  submitted_at_[slot] = trace_clock();
  const size_t n_stages = deployment_.stages().size();
  for (size_t k = 0; k < n_stages; ++k) {
    const int unit = deployment_.stages()[k].unit;
    Stream& stream = *streams_[static_cast<size_t>(unit)];
    auto on_other_stream = [&](int other) { return deployment_.stages()[static_cast<size_t>(other)].unit != unit; };
    // Same frame: inputs produced by stages on other streams (a stream runs its own work in order).
    for (int pstage : producers_[k])
      if (on_other_stream(pstage)) stream.wait(*done_[slot * n_stages + static_cast<size_t>(pstage)]);
    // Previous frame in this slot: its readers of our outputs must be done before we overwrite them (a no-op
    // wait when they finished long ago, or when this slot was never used).
    for (int reader : readers_[k])
      if (on_other_stream(reader)) stream.wait(*done_[slot * n_stages + static_cast<size_t>(reader)]);
    StageRun* run = runs_[slot * n_stages + k].get();
    stream.launch(&Pipeline::run_stage, run, run->label.c_str(), frame);
    stream.record(*done_[slot * n_stages + k]);
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++submitted_;
  }
  changed_.notify_all();
  return frame;
}

Result<FrameTiming> Pipeline::receive(std::span<Tensor> outputs) {
  const auto& model_outputs = deployment_.model_outputs();
  TANDEM_CHECK_OR_RETURN(outputs.size() == model_outputs.size(), kInvalidArgument,
                         "the model has %zu outputs, got %zu buffers", model_outputs.size(), outputs.size());
  int64_t frame;
  {
    std::unique_lock<std::mutex> lock(mu_);
    changed_.wait(lock, [&] { return submitted_ > received_ || !failed_.is_ok(); });
    TANDEM_RETURN_IF_ERROR(failed_);
    frame = received_;
  }
  const size_t slot = static_cast<size_t>(frame % slots_);
  const size_t n_stages = deployment_.stages().size();
  FrameTiming timing;
  timing.frame = frame;
  timing.submitted = submitted_at_[slot];
  for (size_t k = 0; k < n_stages; ++k) {
    Status st = done_[slot * n_stages + k]->synchronize();
    if (!st.is_ok()) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        failed_ = st;
      }
      changed_.notify_all();  // a producer blocked in submit() sees the failure instead of waiting forever
      return st;
    }
    timing.finished = std::max(timing.finished, runs_[slot * n_stages + k]->end);
  }
  std::vector<Tensor>& views = slot_tensors_[slot];
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& src = views[static_cast<size_t>(model_outputs[i])];
    TANDEM_CHECK_OR_RETURN(outputs[i].nbytes() == src.nbytes() && outputs[i].dtype() == src.dtype(),
                           kInvalidArgument, "output '%s' buffer must be %s %s",
                           deployment_.tensors()[static_cast<size_t>(model_outputs[i])].name.c_str(),
                           dtype_name(src.dtype()), shape_to_string(src.shape()).c_str());
    std::memcpy(outputs[i].raw(), src.raw(), src.nbytes());
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++received_;
  }
  changed_.notify_all();
  return timing;
}

Status Pipeline::drain() {
  Status first;
  for (auto& s : streams_) {
    Status st = s->synchronize();
    if (first.is_ok() && !st.is_ok()) first = st;
  }
  return first;
}

std::vector<StageTimes> Pipeline::stage_times() const {
  std::vector<StageTimes> out(deployment_.stages().size());
  for (size_t k = 0; k < out.size(); ++k) out[k].compute = *runs_[k]->compute;
  return out;
}

std::vector<std::vector<double>> Pipeline::stage_layer_seconds() const { return layer_seconds_; }

void Pipeline::reset_stats() {
  for (size_t k = 0; k < deployment_.stages().size(); ++k) runs_[k]->compute->clear();
  for (auto& v : layer_seconds_) std::fill(v.begin(), v.end(), 0.0);
  for (auto& s : streams_) s->reset_stats();
  for (TraceBuffer& t : traces_) t.clear();
}

}  // namespace tandem
