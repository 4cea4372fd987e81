// The `tandem` command line: thin subcommands over the library; every failure is one line and exit code 1.
#include <exception>
#include <iostream>

#include "command.h"

int main(int argc, char** argv) {
  CLI::App app{"Tandem: multi-task perception inference across compute units"};
  app.require_subcommand(1);
  // Flag errors read like every other error: one line, exit code 1 (--help still prints the help, exit 0).
  app.failure_message([](const CLI::App*, const CLI::Error& e) { return "tandem: error: " + std::string(e.what()) + "\n"; });
  tandem::cli::CommandResult result;
  tandem::cli::add_inspect_command(app, result);
  tandem::cli::add_run_command(app, result);
  tandem::cli::add_plan_command(app, result);
  tandem::cli::add_bench_command(app, result);
  tandem::cli::add_build_command(app, result);
  tandem::cli::add_calibrate_command(app, result);
  tandem::cli::add_synth_command(app, result);
  tandem::cli::add_eval_command(app, result);
  tandem::cli::add_visualize_command(app, result);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "tandem: error: " << e.what() << "\n";
    return 1;
  }
  if (!result.status.is_ok()) {
    std::cerr << "tandem: error: " << result.status.to_string() << "\n";
    return 1;
  }
  return 0;
}
