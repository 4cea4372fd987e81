// Model outputs to per-pixel answers at the ground truth's resolution: class ids from 1/4-resolution logits, and
// depth in metres.
#pragma once

#include <cstdint>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "eval/task_outputs.h"

namespace tandem {

struct Prediction {
  int height = 0, width = 0;
  std::vector<uint8_t> labels;  // height * width class ids (argmax)
  std::vector<float> depth;     // height * width metres
};

// Bilinear resize of one h x w plane with half-pixel centres and edge clamping, as PyTorch's
// interpolate(mode="bilinear", align_corners=False) and ONNX Resize(linear, half_pixel) compute it.
std::vector<float> resize_bilinear(const float* src, int h, int w, int out_h, int out_w);

// Upsamples every class plane of [1,C,h,w] logits (C <= 255) to height x width, then takes the argmax per pixel
// (the first class on ties). Upsampling the logits, not the labels, is what mmseg does before scoring.
Result<std::vector<uint8_t>> segmentation_labels(const Tensor& logits, int height, int width);
// [1,1,H,W] depth at height x width: a copy when the sizes agree, bilinear otherwise.
Result<std::vector<float>> depth_map(const Tensor& depth, int height, int width);
// Both, after validate_task_outputs.
Result<Prediction> postprocess(const TaskOutputs& outputs, int height, int width);

}  // namespace tandem
