// `tandem run`: one model on given or generated inputs; writes outputs as .npy and reports timing.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>

#include <nlohmann/json.hpp>

#include "backends/cpu/cpu_engine.h"
#include "cli_deployment.h"
#include "command.h"
#include "io/npy.h"
#include "runtime/deployment.h"
#include "runtime/pipeline.h"

namespace tandem::cli {
namespace {

struct RunOptions {
  std::string model;
  std::vector<std::string> inputs;
  std::vector<std::string> shapes;
  int threads = 1;
  int iterations = 1;
  int warmup = 0;
  std::string output_dir;
  std::string times_json;
  bool profile = false;
  int profile_layers = 0;   // also list the N slowest kernels
  std::string plan;         // an ONNX model deployed by a plan (its stages pipelined), as tandem bench runs it
  std::string calib_cache;  // scales for the plan's int8 stages
};

void print_output_summary(const TensorDesc& d, const Tensor& t) {
  std::cout << "  output " << d.name << " " << dtype_name(t.dtype()) << " " << shape_to_string(t.shape());
  if (t.dtype() == DType::kFloat32 && t.numel() > 0) {
    const float* p = t.data<float>();
    double lo = p[0], hi = p[0], sum = 0;
    for (int64_t i = 0; i < t.numel(); ++i) {
      lo = std::min<double>(lo, p[i]);
      hi = std::max<double>(hi, p[i]);
      sum += p[i];
    }
    std::cout << "  min " << lo << " max " << hi << " mean " << sum / static_cast<double>(t.numel());
  }
  std::cout << "\n";
}

// Per-operator-type time over separate, timed-per-step runs (so the timing runs above stay undisturbed).
void print_profile(CpuEngine& engine, const std::vector<Tensor>& inputs, std::vector<Tensor>& outputs, int iterations,
                   int top_layers) {
  std::vector<double> step_seconds(engine.steps().size(), 0.0);
  for (int i = 0; i < iterations; ++i)
    if (!engine.run(inputs, outputs, &step_seconds).is_ok()) return;
  std::map<std::string, std::pair<double, int>> by_op;
  double total = 0;
  for (size_t s = 0; s < step_seconds.size(); ++s) {
    const StepInfo& info = engine.steps()[s];
    auto& slot = by_op[info.op_type + " [" + info.impl + "]"];
    slot.first += step_seconds[s] / iterations;
    slot.second += 1;
    total += step_seconds[s] / iterations;
  }
  std::vector<std::pair<double, std::string>> rows;
  for (const auto& [name, v] : by_op) rows.push_back({v.first, name + " x" + std::to_string(v.second)});
  std::sort(rows.rbegin(), rows.rend());
  std::cout << "  profile (mean ms per run, by operator and kernel):\n";
  for (const auto& [sec, name] : rows)
    std::cout << "    " << std::fixed << std::setprecision(2) << std::setw(8) << sec * 1e3 << " ms " << std::setw(5)
              << std::setprecision(1) << 100 * sec / total << "%  " << name << "\n";
  if (top_layers <= 0) return;
  std::vector<std::pair<double, size_t>> layers;
  for (size_t s = 0; s < step_seconds.size(); ++s) layers.push_back({step_seconds[s] / iterations, s});
  std::sort(layers.rbegin(), layers.rend());
  layers.resize(std::min(layers.size(), static_cast<size_t>(top_layers)));
  std::cout << "  slowest kernels (mean ms per run, GFLOP/s):\n";
  for (const auto& [sec, s] : layers) {
    const StepInfo& info = engine.steps()[s];
    std::cout << "    " << std::fixed << std::setprecision(2) << std::setw(8) << sec * 1e3 << " ms " << std::setw(7)
              << std::setprecision(1) << (sec > 0 ? info.flops / sec * 1e-9 : 0.0) << "  " << info.node_name << " ("
              << info.op_type << ", " << info.impl << ")\n";
  }
}

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

Status write_outputs(const std::vector<TensorDesc>& descs, const std::vector<Tensor>& outputs, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  TANDEM_CHECK_OR_RETURN(!ec, kIoError, "cannot create '%s': %s", dir.c_str(), ec.message().c_str());
  for (size_t i = 0; i < outputs.size(); ++i) {
    std::string name = descs[i].name;
    std::replace_if(
        name.begin(), name.end(), [](char c) { return c == '/' || c == ':'; }, '_');
    TANDEM_RETURN_IF_ERROR(save_npy(outputs[i], dir + "/" + name + ".npy"));
  }
  std::cout << "  wrote " << outputs.size() << " output(s) to " << dir << "\n";
  return Status::ok();
}

// A deployment (a .tdm engine from `tandem build`, or a model built for --plan) runs frame by frame through
// its pipeline, at the shape it was built for. `inputs` already loaded, or empty: loaded/generated here.
Status run_deployment(const RunOptions& o, Deployment& deployment, const std::string& what, double load_ms,
                      std::vector<Tensor> inputs) {
  Deployment* d = &deployment;
  std::vector<TensorDesc> in_descs, out_descs;
  for (int i : d->model_inputs()) {
    const BoundaryTensor& t = d->tensors()[static_cast<size_t>(i)];
    in_descs.push_back({t.name, t.dtype, t.shape});
  }
  TANDEM_CHECK_OR_RETURN(o.inputs.empty() || o.inputs.size() == in_descs.size(), kInvalidArgument,
                         "the deployment has %zu inputs, --input gave %zu", in_descs.size(), o.inputs.size());
  for (size_t i = inputs.size(); i < in_descs.size(); ++i) {
    TensorInfo port{in_descs[i].name, in_descs[i].dtype, in_descs[i].shape, {}};
    if (o.inputs.empty()) {
      TANDEM_ASSIGN_OR_RETURN(Tensor t, generated_input(port, port.shape, 1234 + i));
      inputs.push_back(std::move(t));
    } else {
      TANDEM_ASSIGN_OR_RETURN(Tensor t, load_input(o.inputs[i], port, port.shape));
      inputs.push_back(std::move(t));
    }
  }
  std::vector<Tensor> outputs;
  for (int i : d->model_outputs()) {
    const BoundaryTensor& t = d->tensors()[static_cast<size_t>(i)];
    out_descs.push_back({t.name, t.dtype, t.shape});
    outputs.push_back(Tensor::make(t.dtype, t.shape));
  }
  PipelineOptions po;
  po.in_flight = 1;  // one frame at a time: latency, as `tandem run` of a model (tandem bench pipelines)
  TANDEM_ASSIGN_OR_RETURN(std::unique_ptr<Pipeline> p, Pipeline::create(*d, po));
  auto run_once = [&]() -> Status {
    TANDEM_RETURN_IF_ERROR(p->submit(inputs).status());
    return p->receive(outputs).status();
  };
  for (int i = 0; i < o.warmup; ++i) TANDEM_RETURN_IF_ERROR(run_once());
  std::vector<double> times;
  for (int i = 0; i < o.iterations; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    TANDEM_RETURN_IF_ERROR(run_once());
    times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::cout << what << " " << o.model << " (" << d->stages().size() << " stage(s))\n";
  for (const DeployedStage& st : d->stages())
    std::cout << "  stage " << st.name << " on " << d->units()[static_cast<size_t>(st.unit)]->spec().name << " ("
              << precision_name(st.precision) << ")\n";
  for (size_t i = 0; i < in_descs.size(); ++i)
    std::cout << "  input " << in_descs[i].name << " " << shape_to_string(inputs[i].shape())
              << (o.inputs.empty() ? " (generated)" : " from " + o.inputs[i]) << "\n";
  for (size_t i = 0; i < outputs.size(); ++i) print_output_summary(out_descs[i], outputs[i]);
  std::cout << (what == "engine" ? "  load " : "  load+build ") << load_ms << " ms; " << o.iterations
            << " run(s): median " << median_of(times) << " ms, min " << *std::min_element(times.begin(), times.end())
            << " ms, max " << *std::max_element(times.begin(), times.end()) << " ms\n";
  if (!o.output_dir.empty()) TANDEM_RETURN_IF_ERROR(write_outputs(out_descs, outputs, o.output_dir));
  return Status::ok();
}

Status run_engine_file(const RunOptions& o) {
  TANDEM_CHECK_OR_RETURN(o.shapes.empty() && !o.profile && o.plan.empty() && o.calib_cache.empty(), kInvalidArgument,
                         "'%s' is an engine with its plan and shapes built in: drop --shape, --plan, --calib-cache "
                         "and --profile (use tandem bench --profile)",
                         o.model.c_str());
  auto t_load = std::chrono::steady_clock::now();
  TANDEM_ASSIGN_OR_RETURN(std::unique_ptr<Deployment> d, load_deployment(o.model));
  double load_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t_load).count();
  return run_deployment(o, *d, "engine", load_ms, {});
}

// An ONNX model with --plan: inputs are loaded first (an .npy fixes the shape the plan is built at), then the
// deployment is built as tandem build would, and run as an engine file runs.
Status run_planned_model(const RunOptions& o) {
  TANDEM_CHECK_OR_RETURN(!o.profile, kInvalidArgument,
                         "--profile times one engine's kernels; for a plan use tandem bench %s --plan %s --profile",
                         o.model.c_str(), o.plan.c_str());
  auto t_load = std::chrono::steady_clock::now();
  TANDEM_ASSIGN_OR_RETURN(std::unique_ptr<ModelSession> session, ModelSession::load(o.model, ModelSessionOptions{}));
  const auto& ports = session->inputs();
  TANDEM_CHECK_OR_RETURN(o.inputs.empty() || o.inputs.size() == ports.size(), kInvalidArgument,
                         "the model has %zu inputs, --input gave %zu", ports.size(), o.inputs.size());
  TANDEM_ASSIGN_OR_RETURN(auto shapes, resolve_shapes(ports, o.shapes));
  std::vector<Tensor> inputs;
  for (size_t i = 0; i < o.inputs.size(); ++i) {
    TANDEM_ASSIGN_OR_RETURN(Tensor t, load_input(o.inputs[i], ports[i], shapes[ports[i].name]));
    shapes[ports[i].name] = t.shape();
    inputs.push_back(std::move(t));
  }
  DeploymentFlags flags{o.plan, o.threads, o.calib_cache, 0};
  TANDEM_ASSIGN_OR_RETURN(std::unique_ptr<Deployment> d, deployment_from_flags(*session, shapes, flags));
  double load_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t_load).count();
  return run_deployment(o, *d, "model", load_ms, std::move(inputs));
}

Status run_command(const RunOptions& o) {
  if (is_engine_file(o.model)) return run_engine_file(o);
  if (!o.plan.empty()) return run_planned_model(o);
  TANDEM_CHECK_OR_RETURN(o.calib_cache.empty(), kInvalidArgument,
                         "--calib-cache needs a --plan with int8 stages (one engine without a plan runs fp32)");
  ModelSessionOptions so;
  so.threads = o.threads;
  auto t_load = std::chrono::steady_clock::now();
  TANDEM_ASSIGN_OR_RETURN(std::unique_ptr<ModelSession> session, ModelSession::load(o.model, so));
  const auto& ports = session->inputs();
  TANDEM_CHECK_OR_RETURN(o.inputs.empty() || o.inputs.size() == ports.size(), kInvalidArgument,
                         "the model has %zu inputs, --input gave %zu", ports.size(), o.inputs.size());
  TANDEM_ASSIGN_OR_RETURN(auto shapes, resolve_shapes(ports, o.shapes));
  std::vector<Tensor> inputs;
  for (size_t i = 0; i < ports.size(); ++i) {
    if (o.inputs.empty()) {
      TANDEM_ASSIGN_OR_RETURN(Tensor t, generated_input(ports[i], shapes[ports[i].name], 1234 + i));
      inputs.push_back(std::move(t));
    } else {
      TANDEM_ASSIGN_OR_RETURN(Tensor t, load_input(o.inputs[i], ports[i], shapes[ports[i].name]));
      shapes[ports[i].name] = t.shape();
      inputs.push_back(std::move(t));
    }
  }
  TANDEM_ASSIGN_OR_RETURN(CpuEngine * engine, session->engine_for(shapes));
  double build_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t_load).count();
  std::vector<Tensor> outputs;
  for (const TensorDesc& d : engine->outputs()) outputs.push_back(Tensor::make(d.dtype, d.shape));
  for (int i = 0; i < o.warmup; ++i) TANDEM_RETURN_IF_ERROR(engine->run(inputs, outputs));
  std::vector<double> times;
  for (int i = 0; i < o.iterations; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    TANDEM_RETURN_IF_ERROR(engine->run(inputs, outputs));
    times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::vector<double> sorted = times;
  std::sort(sorted.begin(), sorted.end());
  double median = median_of(times);
  std::cout << "model " << o.model << "\n";
  for (size_t i = 0; i < ports.size(); ++i)
    std::cout << "  input " << ports[i].name << " " << shape_to_string(inputs[i].shape())
              << (o.inputs.empty() ? " (generated)" : " from " + o.inputs[i]) << "\n";
  for (size_t i = 0; i < outputs.size(); ++i) print_output_summary(engine->outputs()[i], outputs[i]);
  std::cout << "  load+build " << build_ms << " ms; " << o.threads << " thread(s); " << o.iterations
            << " run(s): median " << median << " ms, min " << sorted.front() << " ms, max " << sorted.back() << " ms\n";
  if (!o.output_dir.empty()) TANDEM_RETURN_IF_ERROR(write_outputs(engine->outputs(), outputs, o.output_dir));
  if (o.profile) print_profile(*engine, inputs, outputs, o.iterations, o.profile_layers);
  if (!o.times_json.empty()) {
    std::ofstream f(o.times_json);
    TANDEM_CHECK_OR_RETURN(f.good(), kIoError, "cannot write '%s'", o.times_json.c_str());
    f << nlohmann::json{{"times_ms", times}, {"build_ms", build_ms}, {"threads", o.threads}}.dump() << "\n";
  }
  return Status::ok();
}

}  // namespace

