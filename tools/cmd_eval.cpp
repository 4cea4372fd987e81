// `tandem eval`: segmentation and depth accuracy of a model on labelled frames (SynthDrive sets or a directory), and
// with --reference, how far it is from a reference model on the same inputs.
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>

#include <nlohmann/json.hpp>

#include "command.h"
#include "eval/evaluate.h"
#include "eval/progress_meter.h"
#include "io/image.h"
#include "runtime/layer_report.h"
#include "session_configuration.h"

namespace tandem::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct EvalCommandOptions {
  std::string model;
  std::string data;
  std::string shape;
  int threads = 1;
  std::string json_path;
  std::string reference;
  bool layer_report = false;
  int layer_report_frames = 4;
};

constexpr ImageSize kDefaultSynthSize{256, 512};

// "12.34" for a fraction shown in percent; "-" for NaN (a class absent from the ground truth).
std::string percent(double v, int decimals = 2) {
  if (std::isnan(v)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, 100 * v);
  return buf;
}

std::string number(double v, const char* fmt = "%.4f") {
  if (std::isnan(v)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

json json_number(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

// One table row: a label and one value per configuration (model, then reference).
void row(const std::string& label, const std::string& model, const std::optional<std::string>& reference = {}) {
  std::printf("  %-34s %12s", label.c_str(), model.c_str());
  if (reference) std::printf(" %12s", reference->c_str());
  std::printf("\n");
}

template <typename F>
std::optional<std::string> of_reference(const EvalReport& r, F f) {
  if (!r.reference) return std::nullopt;
  return f(*r.reference);
}

void print_segmentation(const EvalReport& r) {
  const SegmentationScores& m = r.candidate.segmentation;
  std::printf("segmentation (19 Cityscapes classes, %d present in the ground truth; mIoU over those)\n",
              m.classes_present);
  row("mIoU, %", percent(m.miou), of_reference(r, [](auto& s) { return percent(s.segmentation.miou); }));
  row("pixel accuracy, %", percent(m.pixel_accuracy),
      of_reference(r, [](auto& s) { return percent(s.segmentation.pixel_accuracy); }));
  std::printf("  IoU per class, %% (share of labelled pixels)\n");
  for (int c = 0; c < kNumCityscapesClasses; ++c) {
    const ClassScore& cs = m.classes[static_cast<size_t>(c)];
    double share = m.labelled_pixels > 0 ? static_cast<double>(cs.gt_pixels) / static_cast<double>(m.labelled_pixels)
                                         : std::nan("");
    std::string label = std::string("  ") + cityscapes_class_name(c) + " (" + percent(share, 1) + " %)";
    if (cs.gt_pixels == 0) label = std::string("  ") + cityscapes_class_name(c) + " (not in GT)";
    row(label, percent(cs.iou),
        of_reference(r, [c](auto& s) { return percent(s.segmentation.classes[static_cast<size_t>(c)].iou); }));
  }
}

void print_depth(const EvalReport& r) {
  const ConfigurationScores& m = r.candidate;
  std::printf("depth (GT in (%g, %g] m, predictions clamped to that range; mean of per-frame errors over %lld frame(s)",
              static_cast<double>(kMinDepth), static_cast<double>(kMaxDepth), static_cast<long long>(m.depth_images));
  if (m.depth_images_skipped)
    std::printf(", %lld without valid GT left out", static_cast<long long>(m.depth_images_skipped));
  std::printf(")\n");
  struct Metric {
    const char* name;
    double DepthErrors::*field;
    const char* fmt;
  };
  static const Metric kMetrics[] = {
      {"AbsRel", &DepthErrors::abs_rel, "%.4f"},       {"SqRel", &DepthErrors::sq_rel, "%.4f"},
      {"RMSE, m", &DepthErrors::rmse, "%.3f"},         {"RMSE log", &DepthErrors::rmse_log, "%.4f"},
      {"delta < 1.25", &DepthErrors::delta1, "%.4f"},  {"delta < 1.25^2", &DepthErrors::delta2, "%.4f"},
      {"delta < 1.25^3", &DepthErrors::delta3, "%.4f"}};
  for (const Metric& k : kMetrics)
    row(k.name, number(m.depth.*k.field, k.fmt),
        of_reference(r, [&](auto& s) { return number(s.depth.*k.field, k.fmt); }));
}

void print_timing(const EvalReport& r) {
  std::printf("timing (time inside the model per frame; the first frame includes building the engine)\n");
  row("ms/frame, median", number(median_ms(r.candidate.run_ms), "%.1f"),
      of_reference(r, [](auto& s) { return number(median_ms(s.run_ms), "%.1f"); }));
  row("first frame, ms", number(r.candidate.run_ms.empty() ? 0 : r.candidate.run_ms.front(), "%.1f"),
      of_reference(r, [](auto& s) { return number(s.run_ms.empty() ? 0 : s.run_ms.front(), "%.1f"); }));
  std::printf("  %lld frame(s) in %.2f s (%.2f frames/s, rendering/reading and scoring included)\n",
              static_cast<long long>(r.frames), r.seconds,
              r.seconds > 0 ? static_cast<double>(r.frames) / r.seconds : 0);
}

void print_comparison(const Comparison& c) {
  std::printf("comparison (model vs reference on identical inputs)\n");
  row("segmentation argmax agreement, %", percent(c.seg_agreement, 3));
  row("depth mean relative error, %", percent(c.depth_mean_rel_error, 4));
  row("depth max abs error, m", number(c.depth_max_abs_error, "%.3g"));
  for (auto [name, t] :
       {std::pair<const char*, const TensorAgreement*>{kSegLogitsName, &c.seg_logits}, {kDepthName, &c.depth}}) {
    row(std::string(name) + ": max abs error", number(t->max_abs_error, "%.3g"));
    row(std::string(name) + ": cosine similarity", number(t->cosine, "%.6f"));
    row(std::string(name) + ": worst frame's cosine", number(t->min_frame_cosine, "%.6f"));
  }
}

json scores_json(const ConfigurationScores& s, const std::string& model) {
  json classes = json::array();
  for (int c = 0; c < kNumCityscapesClasses; ++c) {
    const ClassScore& cs = s.segmentation.classes[static_cast<size_t>(c)];
    classes.push_back({{"id", c},
                       {"name", cityscapes_class_name(c)},
                       {"iou", json_number(cs.iou)},
                       {"intersection", cs.intersection},
                       {"union", cs.union_},
                       {"gt_pixels", cs.gt_pixels},
                       {"pred_pixels", cs.pred_pixels}});
  }
  const DepthErrors& d = s.depth;
  return {{"model", model},
          {"segmentation",
           {{"miou", json_number(s.segmentation.miou)},
            {"pixel_accuracy", json_number(s.segmentation.pixel_accuracy)},
            {"classes_present", s.segmentation.classes_present},
            {"labelled_pixels", s.segmentation.labelled_pixels},
            {"classes", classes}}},
          {"depth",
           {{"abs_rel", json_number(d.abs_rel)},
            {"sq_rel", json_number(d.sq_rel)},
            {"rmse", json_number(d.rmse)},
            {"rmse_log", json_number(d.rmse_log)},
            {"delta1", json_number(d.delta1)},
            {"delta2", json_number(d.delta2)},
            {"delta3", json_number(d.delta3)},
            {"frames", s.depth_images},
            {"frames_without_valid_depth", s.depth_images_skipped}}},
          {"timing", {{"ms_per_frame_median", median_ms(s.run_ms)}, {"run_ms", s.run_ms}}}};
}

json agreement_json(const TensorAgreement& t) {
  return {{"max_abs_error", json_number(t.max_abs_error)},
          {"cosine", json_number(t.cosine)},
          {"min_frame_cosine", json_number(t.min_frame_cosine)}};
}

Status write_json(const EvalCommandOptions& o, const std::optional<ImageSize>& shape, const EvalReport& r,
                  const json& layers) {
  json j = scores_json(r.candidate, o.model);
  j["data"] = o.data;
  j["frames"] = r.frames;
  j["input_shape"] = shape ? json(std::to_string(shape->height) + "x" + std::to_string(shape->width)) : json(nullptr);
  j["threads"] = o.threads;
  j["seconds"] = r.seconds;
  if (r.reference) j["reference"] = scores_json(*r.reference, o.reference);
  if (r.comparison) {
    const Comparison& c = *r.comparison;
    j["comparison"] = {
        {"seg_argmax_agreement", json_number(c.seg_agreement)},
        {"depth_mean_rel_error", json_number(c.depth_mean_rel_error)},
        {"depth_max_abs_error", json_number(c.depth_max_abs_error)},
        {"outputs", {{kSegLogitsName, agreement_json(c.seg_logits)}, {kDepthName, agreement_json(c.depth)}}}};
  }
  if (!layers.is_null()) j["layer_report"] = layers;
  std::ofstream f(o.json_path);
  TANDEM_CHECK_OR_RETURN(f.good(), kIoError, "cannot write '%s'", o.json_path.c_str());
  f << j.dump(2) << "\n";
  TANDEM_CHECK_OR_RETURN(f.good(), kIoError, "cannot write '%s'", o.json_path.c_str());
  return Status::ok();
}

// Float noise (different summation orders) stays well below this relative L2 error; int8 lands far above it.
constexpr double kDivergenceThreshold = 1e-3;

// --layer-report: every intermediate tensor of the model against the reference's, over the first frames.
Status layer_report(const EvalCommandOptions& o, const FrameSource& source, const std::optional<ImageSize>& shape,
                    json* out) {
  TANDEM_CHECK_OR_RETURN(!o.reference.empty(), kInvalidArgument,
                         "--layer-report needs --reference (the FP32 model to compare every tensor against)");
  TANDEM_CHECK_OR_RETURN(source.size() > 0, kInvalidArgument, "--layer-report: --data has no frames");
  TANDEM_ASSIGN_OR_RETURN(SynthFrame first, source.frame(0));
  ImageSize size = shape.value_or(ImageSize{first.height, first.width});
  TANDEM_ASSIGN_OR_RETURN(std::unique_ptr<Deployment> subject,
                          load_or_build_deployment(o.model, o.threads, size.height, size.width));
  if (is_engine_file(o.model)) {
    // An engine has the shape it was built for; the reference is built to match it.
    const Shape& s = subject->tensors()[static_cast<size_t>(subject->model_inputs()[0])].shape;
    size = ImageSize{static_cast<int>(s[2]), static_cast<int>(s[3])};
  }
  TANDEM_ASSIGN_OR_RETURN(std::unique_ptr<Deployment> reference,
                          load_or_build_deployment(o.reference, o.threads, size.height, size.width));
  const Shape& ref_in = reference->tensors()[static_cast<size_t>(reference->model_inputs()[0])].shape;
  TANDEM_CHECK_OR_RETURN(ref_in[2] == size.height && ref_in[3] == size.width, kInvalidArgument,
                         "--layer-report: the reference engine takes %s, the model %dx%d",
                         shape_to_string(ref_in).c_str(), size.height, size.width);
  TANDEM_ASSIGN_OR_RETURN(std::unique_ptr<LayerReport> report, LayerReport::create(*subject, *reference));
  const int64_t frames = std::min<int64_t>(o.layer_report_frames, source.size());
  for (int64_t i = 0; i < frames; ++i) {
    TANDEM_ASSIGN_OR_RETURN(SynthFrame frame, source.frame(i));
    ImageU8 image;
    image.width = frame.width;
    image.height = frame.height;
    image.rgb = frame.rgb;
    TANDEM_ASSIGN_OR_RETURN(Tensor input, preprocess_imagenet(image, size.height, size.width));
    TANDEM_RETURN_IF_ERROR_CTX(report->add_frame(std::span<const Tensor>(&input, 1)), "frame '" + source.name(i) + "'");
  }
  const std::vector<TensorError> rows = report->result();
  const int start = first_divergence(rows, kDivergenceThreshold);
  std::printf("layer report: %zu tensors of %s vs %s over %lld frame(s); listed: relative L2 error >= %g\n", rows.size(),
              o.model.c_str(), o.reference.c_str(), static_cast<long long>(frames), kDivergenceThreshold);
  std::printf("  %-12s %-50s %-16s %10s %10s %10s\n", "stage", "tensor", "op", "cosine", "rel L2", "added");
  for (size_t i = 0; i < rows.size(); ++i) {
    const TensorError& e = rows[i];
    if (e.rel_l2 < kDivergenceThreshold) continue;
    std::printf("  %-12s %-50s %-16s %10.6f %10.2e %10.2e%s\n", e.stage.c_str(), e.tensor.c_str(), e.op_type.c_str(),
                e.cosine, e.rel_l2, e.growth, static_cast<int>(i) == start ? "  <- error starts here" : "");
  }
  if (start < 0) {
    std::printf("  (none: every tensor matches the reference to float precision)\n");
  } else {
    std::vector<const TensorError*> by_growth;
    for (const TensorError& e : rows) by_growth.push_back(&e);
    std::sort(by_growth.begin(), by_growth.end(), [](auto* a, auto* b) { return a->growth > b->growth; });
    std::printf("  largest increases (what each layer adds to the worst error of its inputs):\n");
    for (size_t i = 0; i < std::min<size_t>(8, by_growth.size()) && by_growth[i]->growth > 0; ++i) {
      const TensorError& e = *by_growth[i];
      std::printf("    %-50s %-16s +%.2e -> %.2e (%s, node '%s')\n", e.tensor.c_str(), e.op_type.c_str(), e.growth,
                  e.rel_l2, e.stage.c_str(), e.node.c_str());
    }
  }
  if (out) {
    json list = json::array();
    for (const TensorError& e : rows)
      list.push_back({{"tensor", e.tensor}, {"node", e.node}, {"op_type", e.op_type}, {"stage", e.stage},
                      {"elements", e.elements}, {"cosine", json_number(e.cosine)}, {"rel_l2", json_number(e.rel_l2)},
                      {"max_abs_error", json_number(e.max_abs)}, {"added", json_number(e.growth)}});
    *out = {{"frames", frames}, {"threshold", kDivergenceThreshold},
            {"first_divergence", start < 0 ? json(nullptr) : json(rows[static_cast<size_t>(start)].tensor)},
            {"tensors", list}};
  }
  return Status::ok();
}

Status eval_command(const EvalCommandOptions& o) {
  TANDEM_CHECK_OR_RETURN(!o.layer_report || !o.reference.empty(), kInvalidArgument,
                         "--layer-report needs --reference (the FP32 model to compare every tensor against)");
  std::optional<ImageSize> shape;
  if (!o.shape.empty()) {
    Result<ImageSize> parsed = parse_image_size(o.shape);
    if (!parsed.is_ok()) return parsed.status().with_context("--shape");
    shape = *parsed;
    TANDEM_RETURN_IF_ERROR(check_requested_input_size(*shape));
  }
  if (!o.json_path.empty()) {
    // Fail before minutes of evaluation, not after: the file itself is written at the end.
    std::error_code ec;
    fs::path dir = fs::absolute(o.json_path, ec).parent_path();
    TANDEM_CHECK_OR_RETURN(fs::is_directory(dir, ec), kNotFound, "--json %s: directory '%s' does not exist",
                           o.json_path.c_str(), dir.string().c_str());
  }
  const ImageSize synth_size = shape.value_or(kDefaultSynthSize);
  TANDEM_ASSIGN_OR_RETURN(FrameSource source, FrameSource::open(o.data, synth_size.height, synth_size.width));
  TANDEM_ASSIGN_OR_RETURN(Configuration model, session_configuration(o.model, o.threads));
  std::optional<Configuration> reference;
  if (!o.reference.empty()) {
    TANDEM_ASSIGN_OR_RETURN(reference, session_configuration(o.reference, o.threads));
  }
  ProgressMeter meter(std::cerr, isatty(STDERR_FILENO) == 1, "eval", source.size());
  const auto t0 = std::chrono::steady_clock::now();
  auto progress = [&](int64_t done, int64_t) {
    meter.update(done, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  };
  EvalOptions options;
  options.input_size = shape;
  Result<EvalReport> result = evaluate(source, model, reference ? &*reference : nullptr, options, progress);
  meter.finish();
  if (!result.is_ok()) return result.status();
  const EvalReport& r = *result;

  std::printf("tandem eval: %lld frame(s) of %s, model input %s, %d thread(s)\n", static_cast<long long>(r.frames),
              o.data.c_str(), shape ? o.shape.c_str() : "= frame size", o.threads);
  std::printf("  model      %s\n", o.model.c_str());
  if (r.reference) std::printf("  reference  %s\n", o.reference.c_str());
  if (r.reference) row("", "model", std::string("reference"));
  print_segmentation(r);
  print_depth(r);
  print_timing(r);
  if (r.comparison) print_comparison(*r.comparison);
  json layers;
  if (o.layer_report) TANDEM_RETURN_IF_ERROR(layer_report(o, source, shape, &layers));
  if (!o.json_path.empty()) {
    TANDEM_RETURN_IF_ERROR(write_json(o, shape, r, layers));
    std::printf("wrote %s\n", o.json_path.c_str());
  }
  return Status::ok();
}

}  // namespace

void add_eval_command(CLI::App& app, CommandResult& result) {
  auto o = std::make_shared<EvalCommandOptions>();
  CLI::App* cmd = app.add_subcommand(
      "eval",
      "Segmentation (mIoU, pixel accuracy, per-class IoU) and depth (AbsRel ... delta<1.25^3) accuracy on "
      "labelled frames; with --reference, the agreement with a reference model");
  cmd->add_option("model", o->model, "ONNX model with outputs seg_logits [1,19,H/4,W/4] and depth [1,1,H,W]")
      ->required();
  cmd->add_option("--data", o->data,
                  "synth:SEED:COUNT (SynthDrive frames rendered on the fly at --shape, default 256x512) or a "
                  "directory of NAME_rgb.png + NAME_label.png + NAME_depth.png")
      ->required();
  cmd->add_option("--shape", o->shape, "Model input HxW, multiples of 32 (default: each frame's size)");
  cmd->add_option("--threads", o->threads, "Threads per kernel")->check(CLI::Range(1, 256));
  cmd->add_option("--json", o->json_path, "Also write every number as JSON to this file");
  cmd->add_option("--reference", o->reference,
                  "Reference model (e.g. the FP32 export) run on the same inputs, for agreement metrics");
  cmd->add_flag("--layer-report", o->layer_report,
               "Compare every intermediate tensor with --reference's (cosine, relative L2) and show where the "
               "error starts and grows");
  cmd->add_option("--layer-report-frames", o->layer_report_frames, "Frames the layer report averages over")
      ->check(CLI::Range(1, 100000));
  cmd->callback([o, &result] { result.status = eval_command(*o); });
}

}  // namespace tandem::cli
