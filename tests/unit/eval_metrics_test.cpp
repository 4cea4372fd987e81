// The evaluation library: segmentation and depth metrics on hand-computed cases, post-processing, comparison metrics,
// frame sources and their errors, the evaluation loop with stand-in configurations, and the picture's parts.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "eval/bitmap_font.h"
#include "eval/compare.h"
#include "eval/depth_metrics.h"
#include "eval/evaluate.h"
#include "eval/frame_source.h"
#include "eval/input_size.h"
#include "eval/palette.h"
#include "eval/postprocess.h"
#include "eval/progress_meter.h"
#include "eval/seg_metrics.h"
#include "eval/task_outputs.h"
#include "eval/visualize.h"
#include "synth/frame_io.h"
#include "synth/png_file.h"

namespace tandem {
namespace {

namespace fs = std::filesystem;

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

Tensor floats(Shape shape, std::vector<float> values) { return Tensor::from_vector<float>(std::move(shape), values); }

// ---- segmentation ----------------------------------------------------------------------------------------------

TEST(SegMetrics, HandComputedIoUsOnA2x3Map) {
  // ground truth   prediction
  //   0 0 1          0 1 1
  //   1 2 255        1 5 0
  const std::vector<uint8_t> gt = {0, 0, 1, 1, 2, 255}, pred = {0, 1, 1, 1, 5, 0};
  ConfusionMatrix cm;
  ASSERT_TRUE(cm.add(gt.data(), pred.data(), 6).is_ok());
  SegmentationScores s = cm.scores();
  EXPECT_DOUBLE_EQ(s.classes[0].iou, 0.5);        // I 1, U 2: the 0 predicted on the ignored pixel does not count
  EXPECT_DOUBLE_EQ(s.classes[1].iou, 2.0 / 3.0);  // I 2, U 3
  EXPECT_DOUBLE_EQ(s.classes[2].iou, 0.0);        // its only pixel was called class 5
  EXPECT_TRUE(std::isnan(s.classes[5].iou));      // predicted once, never in the ground truth: out of the mean
  EXPECT_EQ(s.classes[5].pred_pixels, 1);
  EXPECT_EQ(s.classes[0].pred_pixels, 1);
  EXPECT_EQ(s.classes_present, 3);
  EXPECT_DOUBLE_EQ(s.miou, (0.5 + 2.0 / 3.0 + 0.0) / 3.0);
  EXPECT_EQ(s.labelled_pixels, 5);
  EXPECT_DOUBLE_EQ(s.pixel_accuracy, 3.0 / 5.0);
}

TEST(SegMetrics, IntersectionsAndUnionsAreSummedOverTheSetNotAveragedPerFrame) {
  ConfusionMatrix cm;
  const std::vector<uint8_t> gt_a = {0}, pred_a = {0};
  const std::vector<uint8_t> gt_b = {0, 0, 0, 0}, pred_b = {0, 1, 1, 0};
  ASSERT_TRUE(cm.add(gt_a.data(), pred_a.data(), 1).is_ok());
  ASSERT_TRUE(cm.add(gt_b.data(), pred_b.data(), 4).is_ok());
  SegmentationScores s = cm.scores();
  EXPECT_DOUBLE_EQ(s.classes[0].iou, 3.0 / 5.0);  // per-frame average would be (1 + 2/4) / 2
  EXPECT_TRUE(std::isnan(s.classes[1].iou));      // only predicted
  EXPECT_EQ(s.classes_present, 1);
  EXPECT_DOUBLE_EQ(s.miou, 3.0 / 5.0);
  EXPECT_EQ(cm.at(0, 1), 2);
}

TEST(SegMetrics, AllIgnoredGivesNaNScores) {
  ConfusionMatrix cm;
  const std::vector<uint8_t> gt = {255, 255}, pred = {3, 4};
  ASSERT_TRUE(cm.add(gt.data(), pred.data(), 2).is_ok());
  SegmentationScores s = cm.scores();
  EXPECT_EQ(s.classes_present, 0);
  EXPECT_TRUE(std::isnan(s.miou));
  EXPECT_TRUE(std::isnan(s.pixel_accuracy));
  EXPECT_EQ(s.classes[3].pred_pixels, 0);  // ignored pixels count for nothing, predictions included
}

TEST(SegMetrics, LabelsOutsideTrainIdsAreAnErrorAndCountNothing) {
  for (uint8_t bad : {uint8_t{19}, uint8_t{254}}) {
    ConfusionMatrix cm;
    const std::vector<uint8_t> gt = {0, bad}, pred = {0, 0};
    Status st = cm.add(gt.data(), pred.data(), 2);
    EXPECT_EQ(st.code(), Code::kInvalidArgument);
    EXPECT_TRUE(contains(st.message(), "label " + std::to_string(bad))) << st.message();
    EXPECT_EQ(cm.at(0, 0), 0);  // the valid first pixel was not counted either
  }
  ConfusionMatrix cm;
  const std::vector<uint8_t> gt = {0}, pred = {19};
  EXPECT_FALSE(cm.add(gt.data(), pred.data(), 1).is_ok());
}

// ---- depth -----------------------------------------------------------------------------------------------------

TEST(DepthMetrics, HandComputedErrorsOnValidPixelsOnly) {
  // Pixels 3 and 4 have no usable ground truth (0 = none, 100 m beyond the 80 m cap).
  const std::vector<float> gt = {2.0f, 4.0f, 0.0f, 100.0f}, pred = {1.2f, 4.5f, 3.0f, 3.0f};
  int64_t valid = 0;
  DepthErrors e = depth_errors(gt.data(), pred.data(), 4, &valid);
  EXPECT_EQ(valid, 2);
  EXPECT_NEAR(e.abs_rel, (0.8 / 2 + 0.5 / 4) / 2, 1e-6);
  EXPECT_NEAR(e.sq_rel, (0.64 / 2 + 0.25 / 4) / 2, 1e-6);
  EXPECT_NEAR(e.rmse, std::sqrt((0.64 + 0.25) / 2), 1e-6);
  EXPECT_NEAR(e.rmse_log, std::sqrt((std::pow(std::log(2 / 1.2), 2) + std::pow(std::log(4 / 4.5), 2)) / 2), 1e-6);
  EXPECT_DOUBLE_EQ(e.delta1, 0.5);  // ratios 1.667 and 1.125
  EXPECT_DOUBLE_EQ(e.delta2, 0.5);  // 1.667 >= 1.5625
  EXPECT_DOUBLE_EQ(e.delta3, 1.0);  // 1.667 < 1.953
}

TEST(DepthMetrics, ValidRangeIsOpenBelowAndClosedAbove) {
  const std::vector<float> gt = {1e-3f, 80.0f, -1.0f, NAN}, pred = {1.0f, 80.0f, 1.0f, 1.0f};
  int64_t valid = 0;
  DepthErrors e = depth_errors(gt.data(), pred.data(), 4, &valid);
  EXPECT_EQ(valid, 1);  // only the 80 m pixel
  EXPECT_DOUBLE_EQ(e.abs_rel, 0.0);
  EXPECT_DOUBLE_EQ(e.delta1, 1.0);
}

TEST(DepthMetrics, PredictionsAreClampedToTheValidRange) {
  const std::vector<float> gt = {40.0f, 1.0f, 1.0f}, pred = {200.0f, 0.0f, NAN};
  int64_t valid = 0;
  DepthErrors e = depth_errors(gt.data(), pred.data(), 3, &valid);
  EXPECT_EQ(valid, 3);
  // 200 -> 80: |40 - 80| / 40 = 1; 0 and NaN -> 1e-3: |1 - 0.001| / 1 = 0.999.
  EXPECT_NEAR(e.abs_rel, (1.0 + 0.999 + 0.999) / 3, 1e-6);
  EXPECT_TRUE(std::isfinite(e.rmse_log));
}

TEST(DepthMetrics, MeansAreOverImagesAndImagesWithoutValidPixelsAreSkipped) {
  DepthAccumulator acc;
  const std::vector<float> gt_a = {2.0f}, pred_a = {1.0f};                      // AbsRel 0.5 from one pixel
  const std::vector<float> gt_b = {10, 10, 10, 10}, pred_b = {11, 11, 11, 11};  // 0.1 from four
  const std::vector<float> gt_c = {0, 0}, pred_c = {5, 5};
  acc.add(gt_a.data(), pred_a.data(), 1);
  acc.add(gt_b.data(), pred_b.data(), 4);
  acc.add(gt_c.data(), pred_c.data(), 2);
  EXPECT_EQ(acc.images(), 2);
  EXPECT_EQ(acc.images_skipped(), 1);
  EXPECT_NEAR(acc.mean().abs_rel, 0.3, 1e-6);  // per-pixel pooling would give 0.18
  EXPECT_TRUE(std::isnan(DepthAccumulator().mean().rmse));
}

// ---- post-processing -------------------------------------------------------------------------------------------

TEST(Postprocess, BilinearResizeUsesHalfPixelCentres) {
  const std::vector<float> src = {0, 4, 8, 12};  // 2x2
  std::vector<float> out = resize_bilinear(src.data(), 2, 2, 4, 4);
  const std::vector<float> want = {0, 1, 3, 4, 2, 3, 5, 6, 6, 7, 9, 10, 8, 9, 11, 12};  // torch, align_corners=False
  ASSERT_EQ(out.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_FLOAT_EQ(out[i], want[i]) << i;
}

TEST(Postprocess, UpsampleThenArgmaxOnATinyLogitsTensor) {
  // Class 0 falls 1 -> 0 across two columns, class 1 is flat at 0.7. Upsampled x2 with half-pixel centres, class 0
  // reads 1, 0.75, 0.25, 0: the answer is 0 0 1 1 (align_corners=True would read 1, 0.67, ... and give 0 1 1 1).
  Tensor logits = floats({1, 2, 1, 2}, {1.0f, 0.0f, 0.7f, 0.7f});
  Result<std::vector<uint8_t>> labels = segmentation_labels(logits, 2, 4);
  ASSERT_TRUE(labels.is_ok()) << labels.status().to_string();
  EXPECT_EQ(*labels, (std::vector<uint8_t>{0, 0, 1, 1, 0, 0, 1, 1}));
}

TEST(Postprocess, ArgmaxMatchesPerClassResizeAndTakesTheFirstClassOnTies) {
  std::vector<float> v(3 * 3 * 5);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>((i * 37 + 11) % 17) / 17.0f;
  Tensor logits = floats({1, 3, 3, 5}, v);
  Result<std::vector<uint8_t>> labels = segmentation_labels(logits, 12, 20);
  ASSERT_TRUE(labels.is_ok());
  std::vector<std::vector<float>> planes;
  for (int c = 0; c < 3; ++c) planes.push_back(resize_bilinear(v.data() + c * 15, 3, 5, 12, 20));
  for (size_t i = 0; i < labels->size(); ++i) {
    int best = 0;
    for (int c = 1; c < 3; ++c)
      if (planes[c][i] > planes[best][i]) best = c;
    EXPECT_EQ((*labels)[i], best) << i;
  }
  Tensor tied = floats({1, 2, 1, 1}, {0.5f, 0.5f});
  EXPECT_EQ(segmentation_labels(tied, 2, 2).value(), (std::vector<uint8_t>{0, 0, 0, 0}));
}

TEST(Postprocess, DepthIsCopiedAtItsSizeAndResizedOtherwise) {
  Tensor depth = floats({1, 1, 2, 2}, {0, 4, 8, 12});
  EXPECT_EQ(depth_map(depth, 2, 2).value(), (std::vector<float>{0, 4, 8, 12}));
  EXPECT_EQ(depth_map(depth, 4, 4).value()[5], 3.0f);
  EXPECT_FALSE(depth_map(floats({1, 2, 2, 2}, std::vector<float>(8)), 2, 2).is_ok());
  EXPECT_FALSE(segmentation_labels(floats({2, 2}, {1, 2, 3, 4}), 2, 2).is_ok());
}

// ---- task outputs ----------------------------------------------------------------------------------------------

TEST(TaskOutputs, FindsOutputsByNameAndListsWhatAModelHasOtherwise) {
  Result<TaskOutputIndex> found = find_task_outputs({"depth", "c1", "seg_logits"});
  ASSERT_TRUE(found.is_ok());
  EXPECT_EQ(found->seg_logits, 2u);
  EXPECT_EQ(found->depth, 0u);
  Result<TaskOutputIndex> missing = find_task_outputs({"logits", "disparity"});
  ASSERT_FALSE(missing.is_ok());
  EXPECT_EQ(missing.status().code(), Code::kInvalidModel);
  EXPECT_TRUE(contains(missing.status().message(), "'logits', 'disparity'")) << missing.status().message();
  EXPECT_TRUE(contains(missing.status().message(), "seg_logits"));
}

TEST(TaskOutputs, ValidationNamesTheOutputAndTheShapeExpected) {
  TaskOutputs ok{Tensor::make(DType::kFloat32, {1, 19, 2, 4}), Tensor::make(DType::kFloat32, {1, 1, 8, 16})};
  EXPECT_TRUE(validate_task_outputs(ok).is_ok());
  TaskOutputs wrong_classes{Tensor::make(DType::kFloat32, {1, 18, 2, 4}), ok.depth};
  Status st = validate_task_outputs(wrong_classes);
  EXPECT_TRUE(contains(st.message(), "'seg_logits'") && contains(st.message(), "[1,19,H,W]")) << st.message();
  TaskOutputs int_depth{ok.seg_logits, Tensor::make(DType::kInt32, {1, 1, 8, 16})};
  EXPECT_TRUE(contains(validate_task_outputs(int_depth).message(), "'depth'"));
}

// ---- comparison ------------------------------------------------------------------------------------------------

TEST(Compare, CosineSimilarityOfKnownVectors) {
  const std::vector<float> a = {1, 0}, b = {1, 1}, zero = {0, 0};
  EXPECT_NEAR(cosine_similarity(a.data(), b.data(), 2), 1 / std::sqrt(2.0), 1e-12);
  EXPECT_DOUBLE_EQ(cosine_similarity(zero.data(), zero.data(), 2), 1.0);
  EXPECT_DOUBLE_EQ(cosine_similarity(a.data(), zero.data(), 2), 0.0);
}

TEST(Compare, HandComputedAgreementAndErrors) {
  TaskOutputs ref{floats({1, 2, 1, 2}, {1, 2, 3, 4}), floats({1, 1, 1, 2}, {2.0f, 4.0f})};
  TaskOutputs cand{floats({1, 2, 1, 2}, {1, 2, 3, 4.5f}), floats({1, 1, 1, 2}, {2.5f, 4.0f})};
  Prediction ref_pred{2, 2, {0, 1, 1, 0}, {}}, cand_pred{2, 2, {0, 1, 0, 0}, {}};
  ComparisonAccumulator acc;
  ASSERT_TRUE(acc.add(ref, ref_pred, cand, cand_pred).is_ok());
  Comparison c = acc.result();
  EXPECT_EQ(c.frames, 1);
  EXPECT_DOUBLE_EQ(c.seg_agreement, 0.75);
  EXPECT_DOUBLE_EQ(c.depth_mean_rel_error, (0.5 / 2.0 + 0.0) / 2);
  EXPECT_DOUBLE_EQ(c.depth_max_abs_error, 0.5);
  EXPECT_DOUBLE_EQ(c.seg_logits.max_abs_error, 0.5);
  EXPECT_NEAR(c.seg_logits.cosine, 32.0 / std::sqrt(30.0 * 34.25), 1e-12);
  EXPECT_NEAR(c.depth.cosine, (5.0 + 16.0) / std::sqrt(20.0 * 22.25), 1e-12);
  EXPECT_DOUBLE_EQ(c.depth.min_frame_cosine, c.depth.cosine);  // one frame
}

TEST(Compare, IdenticalOutputsAgreeExactlyAndMismatchedShapesAreAnError) {
  TaskOutputs out{floats({1, 2, 1, 1}, {1, -1}), floats({1, 1, 1, 1}, {3})};
  Prediction pred{1, 1, {0}, {3}};
  ComparisonAccumulator acc;
  ASSERT_TRUE(acc.add(out, pred, out, pred).is_ok());
  Comparison c = acc.result();
  EXPECT_EQ(c.seg_agreement, 1.0);
  EXPECT_EQ(c.depth_max_abs_error, 0.0);
  EXPECT_DOUBLE_EQ(c.seg_logits.cosine, 1.0);
  TaskOutputs other{floats({1, 2, 1, 2}, {1, -1, 1, -1}), out.depth};
  Status st = acc.add(out, pred, other, pred);
  EXPECT_TRUE(contains(st.message(), "seg_logits")) << st.message();
}

TEST(Compare, ANaNInTheCandidateShowsInTheMaximum) {
  TaskOutputs ref{floats({1, 1, 1, 2}, {1, 2}), floats({1, 1, 1, 2}, {1, 2})};
  TaskOutputs cand{floats({1, 1, 1, 2}, {1, NAN}), floats({1, 1, 1, 2}, {1, 2})};
  Prediction pred{1, 2, {0, 0}, {1, 2}};
  ComparisonAccumulator acc;
  ASSERT_TRUE(acc.add(ref, pred, cand, pred).is_ok());
  EXPECT_TRUE(std::isnan(acc.result().seg_logits.max_abs_error));
}

// ---- input sizes and frame sources -----------------------------------------------------------------------------

TEST(InputSize, ParsesHxWAndRequiresMultiplesOf32) {
  EXPECT_EQ(parse_image_size("256x512").value().width, 512);
  for (const char* bad : {"256", "0x512", "axb", "256x", "x512", "-32x64", "256x512x3"})
    EXPECT_FALSE(parse_image_size(bad).is_ok()) << bad;
  Result<ImageSize> from_frame = model_input_size(250, 500, std::nullopt);
  ASSERT_FALSE(from_frame.is_ok());
  EXPECT_TRUE(contains(from_frame.status().message(), "250x500")) << from_frame.status().message();
  EXPECT_TRUE(contains(from_frame.status().message(), "multiples of 32"));
  EXPECT_TRUE(contains(from_frame.status().message(), "--shape 224x480"));
  EXPECT_EQ(model_input_size(250, 500, ImageSize{256, 512}).value().height, 256);
  EXPECT_FALSE(model_input_size(256, 512, ImageSize{250, 512}).is_ok());
  EXPECT_EQ(model_input_size(64, 96, std::nullopt).value().width, 96);
}

class FrameDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tandem_eval_test_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir() const { return dir_.string(); }
  fs::path dir_;
};

TEST_F(FrameDir, MissingAndEmptyDirectoriesAreClearErrors) {
  Result<FrameSource> missing = FrameSource::open(dir() + "/nope", 32, 64);
  ASSERT_FALSE(missing.is_ok());
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  EXPECT_TRUE(contains(missing.status().message(), "does not exist"));
  Result<FrameSource> empty = FrameSource::open(dir(), 32, 64);
  ASSERT_FALSE(empty.is_ok());
  EXPECT_TRUE(contains(empty.status().message(), "no frames")) << empty.status().message();
}

TEST_F(FrameDir, ReadsTriplesInNameOrder) {
  SynthFrame f = synth_frame(5, 32, 64);
  ASSERT_TRUE(write_synth_frame(f, dir(), "b").is_ok());
  ASSERT_TRUE(write_synth_frame(f, dir(), "a").is_ok());
  Result<FrameSource> src = FrameSource::open(dir(), 0, 0);  // the synth size is not used for directories
  ASSERT_TRUE(src.is_ok()) << src.status().to_string();
  ASSERT_EQ(src->size(), 2);
  EXPECT_EQ(src->name(0), "a");
  Result<SynthFrame> back = src->frame(1);
  ASSERT_TRUE(back.is_ok());
  EXPECT_EQ(back->label, f.label);
}

TEST_F(FrameDir, LabelSizeMismatchAndMissingDepthNameTheFrame) {
  std::vector<uint8_t> rgb(4 * 4 * 3, 100), label(4 * 3, 0);
  ASSERT_TRUE(write_png_u8(dir() + "/x_rgb.png", 4, 4, 3, rgb.data()).is_ok());
  ASSERT_TRUE(write_png_u8(dir() + "/x_label.png", 3, 4, 1, label.data()).is_ok());
  ASSERT_TRUE(write_png_u8(dir() + "/y_rgb.png", 4, 4, 3, rgb.data()).is_ok());
  ASSERT_TRUE(write_png_u8(dir() + "/y_label.png", 4, 4, 1, std::vector<uint8_t>(16, 0).data()).is_ok());
  Result<FrameSource> src = FrameSource::open(dir(), 32, 64);
  ASSERT_TRUE(src.is_ok());
  Result<SynthFrame> x = src->frame(0);
  ASSERT_FALSE(x.is_ok());
  EXPECT_TRUE(contains(x.status().message(), "frame 'x'") && contains(x.status().message(), "4x3"))
      << x.status().message();
  Result<SynthFrame> y = src->frame(1);
  ASSERT_FALSE(y.is_ok());
  EXPECT_TRUE(contains(y.status().message(), "y_depth.png")) << y.status().message();
}

TEST(FrameSource, SynthSetsRenderFramesOfTheSetSeeds) {
  Result<FrameSource> src = FrameSource::open("synth:7:3", 32, 64);
  ASSERT_TRUE(src.is_ok());
  EXPECT_EQ(src->size(), 3);
  EXPECT_EQ(src->name(1), synth_frame_name(7, 1));
  EXPECT_EQ(src->frame(1).value().rgb, synth_frame(synth_frame_seed(7, 1), 32, 64).rgb);
  EXPECT_FALSE(FrameSource::open("synth:7", 32, 64).is_ok());
  EXPECT_FALSE(FrameSource::open("synth:7:3", 0, 64).is_ok());
}

TEST(FrameSource, ImageSpecSynthSeedIsFrameZeroOfTheSet) {
  Result<ImageU8> image = load_frame_image("synth:7", 32, 64);
  ASSERT_TRUE(image.is_ok());
  EXPECT_EQ(image->rgb, synth_frame(synth_frame_seed(7, 0), 32, 64).rgb);
  Result<ImageU8> bad = load_frame_image("synth:7:3", 32, 64);
  ASSERT_FALSE(bad.is_ok());
  EXPECT_TRUE(contains(bad.status().message(), "synth:SEED"));
  EXPECT_FALSE(load_frame_image("/nonexistent/image.png", 32, 64).is_ok());
}

// ---- the evaluation loop, with stand-in configurations ---------------------------------------------------------

// Calls every pixel road and 10 m away, whatever the input.
Configuration constant_configuration(int64_t classes = 19) {
  return [classes](const Tensor& image) -> Result<TaskOutputs> {
    const int64_t h = image.dim(2), w = image.dim(3);
    Tensor seg = Tensor::make(DType::kFloat32, {1, classes, h / 4, w / 4});
    for (int64_t i = 0; i < (h / 4) * (w / 4); ++i) seg.data<float>()[i] = 1.0f;  // class 0 wins
    Tensor depth = Tensor::make(DType::kFloat32, {1, 1, h, w});
    for (int64_t i = 0; i < h * w; ++i) depth.data<float>()[i] = 10.0f;
    return TaskOutputs{seg, depth};
  };
}

TEST(Evaluate, ScoresEveryFrameAndComparesWithTheReference) {
  FrameSource src = FrameSource::open("synth:11:2", 32, 64).value();
  std::vector<std::pair<int64_t, int64_t>> calls;
  Configuration config = constant_configuration();
  Result<EvalReport> r = evaluate(src, config, &config, {}, [&](int64_t d, int64_t t) { calls.push_back({d, t}); });
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r->frames, 2);
  EXPECT_EQ(calls, (std::vector<std::pair<int64_t, int64_t>>{{1, 2}, {2, 2}}));
  // The same numbers as scoring the frames by hand.
  ConfusionMatrix cm;
  DepthAccumulator depth;
  for (int64_t i = 0; i < 2; ++i) {
    SynthFrame f = src.frame(i).value();
    std::vector<uint8_t> road(f.label.size(), 0);
    std::vector<float> ten(f.depth.size(), 10.0f);
    ASSERT_TRUE(cm.add(f.label.data(), road.data(), static_cast<int64_t>(road.size())).is_ok());
    depth.add(f.depth.data(), ten.data(), static_cast<int64_t>(ten.size()));
  }
  EXPECT_DOUBLE_EQ(r->candidate.segmentation.miou, cm.scores().miou);
  EXPECT_DOUBLE_EQ(r->candidate.depth.abs_rel, depth.mean().abs_rel);
  EXPECT_EQ(r->candidate.run_ms.size(), 2u);
  ASSERT_TRUE(r->reference && r->comparison);
  EXPECT_EQ(r->comparison->seg_agreement, 1.0);
  EXPECT_EQ(r->comparison->depth_max_abs_error, 0.0);
  EXPECT_DOUBLE_EQ(r->comparison->depth.cosine, 1.0);
}

TEST(Evaluate, FrameSizesNotAMultipleOf32AndBadOutputsNameTheFrame) {
  FrameSource odd = FrameSource::open("synth:11:1", 30, 64).value();
  Result<EvalReport> r = evaluate(odd, constant_configuration(), nullptr, {});
  ASSERT_FALSE(r.is_ok());
  EXPECT_TRUE(contains(r.status().message(), "frame 'synth_11_00000'")) << r.status().message();
  EXPECT_TRUE(contains(r.status().message(), "multiples of 32"));
  EvalOptions resized;
  resized.input_size = ImageSize{32, 64};
  EXPECT_TRUE(evaluate(odd, constant_configuration(), nullptr, resized).is_ok());  // outputs resized back to 30x64
  FrameSource src = FrameSource::open("synth:11:1", 32, 64).value();
  Result<EvalReport> bad = evaluate(src, constant_configuration(18), nullptr, {});
  ASSERT_FALSE(bad.is_ok());
  EXPECT_TRUE(contains(bad.status().message(), "seg_logits")) << bad.status().message();
}

TEST(Evaluate, MedianOfTimes) {
  EXPECT_EQ(median_ms({}), 0.0);
  EXPECT_EQ(median_ms({5, 1, 3}), 3.0);
  EXPECT_EQ(median_ms({4, 1, 3, 2}), 2.5);
}

// ---- progress --------------------------------------------------------------------------------------------------

TEST(ProgressMeter, PlainOutputPrintsOneLinePerTenPercent) {
  std::ostringstream out;
  ProgressMeter meter(out, false, "eval", 20);
  for (int i = 1; i <= 20; ++i) meter.update(i, 0.5 * i);
  meter.finish();
  std::string text = out.str();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 10);
  EXPECT_EQ(text.find('\r'), std::string::npos);
  EXPECT_TRUE(contains(text, "eval: 2/20 frames, 2.0 frames/s, ETA 0:09 (10%)\n")) << text;
  EXPECT_TRUE(contains(text, "20/20 frames")) << text;
}

