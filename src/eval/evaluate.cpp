// The evaluation loop: frame -> input tensor -> configuration(s) -> predictions -> accumulators.
#include "eval/evaluate.h"

#include <algorithm>
#include <chrono>

#include "io/image.h"

namespace tandem {
namespace {

class Scorer {
 public:
  Status add(const SynthFrame& frame, const FramePrediction& fp) {
    const size_t n = static_cast<size_t>(frame.width) * frame.height;
    TANDEM_CHECK_OR_RETURN(
        frame.label.size() == n && frame.depth.size() == n && fp.prediction.labels.size() == n &&
            fp.prediction.depth.size() == n,
        kInvalidArgument, "label (%zu px), depth (%zu px) and prediction (%zu px) do not match the %dx%d image",
        frame.label.size(), frame.depth.size(), fp.prediction.labels.size(), frame.height, frame.width);
    TANDEM_RETURN_IF_ERROR(confusion_.add(frame.label.data(), fp.prediction.labels.data(), static_cast<int64_t>(n)));
    depth_.add(frame.depth.data(), fp.prediction.depth.data(), static_cast<int64_t>(n));
    run_ms_.push_back(fp.run_ms);
    return Status::ok();
  }
  ConfigurationScores result() const {
    return {confusion_.scores(), depth_.mean(), depth_.images(), depth_.images_skipped(), run_ms_};
  }

 private:
  ConfusionMatrix confusion_;
  DepthAccumulator depth_;
  std::vector<double> run_ms_;
};

ImageU8 image_of(const SynthFrame& frame) {
  ImageU8 image;
  image.width = frame.width;
  image.height = frame.height;
  image.rgb = frame.rgb;
  return image;
}

}  // namespace

Result<EvalReport> evaluate(const FrameSource& source, const Configuration& candidate, const Configuration* reference,
                            const EvalOptions& options, const ProgressCallback& progress) {
  auto t0 = std::chrono::steady_clock::now();
  Scorer candidate_scorer, reference_scorer;
  ComparisonAccumulator comparison;
  const int64_t total = source.size();
  for (int64_t i = 0; i < total; ++i) {
    const std::string context = "frame '" + source.name(i) + "'";
    TANDEM_ASSIGN_OR_RETURN(SynthFrame frame, source.frame(i));
    Result<ImageSize> input = model_input_size(frame.height, frame.width, options.input_size);
    if (!input.is_ok()) return input.status().with_context(context);
    Result<Tensor> preprocessed = preprocess_imagenet(image_of(frame), input->height, input->width);
    if (!preprocessed.is_ok()) return preprocessed.status().with_context(context);
    const Tensor tensor = std::move(preprocessed).value();
    Result<FramePrediction> cand = predict(candidate, tensor, frame.height, frame.width);
    if (!cand.is_ok()) return cand.status().with_context(context);
    TANDEM_RETURN_IF_ERROR_CTX(candidate_scorer.add(frame, *cand), context);
    if (reference) {
      Result<FramePrediction> ref = predict(*reference, tensor, frame.height, frame.width);
      if (!ref.is_ok()) return ref.status().with_context(context + ", reference");
      TANDEM_RETURN_IF_ERROR_CTX(reference_scorer.add(frame, *ref), context + ", reference");
      TANDEM_RETURN_IF_ERROR_CTX(comparison.add(ref->outputs, ref->prediction, cand->outputs, cand->prediction),
                                 context);
    }
    if (progress) progress(i + 1, total);
  }
  EvalReport report;
  report.frames = total;
  report.candidate = candidate_scorer.result();
  if (reference) {
    report.reference = reference_scorer.result();
    report.comparison = comparison.result();
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return report;
}

double median_ms(std::vector<double> times) {
  if (times.empty()) return 0;
  std::sort(times.begin(), times.end());
  size_t n = times.size();
  return n % 2 ? times[n / 2] : (times[n / 2 - 1] + times[n / 2]) / 2;
}

}  // namespace tandem
