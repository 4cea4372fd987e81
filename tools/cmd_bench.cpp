// `tandem bench`: trtexec-style measurement of a model deployed by a plan (or on one unit), with --compare to
// run several plans alternately in one process and report their ratios.
#include <algorithm>
#include <chrono>
#include <fstream>
#include <iomanip>
#include <iostream>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "cli_deployment.h"
#include "command.h"
#include "runtime/benchmark.h"
#include "runtime/deployment.h"

namespace tandem::cli {
namespace {

// One options struct per concern, as trtexec's sampleOptions.
struct ModelOptions {
  std::string model;
  std::vector<std::string> shapes;
  std::string plan;  // empty: the whole model on one unit of --threads cores
  int threads = 1;
  std::string calib_cache;  // scales for int8 stages
};
struct InferenceOptions {
  int warmup = 0;
  double warmup_ms = 200;
  int iterations = 10;
  double duration = 3;
  int in_flight = 0;  // 0: the plan's
};
struct ReportOptions {
  std::string json, trace;
  bool profile = false;
  int profile_layers = 10;  // how many of each stage's slowest kernels --profile lists
  std::vector<std::string> compare;
  int rounds = 3;
};
struct BenchCliOptions {
  ModelOptions model;
  InferenceOptions inference;
  ReportOptions report;
};

struct Config {
  std::string label;
  std::unique_ptr<Deployment> deployment;
  int in_flight = 1;
};

Result<Config> make_config(const ModelSession& session, const std::map<std::string, Shape>& shapes,
                           const std::string& plan_path, const ModelOptions& m, int in_flight) {
  Config c;
  DeploymentFlags flags{plan_path, m.threads, m.calib_cache, in_flight};
  TANDEM_ASSIGN_OR_RETURN(c.deployment, deployment_from_flags(session, shapes, flags, &c.label));
  return c;
}

std::string ms(double seconds) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(3) << seconds * 1e3 << " ms";
  return s.str();
}

void print_stats(const char* what, const TimingStats& t) {
  std::cout << "  " << what << ": min = " << ms(t.min) << ", max = " << ms(t.max) << ", mean = " << ms(t.mean)
            << ", median = " << ms(t.median) << ", percentile(90%) = " << ms(t.p90)
            << ", percentile(95%) = " << ms(t.p95) << ", percentile(99%) = " << ms(t.p99) << "\n";
}

void print_report(const Config& c, const BenchReport& r) {
  std::cout << "=== Performance summary: " << c.label << " (" << c.deployment->stages().size() << " stage(s), "
            << c.in_flight << " frame(s) in flight) ===\n";
  std::cout << "  Throughput: " << std::fixed << std::setprecision(2) << r.throughput << " frames/s (" << r.frames
            << " frames in " << std::setprecision(3) << r.wall_seconds << " s)\n";
  print_stats("Latency", r.latency);
  for (const StageReport& s : r.stages) {
    std::cout << "  Stage " << s.name << " on " << s.unit << ": compute mean " << ms(s.compute.mean) << ", median "
              << ms(s.compute.median) << ", p99 " << ms(s.compute.p99) << "\n";
    if (s.compute.cv() > 0.025)
      std::cout << "  [W] stage " << s.name << ": compute-time coefficient of variation " << std::setprecision(1)
                << 100 * s.compute.cv() << " % > 2.5 %: the measurement is unstable (machine load?)\n";
  }
  for (const UnitUsage& u : r.units)
    std::cout << "  Unit " << u.name << ": busy " << std::setprecision(1) << 100 * u.busy << " %, waiting on events "
              << 100 * u.waiting << " %, idle " << 100 * u.idle << " %\n";
}

nlohmann::json stats_json(const TimingStats& t) {
  return {{"count", t.count}, {"min_ms", t.min * 1e3}, {"max_ms", t.max * 1e3}, {"mean_ms", t.mean * 1e3},
          {"median_ms", t.median * 1e3}, {"p90_ms", t.p90 * 1e3}, {"p95_ms", t.p95 * 1e3}, {"p99_ms", t.p99 * 1e3},
          {"cv", t.cv()}};
}

nlohmann::json report_json(const Config& c, const BenchReport& r) {
  nlohmann::json j{{"config", c.label},         {"plan", nlohmann::json::parse(plan_to_json(c.deployment->plan()))},
                   {"frames", r.frames},        {"wall_s", r.wall_seconds},
                   {"throughput_fps", r.throughput}, {"latency", stats_json(r.latency)}};
  for (const StageReport& s : r.stages)
    j["stages"].push_back({{"name", s.name}, {"unit", s.unit}, {"compute", stats_json(s.compute)}});
  for (const UnitUsage& u : r.units)
    j["units"].push_back({{"name", u.name}, {"busy", u.busy}, {"waiting", u.waiting}, {"idle", u.idle}});
  for (const FrameTiming& t : r.timings)
    j["times"].push_back({{"frame", t.frame}, {"submitMs", t.submitted * 1e3}, {"endMs", t.finished * 1e3},
                          {"latencyMs", (t.finished - t.submitted) * 1e3}});
  return j;
}

void print_layer_profile(const Deployment& d, const std::vector<std::vector<double>>& layers, int count) {
  for (size_t k = 0; k < d.stages().size(); ++k) {
    const auto& steps = d.stages()[k].engine->steps();
    double total = 0;
    for (double s : layers[k]) total += s;
    std::vector<size_t> idx(steps.size());
    for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
    std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return layers[k][a] > layers[k][b]; });
    std::cout << "  Profile of stage " << d.stages()[k].name << " (" << ms(total) << " per frame, "
              << steps.size() << " kernels; slowest):\n";
    for (size_t i = 0; i < std::min(static_cast<size_t>(count), idx.size()); ++i) {
      const StepInfo& s = steps[idx[i]];
      std::cout << "    " << std::setw(10) << ms(layers[k][idx[i]]) << std::setw(6) << std::setprecision(1)
                << 100 * layers[k][idx[i]] / std::max(total, 1e-12) << " %  " << s.node_name << " (" << s.op_type
                << ", " << s.impl << ")\n";
    }
  }
}