TEST(ProgressMeter, FewFramesPrintEachStepAndTerminalsRedrawOneLine) {
  std::ostringstream plain;
  ProgressMeter few(plain, false, "eval", 3);
  for (int i = 1; i <= 3; ++i) few.update(i, i);
  std::string p = plain.str();
  EXPECT_EQ(std::count(p.begin(), p.end(), '\n'), 3);
  std::ostringstream tty;
  ProgressMeter bar(tty, true, "eval", 4);
  bar.update(2, 1.0);
  bar.finish();
  EXPECT_TRUE(contains(tty.str(), "\reval [###############...............] 2/4 frames")) << tty.str();
  EXPECT_EQ(tty.str().back(), '\n');
  EXPECT_EQ(format_duration(7), "0:07");
  EXPECT_EQ(format_duration(750), "12:30");
  EXPECT_EQ(format_duration(3723), "1:02:03");
}

// ---- palette, font and picture ---------------------------------------------------------------------------------

TEST(Palette, CityscapesColoursAndInfernoEnds) {
  EXPECT_EQ(cityscapes_color(0), (Rgb{128, 64, 128}));   // road
  EXPECT_EQ(cityscapes_color(10), (Rgb{70, 130, 180}));  // sky
  EXPECT_EQ(cityscapes_color(13), (Rgb{0, 0, 142}));     // car
  EXPECT_EQ(cityscapes_color(18), (Rgb{119, 11, 32}));   // bicycle
  EXPECT_EQ(cityscapes_color(255), (Rgb{0, 0, 0}));
  EXPECT_EQ(cityscapes_color(19), (Rgb{0, 0, 0}));
  EXPECT_EQ(inferno_color(0.0f), (Rgb{0, 0, 4}));
  EXPECT_EQ(inferno_color(1.0f), (Rgb{252, 255, 164}));
  EXPECT_EQ(inferno_color(128.0f / 255.0f), (Rgb{188, 55, 84}));  // table entry 128
  EXPECT_EQ(inferno_color(NAN), inferno_color(0.0f));
  EXPECT_EQ(inferno_color(2.0f), inferno_color(1.0f));
}

