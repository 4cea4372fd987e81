// `tandem synth`: writes a SynthDrive frame set (RGB, Cityscapes labels, KITTI-style depth PNGs) to a directory.
#include <iomanip>
#include <iostream>

#include "command.h"
#include "eval/input_size.h"
#include "synth/frame_set.h"

namespace tandem::cli {
namespace {

struct SynthCommandOptions {
  std::string out_dir;
  uint64_t seed = 0;
  int64_t count = 1;
  std::string size = "256x512";
  int threads = 1;
};

Status synth_command(const SynthCommandOptions& o) {
  SynthSetOptions so;
  Result<ImageSize> size = parse_image_size(o.size);
  TANDEM_RETURN_IF_ERROR_CTX(size.status(), "--size");
  so.height = size->height;
  so.width = size->width;
  so.source = {o.seed, o.count};
  so.out_dir = o.out_dir;
  so.threads = o.threads;
  TANDEM_ASSIGN_OR_RETURN(SynthSetReport report, write_synth_set(so));
  std::cout << "synth: wrote " << report.frames << " frame(s) " << so.height << "x" << so.width << " (synth:" << o.seed
            << ":" << o.count << ") to " << o.out_dir << " in " << std::fixed << std::setprecision(2) << report.seconds
            << " s, " << std::setprecision(1) << static_cast<double>(report.frames) / std::max(report.seconds, 1e-9)
            << " frames/s with " << o.threads << " thread(s)\n";
  return Status::ok();
}

}  // namespace

void add_synth_command(CLI::App& app, CommandResult& result) {
  auto o = std::make_shared<SynthCommandOptions>();
  CLI::App* cmd =
      app.add_subcommand("synth", "Generate SynthDrive frames: NAME_rgb.png, NAME_label.png, NAME_depth.png");
  cmd->add_option("--out", o->out_dir, "Output directory (created if missing)")->required();
  cmd->add_option("--seed", o->seed, "Seed of the frame set (frame i uses synth_frame_seed(SEED, i))");
  cmd->add_option("--count", o->count, "Number of frames")->check(CLI::Range(int64_t{1}, kMaxSynthCount));
  cmd->add_option("--size", o->size, "Frame size HxW")->capture_default_str();
  cmd->add_option("--threads", o->threads, "Worker threads, one frame each")->check(CLI::Range(1, 256));
  cmd->callback([o, &result] { result.status = synth_command(*o); });
}

}  // namespace tandem::cli
