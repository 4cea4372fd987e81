// `tandem build`: compiles a model for a plan (every stage for its unit: kernels chosen, memory planned,
// weights packed) and saves it as a .tdm engine that run, bench and eval load without rebuilding.
#include <chrono>
#include <iomanip>
#include <iostream>

#include "cli_deployment.h"
#include "command.h"
#include "runtime/deployment.h"

namespace tandem::cli {
namespace {

struct BuildOptions {
  std::string model;
  std::string plan;
  std::vector<std::string> shapes;
  int threads = 1;
  std::string calib_cache;
  std::string out;
};

Status build_command(const BuildOptions& o) {
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  TANDEM_ASSIGN_OR_RETURN(std::unique_ptr<ModelSession> session, ModelSession::load(o.model, ModelSessionOptions{}));
  TANDEM_ASSIGN_OR_RETURN(auto shapes, resolve_shapes(session->inputs(), o.shapes));
  TANDEM_ASSIGN_OR_RETURN(std::unique_ptr<Deployment> d,
                          deployment_from_flags(*session, shapes, {o.plan, o.threads, o.calib_cache, 0}));
  TANDEM_RETURN_IF_ERROR(save_deployment(*d, o.out, o.model));
  const double build_s = std::chrono::duration<double>(Clock::now() - t0).count();
  for (const DeployedStage& s : d->stages()) {
    std::cout << "stage " << s.name << " on " << d->units()[static_cast<size_t>(s.unit)]->spec().name << " ("
              << precision_name(s.precision) << "): " << s.engine->steps().size() << " kernels\n";
    for (const std::string& n : s.fallback_nodes) std::cout << "  fell back to the fallback unit: " << n << "\n";
    for (const std::string& n : s.notes) std::cout << "  note: " << n << "\n";
  }
  // Load it back: proves the file is readable, and measures what loading saves.
  const auto t1 = Clock::now();
  TANDEM_ASSIGN_OR_RETURN(std::unique_ptr<Deployment> loaded, load_deployment(o.out));
  const double load_s = std::chrono::duration<double>(Clock::now() - t1).count();
  std::cout << "wrote " << o.out << ": build " << std::fixed << std::setprecision(3) << build_s << " s, load "
            << load_s << " s (" << std::setprecision(1) << build_s / std::max(load_s, 1e-9) << "x faster)\n";
  return Status::ok();
}

}  // namespace

void add_build_command(CLI::App& app, CommandResult& result) {
  auto o = std::make_shared<BuildOptions>();
  CLI::App* cmd = app.add_subcommand("build", "Compile a model for a plan and save the engine (.tdm)");
  cmd->add_option("model", o->model, "ONNX model")->required();
  cmd->add_option("--plan", o->plan, "Deployment plan (JSON); default: the whole model on one unit");
  cmd->add_option("--shape", o->shapes, "HxW for NCHW inputs, or name=AxBxCxD (engines have fixed shapes)");
  cmd->add_option("--threads", o->threads, "Cores of the single unit when there is no plan")->check(CLI::Range(1, 1024));
  cmd->add_option("--calib-cache", o->calib_cache, "Calibration cache (tandem calibrate, or TensorRT's) for int8 stages");
  cmd->add_option("-o,--output", o->out, "Engine file to write")->required();
  cmd->callback([o, &result] { result.status = build_command(*o); });
}

}  // namespace tandem::cli