TEST(Palette, DepthScaleIsLogarithmicWithNearBright) {
  DepthScale scale;
  EXPECT_FLOAT_EQ(scale.position(1.0f), 0.0f);
  EXPECT_FLOAT_EQ(scale.position(80.0f), 1.0f);
  EXPECT_NEAR(scale.position(std::sqrt(80.0f)), 0.5f, 1e-6);
  EXPECT_EQ(scale.color(0.5f), inferno_color(1.0f));  // nearer than the bar: clamped, brightest
  EXPECT_EQ(scale.color(200.0f), inferno_color(0.0f));
  EXPECT_EQ(scale.color(NAN), inferno_color(0.0f));
}

TEST(BitmapFont, DrawsGlyphPixelsAndMeasuresText) {
  EXPECT_EQ(text_width("80", 2), 22);
  EXPECT_EQ(text_width("", 3), 0);
  ImageU8 image{8, 8, std::vector<uint8_t>(8 * 8 * 3, 0)};
  draw_text(image, 0, 0, "1", 1, Rgb{255, 255, 255});
  auto ink = [&](int x, int y) { return image.rgb[(static_cast<size_t>(y) * 8 + x) * 3] == 255; };
  EXPECT_TRUE(ink(2, 0));  // "..#.."
  EXPECT_FALSE(ink(0, 0));
  EXPECT_TRUE(ink(1, 6));  // ".###."
  EXPECT_FALSE(ink(0, 6));
  draw_text(image, 6, 6, "88", 2, Rgb{255, 255, 255});  // clipped at the border, no out-of-bounds write
}