void add_run_command(CLI::App& app, CommandResult& result) {
  auto o = std::make_shared<RunOptions>();
  CLI::App* cmd = app.add_subcommand("run", "Run a model on inputs (.npy, .pb, image) or a generated input");
  cmd->add_option("model", o->model, "ONNX model, or an engine (.tdm) from tandem build")->required();
  cmd->add_option("--input", o->inputs, "One file per model input: .npy, .pb (TensorProto) or an image");
  cmd->add_option("--shape", o->shapes, "HxW for NCHW inputs, or name=AxBxCxD");
  cmd->add_option("--plan", o->plan, "Deployment plan (JSON): stages on their units, pipelined (default: one engine)");
  cmd->add_option("--calib-cache", o->calib_cache, "Calibration cache for the plan's int8 stages");
  cmd->add_option("--threads", o->threads, "Threads per kernel")->check(CLI::Range(1, 256));
  cmd->add_option("--iterations", o->iterations, "Timed runs")->check(CLI::Range(1, 1000000));
  cmd->add_option("--warmup", o->warmup, "Untimed runs first")->check(CLI::Range(0, 1000000));
  cmd->add_option("--output-dir", o->output_dir, "Write each output as NAME.npy here");
  cmd->add_option("--times-json", o->times_json, "Write per-iteration times (ms) as JSON");
  cmd->add_flag("--profile", o->profile, "Also time every kernel (separate runs) and print time per operator");
  cmd->add_option("--profile-layers", o->profile_layers, "With --profile, also list the N slowest kernels")
      ->check(CLI::Range(0, 1000000));
  cmd->callback([o, &result] { result.status = run_command(*o); });
}

}  // namespace tandem::cli
