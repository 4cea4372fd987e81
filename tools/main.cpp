// The `tandem` command line: thin subcommands over the library; every failure is one line and exit code 1.
#include <exception>
#include <iostream>
#include <new>

#include "command.h"
#include "core/memory_limit.h"
#include "tandem/version.h"

namespace {

// The one line an error is printed as. Messages quote names from the files they reject (a node called
// "a\nb", a 1 MB tensor name), so control characters are escaped and the line is cut to a readable length.
std::string one_line(const std::string& message) {
  constexpr size_t kMaxChars = 4000;
  std::string out;
  for (unsigned char c : message) {
    if (out.size() >= kMaxChars) {
      out += " [...]";
      break;
    }
    if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += ' ';
    else if (c < 0x20 || c == 0x7f) out += tandem::format("\\x%02x", static_cast<unsigned>(c));
    else out += static_cast<char>(c);
  }
  return out;
}

int fail(const std::string& message) {
  std::cout.flush();
  std::cerr << "tandem: error: " << one_line(message) << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Tandem: multi-task perception inference across compute units"};
  app.set_version_flag("--version", std::string("tandem ") + tandem::version());
  app.require_subcommand(1);
  // Options of the whole program may be given after the subcommand too (`tandem run m.onnx --max-memory 4G`).
  app.fallthrough();
  // Applied as soon as it is parsed (trigger_on_parse), before the subcommand's callback runs.
  app.add_option_function<std::string>(
         "--max-memory",
         [](const std::string& text) {
           tandem::Result<uint64_t> bytes = tandem::parse_memory_size(text);
           if (!bytes.is_ok()) throw CLI::ValidationError("--max-memory", bytes.status().message());
           tandem::set_memory_limit(*bytes);
         },
         "Most memory Tandem may hold in tensors and buffers at once, e.g. 8G or 512M (default: half of "
         "physical memory)")
      ->trigger_on_parse();
  // Flag errors read like every other error: one line, exit code 1 (--help still prints the help, exit 0).
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return "tandem: error: " + one_line(e.what()) + "\n";
  });
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
  } catch (const std::bad_alloc& e) {
    // Tandem checks sizes before it allocates; this is the system itself running out (or a size check missed).
    return fail(std::string("resource exhausted: out of memory: ") + e.what());
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  if (!result.status.is_ok()) return fail(result.status.to_string());
  return 0;
}
