// `tandem visualize`: one image (a file or a SynthDrive frame) through the model, drawn as input | segmentation |
// depth with titles, the main classes and a depth colour bar, written as PNG.
#include <algorithm>
#include <cstdio>
#include <optional>

#include "command.h"
#include "eval/configuration.h"
#include "eval/frame_source.h"
#include "eval/input_size.h"
#include "eval/visualize.h"
#include "io/image.h"
#include "session_configuration.h"

namespace tandem::cli {
namespace {

struct VisualizeOptions {
  std::string model;
  std::string input;
  std::string shape;
  std::string out;
  int threads = 1;
};

constexpr ImageSize kDefaultSynthSize{256, 512};

Status visualize_command(const VisualizeOptions& o) {
  std::optional<ImageSize> shape;
  if (!o.shape.empty()) {
    Result<ImageSize> parsed = parse_image_size(o.shape);
    if (!parsed.is_ok()) return parsed.status().with_context("--shape");
    shape = *parsed;
    TANDEM_RETURN_IF_ERROR(check_requested_input_size(*shape));
  }
  const ImageSize synth_size = shape.value_or(kDefaultSynthSize);
  TANDEM_ASSIGN_OR_RETURN(ImageU8 image, load_frame_image(o.input, synth_size.height, synth_size.width));
  Result<ImageSize> input_size = model_input_size(image.height, image.width, shape);
  if (!input_size.is_ok()) return input_size.status().with_context("input '" + o.input + "'");
  TANDEM_ASSIGN_OR_RETURN(Configuration model, session_configuration(o.model, o.threads));
  TANDEM_ASSIGN_OR_RETURN(Tensor tensor, preprocess_imagenet(image, input_size->height, input_size->width));
  TANDEM_ASSIGN_OR_RETURN(FramePrediction fp, predict(model, tensor, image.height, image.width));
  TANDEM_ASSIGN_OR_RETURN(ImageU8 canvas, render_prediction_panels(image, fp.prediction));
  TANDEM_RETURN_IF_ERROR(save_png(canvas, o.out));
  auto [lo, hi] = std::minmax_element(fp.prediction.depth.begin(), fp.prediction.depth.end());
  std::printf("visualize: %s (%dx%d, model input %dx%d, %.0f ms incl. building the engine) -> %s (%dx%d)\n",
              o.input.c_str(), image.height, image.width, input_size->height, input_size->width, fp.run_ms,
              o.out.c_str(), canvas.height, canvas.width);
  std::printf("  predicted depth %.2f .. %.2f m; colour bar 1 .. 80 m, log scale\n", static_cast<double>(*lo),
              static_cast<double>(*hi));
  return Status::ok();
}

}  // namespace

void add_visualize_command(CLI::App& app, CommandResult& result) {
  auto o = std::make_shared<VisualizeOptions>();
  CLI::App* cmd = app.add_subcommand(
      "visualize", "Draw a model's segmentation and depth for one image: input | segmentation | depth, as PNG");
  cmd->add_option("model", o->model, "ONNX model with outputs seg_logits and depth")->required();
  cmd->add_option("--input", o->input,
                  "An image file, or synth:SEED for frame 0 of the SynthDrive set SEED (rendered at --shape, default "
                  "256x512)")
      ->required();
  cmd->add_option("--shape", o->shape, "Model input HxW, multiples of 32 (default: the image's size)");
  cmd->add_option("--out", o->out, "Output PNG")->required();
  cmd->add_option("--threads", o->threads, "Threads per kernel")->check(CLI::Range(1, 256));
  cmd->callback([o, &result] { result.status = visualize_command(*o); });
}

}  // namespace tandem::cli