// Inputs generated for the deployment's model inputs (deterministic, as `tandem run` without --input).
Result<std::vector<Tensor>> generated_inputs(const Deployment& d) {
  std::vector<Tensor> inputs;
  for (size_t i = 0; i < d.model_inputs().size(); ++i) {
    const BoundaryTensor& t = d.tensors()[static_cast<size_t>(d.model_inputs()[i])];
    TANDEM_ASSIGN_OR_RETURN(Tensor in, generated_input({t.name, t.dtype, t.shape, {}}, t.shape, 1234 + i));
    inputs.push_back(std::move(in));
  }
  return inputs;
}

Status bench_command(const BenchCliOptions& o) {
  std::vector<Config> configs;
  if (is_engine_file(o.model.model)) {
    TANDEM_CHECK_OR_RETURN(o.model.plan.empty() && o.report.compare.empty() && o.model.shapes.empty(),
                           kInvalidArgument, "'%s' is an engine: its plan and shapes are built in (drop --plan, "
                           "--compare and --shape)", o.model.model.c_str());
    const auto t0 = std::chrono::steady_clock::now();
    Config c;
    TANDEM_ASSIGN_OR_RETURN(c.deployment, load_deployment(o.model.model));
    c.label = o.model.model;
    std::cout << "bench: loaded " << c.label << " in " << std::fixed << std::setprecision(3)
              << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() << " s\n";
    configs.push_back(std::move(c));
  }
  std::unique_ptr<ModelSession> session;
  std::map<std::string, Shape> shapes;
  if (configs.empty()) {
    TANDEM_ASSIGN_OR_RETURN(session, ModelSession::load(o.model.model, ModelSessionOptions{}));
    TANDEM_ASSIGN_OR_RETURN(shapes, resolve_shapes(session->inputs(), o.model.shapes));
  }
  std::vector<std::string> plans = o.report.compare;
  if (plans.empty() && configs.empty()) plans.push_back(o.model.plan);
  for (const std::string& p : plans) {
    TANDEM_ASSIGN_OR_RETURN(Config c, make_config(*session, shapes, p, o.model, o.inference.in_flight));
    std::cout << "bench: built " << c.label << " in " << std::fixed << std::setprecision(2)
              << c.deployment->build_seconds() << " s\n";
    for (const DeployedStage& s : c.deployment->stages())
      for (const std::string& n : s.fallback_nodes) std::cout << "bench: " << s.name << ": fell back: " << n << "\n";
    for (const DeployedStage& s : c.deployment->stages())
      for (const std::string& n : s.notes) std::cout << "bench: " << s.name << ": " << n << "\n";
    configs.push_back(std::move(c));
  }
  for (Config& c : configs) c.in_flight = o.inference.in_flight > 0 ? o.inference.in_flight : c.deployment->plan().in_flight;
  TANDEM_ASSIGN_OR_RETURN(const std::vector<Tensor> inputs, generated_inputs(*configs.front().deployment));

  // Rounds alternate the configurations (rotating the order), so the machine's drifts fall on all alike.
  const int rounds = configs.size() > 1 ? std::max(1, o.report.rounds) : 1;
  std::vector<std::vector<BenchReport>> reports(configs.size());
  for (int round = 0; round < rounds; ++round) {
    for (size_t i = 0; i < configs.size(); ++i) {
      Config& c = configs[(i + static_cast<size_t>(round)) % configs.size()];
      PipelineOptions po;
      po.in_flight = o.inference.in_flight;
      TANDEM_ASSIGN_OR_RETURN(std::unique_ptr<Pipeline> pipeline, Pipeline::create(*c.deployment, po));
      BenchOptions bo;
      bo.warmup_frames = o.inference.warmup;
      bo.warmup_seconds = o.inference.warmup_ms / 1e3;
      bo.iterations = o.inference.iterations;
      bo.duration_seconds = o.inference.duration / rounds;
      // A progress line on a terminal only (a log gets the summary).
      auto progress = [&](int64_t frames, double elapsed) {
        if (!isatty(2)) return;
        std::cerr << "\rbench: " << c.label << " round " << round + 1 << "/" << rounds << ": " << frames
                  << " frames, " << std::fixed << std::setprecision(1) << elapsed << " s   " << std::flush;
      };
      TANDEM_ASSIGN_OR_RETURN(BenchReport r, run_benchmark(*pipeline, inputs, bo, progress));
      if (isatty(2)) std::cerr << "\r" << std::string(70, ' ') << "\r";
      reports[(i + static_cast<size_t>(round)) % configs.size()].push_back(std::move(r));
    }
  }

  nlohmann::json all = nlohmann::json::array();
  std::vector<BenchReport> pooled;
  for (size_t i = 0; i < configs.size(); ++i) {
    BenchReport p = reports[i].front();
    for (size_t k = 1; k < reports[i].size(); ++k) {  // pool rounds: frames and wall time add, times join
      const BenchReport& r = reports[i][k];
      p.frames += r.frames;
      p.wall_seconds += r.wall_seconds;
      p.timings.insert(p.timings.end(), r.timings.begin(), r.timings.end());
    }
    std::vector<double> lat;
    for (const FrameTiming& t : p.timings) lat.push_back(t.finished - t.submitted);
    p.latency = summarize(lat);
    p.throughput = p.wall_seconds > 0 ? static_cast<double>(p.frames) / p.wall_seconds : 0;
    print_report(configs[i], p);
    all.push_back(report_json(configs[i], p));
    pooled.push_back(std::move(p));
  }
  if (configs.size() > 1) {
    std::cout << "=== Comparison (" << rounds << " alternating rounds; ratios against the first) ===\n";
    std::cout << "  " << std::left << std::setw(40) << "configuration" << std::right << std::setw(12) << "frames/s"
              << std::setw(10) << "ratio" << std::setw(14) << "median ms" << std::setw(12) << "p99 ms" << "\n";
    for (size_t i = 0; i < configs.size(); ++i)
      std::cout << "  " << std::left << std::setw(40) << configs[i].label << std::right << std::fixed
                << std::setprecision(2) << std::setw(12) << pooled[i].throughput << std::setw(10)
                << pooled[i].throughput / std::max(pooled[0].throughput, 1e-12) << std::setw(14)
                << pooled[i].latency.median * 1e3 << std::setw(12) << pooled[i].latency.p99 * 1e3 << "\n";
  }

  if (o.report.profile) {
    for (Config& c : configs) {
      TANDEM_ASSIGN_OR_RETURN(auto layers, profile_layers(*c.deployment, inputs, 10));
      std::cout << "=== Per-layer profile (separate run, 10 frames): " << c.label << " ===\n";
      print_layer_profile(*c.deployment, layers, o.report.profile_layers);
    }
  }
  if (!o.report.trace.empty()) {
    // A separate, short traced run of the last configuration, so tracing never disturbs the timed one.
    Config& c = configs.back();
    PipelineOptions po;
    po.trace_capacity = 1 << 16;
    TANDEM_ASSIGN_OR_RETURN(std::unique_ptr<Pipeline> pipeline, Pipeline::create(*c.deployment, po));
    BenchOptions bo;
    bo.iterations = 4 * pipeline->in_flight() + 8;
    bo.duration_seconds = 0;
    bo.warmup_seconds = 0;
    TANDEM_RETURN_IF_ERROR(run_benchmark(*pipeline, inputs, bo).status());
    TANDEM_RETURN_IF_ERROR(write_chrome_trace(*pipeline, o.report.trace));
    std::cout << "wrote trace of " << c.label << " to " << o.report.trace << " (open in ui.perfetto.dev)\n";
  }
  if (!o.report.json.empty()) {
    std::ofstream f(o.report.json);
    TANDEM_CHECK_OR_RETURN(f.good(), kIoError, "cannot write '%s'", o.report.json.c_str());
    f << all.dump(2) << "\n";
  }
  return Status::ok();
}

}  // namespace

