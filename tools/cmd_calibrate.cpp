// `tandem calibrate`: post-training int8 calibration. Runs the fp32 model over calibration frames, collects
// every quantised tensor's statistics once, and writes a TensorRT-format cache per method asked for.
#include <unistd.h>

#include <chrono>
#include <iostream>

#include "onnx/qdq_export.h"
#include "command.h"
#include "eval/frame_source.h"
#include "eval/input_size.h"
#include "eval/progress_meter.h"
#include "io/image.h"
#include "runtime/calibration.h"

namespace tandem::cli {
namespace {

struct CalibrateOptions {
  std::string model;
  std::string data = "synth:4000:200";
  std::vector<std::string> methods{"entropy"};
  double percentile = 99.99;
  std::string cache;
  std::string export_qdq;
  std::string shape;
  int threads = 1;
};

// "cal.cache" for one method; "cal.entropy.cache", "cal.minmax.cache"... for several.
std::string cache_path(const std::string& base, const std::string& method, bool several) {
  if (!several) return base;
  size_t dot = base.rfind('.');
  if (dot == std::string::npos || base.find('/', dot) != std::string::npos) return base + "." + method;
  return base.substr(0, dot) + "." + method + base.substr(dot);
}

Status calibrate_command(const CalibrateOptions& o) {
  std::vector<CalibrationMethod> methods;
  for (const std::string& m : o.methods) {
    TANDEM_ASSIGN_OR_RETURN(CalibrationMethod method, parse_calibration_method(m));
    methods.push_back(method);
  }
  TANDEM_ASSIGN_OR_RETURN(std::unique_ptr<ModelSession> session, ModelSession::load(o.model, ModelSessionOptions{}));
  TANDEM_CHECK_OR_RETURN(session->inputs().size() == 1, kInvalidModel,
                         "calibration feeds one image input; the model has %zu inputs", session->inputs().size());
  TANDEM_ASSIGN_OR_RETURN(ImageSize size, parse_image_size(o.shape.empty() ? "256x512" : o.shape));
  TANDEM_RETURN_IF_ERROR(check_requested_input_size(size));
  TANDEM_ASSIGN_OR_RETURN(FrameSource source, FrameSource::open(o.data, size.height, size.width));
  const std::string input = session->inputs()[0].name;
  std::map<std::string, Shape> shapes{{input, {1, 3, size.height, size.width}}};
  TANDEM_ASSIGN_OR_RETURN(std::unique_ptr<Calibrator> cal, Calibrator::create(session->graph(), shapes, o.threads));
  std::cout << "calibrating " << cal->tensors().size() << " tensors on " << source.size() << " frames of " << o.data
            << " at " << size.height << "x" << size.width << "\n";
  ProgressMeter meter(std::cerr, isatty(STDERR_FILENO) == 1, "calibrate", source.size());
  const auto t0 = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < source.size(); ++i) {
    TANDEM_ASSIGN_OR_RETURN(SynthFrame frame, source.frame(i));
    ImageU8 image{frame.width, frame.height, frame.rgb};
    TANDEM_ASSIGN_OR_RETURN(Tensor input, preprocess_imagenet(image, size.height, size.width));
    TANDEM_RETURN_IF_ERROR_CTX(cal->add({input}), source.name(i));
    meter.update(i + 1, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  meter.finish();
  CalibrationOptions co;
  co.percentile = o.percentile;
  for (size_t k = 0; k < methods.size(); ++k) {
    TANDEM_ASSIGN_OR_RETURN(CalibrationCache cache, cal->cache(methods[k], co));
    const std::string path = cache_path(o.cache, o.methods[k], methods.size() > 1);
    TANDEM_RETURN_IF_ERROR(write_cache(cache, path));
    std::cout << "wrote " << path << " (" << cache.algorithm << ", " << cache.scales.size() << " tensors)\n";
    if (!o.export_qdq.empty()) {
      const std::string qdq = cache_path(o.export_qdq, o.methods[k], methods.size() > 1);
      TANDEM_ASSIGN_OR_RETURN(QdqExportReport r, export_qdq(o.model, cache.scales, qdq));
      std::cout << "wrote " << qdq << " (Q/DQ ONNX: " << r.quantized_nodes << " int8 nodes, " << r.activation_pairs
                << " activation Q/DQ pairs";
      if (!r.skipped.empty()) std::cout << ", " << r.skipped.size() << " left in float, e.g. " << r.skipped.front();
      std::cout << ")\n";
    }
  }
  return Status::ok();
}

}  // namespace

void add_calibrate_command(CLI::App& app, CommandResult& result) {
  auto o = std::make_shared<CalibrateOptions>();
  CLI::App* cmd = app.add_subcommand("calibrate", "Post-training int8 calibration: write a TensorRT-format cache");
  cmd->add_option("model", o->model, "ONNX model")->required();
  cmd->add_option("--data", o->data, "synth:SEED:COUNT or a directory of *_rgb.png frames (default synth:4000:200)");
  cmd->add_option("--method", o->methods, "minmax, entropy, percentile, mse (several: one cache each)")->delimiter(',');
  cmd->add_option("--percentile", o->percentile, "For --method percentile")->check(CLI::Range(50.0, 100.0));
  cmd->add_option("--cache", o->cache, "Cache file to write (with several methods: NAME.<method>.EXT)")->required();
  cmd->add_option("--shape", o->shape, "HxW the frames are run at (default 256x512)");
  cmd->add_option("--export-qdq", o->export_qdq,
                  "Also write the model with QuantizeLinear/DequantizeLinear at the calibrated scales (ONNX, for ONNX "
                  "Runtime, TensorRT or tandem itself; with several methods: NAME.<method>.onnx)");
  cmd->add_option("--threads", o->threads, "Threads")->check(CLI::Range(1, 256));
  cmd->callback([o, &result] { result.status = calibrate_command(*o); });
}

}  // namespace tandem::cli