TEST(Visualize, PanelsSitSideBySideAtTheInputResolution) {
  const int h = 32, w = 64;
  ImageU8 input{w, h, std::vector<uint8_t>(static_cast<size_t>(w) * h * 3, 100)};
  Prediction pred{h, w, std::vector<uint8_t>(static_cast<size_t>(w) * h, 0),
                  std::vector<float>(static_cast<size_t>(w) * h, 10.0f)};
  Result<ImageU8> canvas = render_prediction_panels(input, pred);
  ASSERT_TRUE(canvas.is_ok()) << canvas.status().to_string();
  EXPECT_EQ(canvas->width, 3 * w);
  EXPECT_GT(canvas->height, h);  // the footer
  auto at = [&](int x, int y) {
    const uint8_t* p = canvas->rgb.data() + (static_cast<size_t>(y) * canvas->width + x) * 3;
    return Rgb{p[0], p[1], p[2]};
  };
  EXPECT_EQ(at(10, 10), (Rgb{100, 100, 100}));     // input
  EXPECT_EQ(at(w + 10, 10), (Rgb{114, 82, 114}));  // road (128,64,128) half over grey 100
  EXPECT_EQ(at(2 * w + 10, 10), DepthScale().color(10.0f));
  Prediction small{h / 2, w, pred.labels, pred.depth};
  EXPECT_FALSE(render_prediction_panels(input, small).is_ok());
}

}  // namespace
}  // namespace tandem