void add_bench_command(CLI::App& app, CommandResult& result) {
  auto o = std::make_shared<BenchCliOptions>();
  CLI::App* cmd = app.add_subcommand("bench", "Measure latency and throughput of a deployment, like trtexec");
  cmd->add_option("model", o->model.model, "ONNX model")->required();
  cmd->add_option("--shape", o->model.shapes, "HxW for NCHW inputs, or name=AxBxCxD");
  cmd->add_option("--plan", o->model.plan, "Deployment plan (JSON); default: the whole model on one unit");
  cmd->add_option("--calib-cache", o->model.calib_cache, "Calibration cache for the plans' int8 stages");
  cmd->add_option("--threads", o->model.threads, "Cores of the single unit when there is no plan")
      ->check(CLI::Range(1, 1024));
  cmd->add_option("--warmup", o->inference.warmup, "Warm-up frames (at least)")->check(CLI::Range(0, 1000000));
  cmd->add_option("--warmup-ms", o->inference.warmup_ms, "Warm-up time (at least), ms")->check(CLI::Range(0.0, 1e7));
  cmd->add_option("--iterations", o->inference.iterations, "Timed frames (at least)")->check(CLI::Range(1, 10000000));
  cmd->add_option("--duration", o->inference.duration, "Timed seconds (at least)")->check(CLI::Range(0.0, 1e6));
  cmd->add_option("--in-flight", o->inference.in_flight, "Frames in flight (overrides the plan)")
      ->check(CLI::Range(1, 64));
  cmd->add_option("--json", o->report.json, "Write the report (all configurations, per-frame times) as JSON");
  cmd->add_option("--trace", o->report.trace, "Write a Chrome-trace/Perfetto JSON timeline (separate short run)");
  cmd->add_flag("--profile", o->report.profile, "Per-layer times (separate run)");
  cmd->add_option("--profile-layers", o->report.profile_layers, "Kernels listed per stage by --profile (slowest first)")
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--compare", o->report.compare, "Plans to run alternately and compare ('' = one unit)")
      ->expected(2, 64);
  cmd->add_option("--rounds", o->report.rounds, "Alternating rounds for --compare")->check(CLI::Range(1, 1000));
  cmd->callback([o, &result] { result.status = bench_command(*o); });
}

}  // namespace tandem::cli
