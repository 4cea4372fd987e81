// run_benchmark: the keep-the-ring-full loop; profile_layers; the Chrome trace writer.
#include "runtime/benchmark.h"

#include <fstream>

#include <nlohmann/json.hpp>

namespace tandem {
namespace {

std::vector<Tensor> output_buffers(const Deployment& d) {
  std::vector<Tensor> out;
  for (int i : d.model_outputs()) {
    const BoundaryTensor& t = d.tensors()[static_cast<size_t>(i)];
    out.push_back(Tensor::make(t.dtype, t.shape));
  }
  return out;
}

// Submits while a slot is free and `more()` holds, receiving the oldest frame whenever the ring is full;
// then receives what is left. Every received frame's timing goes to `sink`.
template <typename More, typename Sink>
Status run_frames(Pipeline& p, std::span<const Tensor> inputs, std::vector<Tensor>& outputs, More more, Sink sink) {
  while (more()) {
    if (p.pending() == p.in_flight()) {
      TANDEM_ASSIGN_OR_RETURN(FrameTiming t, p.receive(outputs));
      sink(t);
    }
    TANDEM_RETURN_IF_ERROR(p.submit(inputs).status());
  }
  while (p.pending() > 0) {
    TANDEM_ASSIGN_OR_RETURN(FrameTiming t, p.receive(outputs));
    sink(t);
  }
  return Status::ok();
}

}  // namespace

Result<BenchReport> run_benchmark(Pipeline& p, std::span<const Tensor> inputs, const BenchOptions& o,
                                  const BenchProgress& progress) {
  const Deployment& d = p.deployment();
  std::vector<Tensor> outputs = output_buffers(d);
  // Warm-up: caches, OpenMP pools, page faults of the slots.
  const double w0 = trace_clock();
  int64_t warm = 0;
  TANDEM_RETURN_IF_ERROR(run_frames(
      p, inputs, outputs,
      [&] { return warm < std::max(o.warmup_frames, 1) || trace_clock() - w0 < o.warmup_seconds ? (++warm, true) : false; },
      [](const FrameTiming&) {}));
  p.reset_stats();

  BenchReport r;
  r.timings.reserve(static_cast<size_t>(std::max(o.iterations, 16)) * 4);
  int64_t submitted = 0;
  const double t0 = trace_clock();
  double next_report = t0 + 0.5;
  TANDEM_RETURN_IF_ERROR(run_frames(
      p, inputs, outputs,
      [&] {
        const double now = trace_clock();
        if (progress && now >= next_report) {
          progress(static_cast<int64_t>(r.timings.size()), now - t0);
          next_report = now + 0.5;
        }
        bool more = submitted < o.iterations || now - t0 < o.duration_seconds;
        submitted += more;
        return more;
      },
      [&](const FrameTiming& t) { r.timings.push_back(t); }));
  TANDEM_RETURN_IF_ERROR(p.drain());

  r.frames = static_cast<int64_t>(r.timings.size());
  double first = r.timings.empty() ? t0 : r.timings.front().submitted, last = first;
  std::vector<double> latency;
  for (const FrameTiming& t : r.timings) {
    latency.push_back(t.finished - t.submitted);
    last = std::max(last, t.finished);
  }
  r.wall_seconds = last - first;
  r.throughput = r.wall_seconds > 0 ? static_cast<double>(r.frames) / r.wall_seconds : 0;
  r.latency = summarize(latency);
  std::vector<StageTimes> st = p.stage_times();
  for (size_t k = 0; k < d.stages().size(); ++k)
    r.stages.push_back({d.stages()[k].name, d.units()[static_cast<size_t>(d.stages()[k].unit)]->spec().name,
                        summarize(st[k].compute)});
  for (const auto& s : p.streams()) {
    StreamStats ss = s->stats();
    UnitUsage u;
    u.name = s->name();
    if (r.wall_seconds > 0) {
      u.busy = std::min(1.0, ss.busy_seconds / r.wall_seconds);
      u.waiting = std::min(1.0 - u.busy, ss.wait_seconds / r.wall_seconds);
      u.idle = std::max(0.0, 1.0 - u.busy - u.waiting);
    }
    r.units.push_back(u);
  }
  return r;
}

Result<std::vector<std::vector<double>>> profile_layers(Deployment& d, std::span<const Tensor> inputs, int frames) {
  PipelineOptions po;
  po.profile_layers = true;
  TANDEM_ASSIGN_OR_RETURN(std::unique_ptr<Pipeline> p, Pipeline::create(d, po));
  std::vector<Tensor> outputs = output_buffers(d);
  int warm = 0;
  TANDEM_RETURN_IF_ERROR(run_frames(*p, inputs, outputs, [&] { return warm++ < 2; }, [](const FrameTiming&) {}));
  p->reset_stats();
  int n = 0;
  TANDEM_RETURN_IF_ERROR(run_frames(*p, inputs, outputs, [&] { return n++ < frames; }, [](const FrameTiming&) {}));
  std::vector<std::vector<double>> per_stage = p->stage_layer_seconds();
  for (auto& v : per_stage)
    for (double& s : v) s /= std::max(frames, 1);
  return per_stage;
}

Status write_chrome_trace(const Pipeline& p, const std::string& path) {
  using json = nlohmann::json;
  json events = json::array();
  const auto& streams = p.streams();
  for (size_t u = 0; u < streams.size(); ++u) {
    events.push_back({{"ph", "M"}, {"pid", 0}, {"tid", u}, {"name", "thread_name"},
                      {"args", {{"name", "unit " + streams[u]->name()}}}});
    for (const TraceEvent& e : p.trace(u).events()) {
      json ev{{"ph", "X"}, {"pid", 0}, {"tid", u}, {"ts", e.begin * 1e6}, {"dur", (e.end - e.begin) * 1e6}};
      switch (e.kind) {
        case TraceEvent::Kind::kRun:
          ev["name"] = std::string(e.label) + " #" + std::to_string(e.frame);
          ev["cat"] = "stage";
          ev["args"] = {{"frame", e.frame}, {"stage", e.label}};
          break;
        case TraceEvent::Kind::kLayer:
          ev["name"] = e.label;
          ev["cat"] = "layer";
          ev["args"] = {{"frame", e.frame}};
          break;
        case TraceEvent::Kind::kWait:
          ev["name"] = "wait for event";
          ev["cat"] = "wait";
          break;
      }
      events.push_back(std::move(ev));
    }
    if (p.trace(u).dropped() > 0)
      events.push_back({{"ph", "i"}, {"pid", 0}, {"tid", u}, {"ts", 0}, {"s", "t"},
                        {"name", "trace buffer full: " + std::to_string(p.trace(u).dropped()) + " events dropped"}});
  }
  std::ofstream f(path);
  if (!f) return Status(Code::kIoError, "cannot write trace '" + path + "'");
  f << json{{"traceEvents", events}, {"displayTimeUnit", "ms"}}.dump() << "\n";
  return f.good() ? Status::ok() : Status(Code::kIoError, "cannot write trace '" + path + "'");
}

}  // namespace tandem
