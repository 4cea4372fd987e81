// How the CLI's subcommands plug into main: each adds itself to the app and reports a Status.
#pragma once

#include <CLI/CLI.hpp>

#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "runtime/model_session.h"

namespace tandem::cli {

struct CommandResult {
  Status status;
};

void add_inspect_command(CLI::App& app, CommandResult& result);
void add_run_command(CLI::App& app, CommandResult& result);
void add_plan_command(CLI::App& app, CommandResult& result);
void add_bench_command(CLI::App& app, CommandResult& result);
void add_build_command(CLI::App& app, CommandResult& result);
void add_calibrate_command(CLI::App& app, CommandResult& result);
void add_synth_command(CLI::App& app, CommandResult& result);
void add_eval_command(CLI::App& app, CommandResult& result);
void add_visualize_command(CLI::App& app, CommandResult& result);

// "--shape HxW" fixes the spatial dims of the model's 4-D inputs; "--shape name=1x3x64x64" one input exactly.
Result<std::map<std::string, Shape>> resolve_shapes(const std::vector<TensorInfo>& inputs,
                                                    const std::vector<std::string>& specs);

// Loads one input: .npy, .pb (TensorProto) or an 8-bit image (preprocessed to the port's H×W).
Result<Tensor> load_input(const std::string& path, const TensorInfo& port, const Shape& shape);
// A deterministic stand-in input (normal(0,1) floats, zeros for integer inputs) for runs without --input.
Result<Tensor> generated_input(const TensorInfo& port, const Shape& shape, uint64_t seed);

}  // namespace tandem::cli
