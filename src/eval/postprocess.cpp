// Bilinear upsampling + argmax for segmentation, resizing for depth.
#include "eval/postprocess.h"

#include <algorithm>

namespace tandem {
namespace {

// For each output coordinate: the two source taps and the weight of the second (PyTorch's area_pixel_compute_scale
// and source index, align_corners=False: src = (dst + 0.5) * in / out - 0.5, clamped at 0).
struct Taps {
  std::vector<int> i0, i1;
  std::vector<float> w1;
};

Taps make_taps(int in, int out) {
  Taps t;
  t.i0.resize(static_cast<size_t>(out));
  t.i1.resize(static_cast<size_t>(out));
  t.w1.resize(static_cast<size_t>(out));
  float scale = static_cast<float>(in) / static_cast<float>(out);
  for (int o = 0; o < out; ++o) {
    float src = std::max((static_cast<float>(o) + 0.5f) * scale - 0.5f, 0.0f);
    int i0 = std::min(static_cast<int>(src), in - 1);
    t.i0[static_cast<size_t>(o)] = i0;
    t.i1[static_cast<size_t>(o)] = std::min(i0 + 1, in - 1);
    t.w1[static_cast<size_t>(o)] = src - static_cast<float>(i0);
  }
  return t;
}

// Interpolates rows y0/y1 of one plane into `row` (w values): the vertical half of the separable filter.
void blend_rows(const float* plane, int w, int y0, int y1, float wy, float* row) {
  const float* a = plane + static_cast<size_t>(y0) * w;
  const float* b = plane + static_cast<size_t>(y1) * w;
  for (int x = 0; x < w; ++x) row[x] = a[x] + wy * (b[x] - a[x]);
}

Status check_size(int height, int width) {
  TANDEM_CHECK_OR_RETURN(height > 0 && width > 0, kInvalidArgument, "bad output size %dx%d", height, width);
  return Status::ok();
}

}  // namespace

std::vector<float> resize_bilinear(const float* src, int h, int w, int out_h, int out_w) {
  std::vector<float> out(static_cast<size_t>(out_h) * out_w);
  Taps ty = make_taps(h, out_h), tx = make_taps(w, out_w);
  std::vector<float> row(static_cast<size_t>(w));
  for (int y = 0; y < out_h; ++y) {
    blend_rows(src, w, ty.i0[y], ty.i1[y], ty.w1[y], row.data());
    float* o = out.data() + static_cast<size_t>(y) * out_w;
    for (int x = 0; x < out_w; ++x) {
      float a = row[tx.i0[x]], b = row[tx.i1[x]];
      o[x] = a + tx.w1[x] * (b - a);
    }
  }
  return out;
}

Result<std::vector<uint8_t>> segmentation_labels(const Tensor& logits, int height, int width) {
  TANDEM_RETURN_IF_ERROR(check_size(height, width));
  TANDEM_CHECK_OR_RETURN(logits.dtype() == DType::kFloat32 && logits.rank() == 4 && logits.dim(0) == 1 &&
                             logits.dim(1) >= 1 && logits.dim(1) <= 255 && logits.dim(2) > 0 && logits.dim(3) > 0,
                         kInvalidArgument,
                         "segmentation logits must be float32 [1,C,h,w] with 1 <= C <= 255, got %s %s",
                         dtype_name(logits.dtype()), shape_to_string(logits.shape()).c_str());
  const int c_count = static_cast<int>(logits.dim(1)), h = static_cast<int>(logits.dim(2));
  const int w = static_cast<int>(logits.dim(3));
  const size_t plane = static_cast<size_t>(h) * w;
  Taps ty = make_taps(h, height), tx = make_taps(w, width);
  // One output row at a time: blend the two source rows of every class once (C x w), then interpolate along x and
  // keep the running maximum, so no full-resolution C x H x W buffer is ever materialised.
  std::vector<float> rows(static_cast<size_t>(c_count) * w);
  std::vector<float> best(static_cast<size_t>(width));
  std::vector<uint8_t> labels(static_cast<size_t>(height) * width);
  const float* data = logits.data<float>();
  for (int y = 0; y < height; ++y) {
    for (int c = 0; c < c_count; ++c)
      blend_rows(data + c * plane, w, ty.i0[y], ty.i1[y], ty.w1[y], rows.data() + static_cast<size_t>(c) * w);
    uint8_t* out = labels.data() + static_cast<size_t>(y) * width;
    for (int c = 0; c < c_count; ++c) {
      const float* r = rows.data() + static_cast<size_t>(c) * w;
      for (int x = 0; x < width; ++x) {
        float a = r[tx.i0[x]], b = r[tx.i1[x]];
        float v = a + tx.w1[x] * (b - a);
        if (c == 0 || v > best[x]) {
          best[x] = v;
          out[x] = static_cast<uint8_t>(c);
        }
      }
    }
  }
  return labels;
}

Result<std::vector<float>> depth_map(const Tensor& depth, int height, int width) {
  TANDEM_RETURN_IF_ERROR(check_size(height, width));
  TANDEM_CHECK_OR_RETURN(depth.dtype() == DType::kFloat32 && depth.rank() == 4 && depth.dim(0) == 1 &&
                             depth.dim(1) == 1 && depth.dim(2) > 0 && depth.dim(3) > 0,
                         kInvalidArgument, "depth must be float32 [1,1,H,W], got %s %s", dtype_name(depth.dtype()),
                         shape_to_string(depth.shape()).c_str());
  const int h = static_cast<int>(depth.dim(2)), w = static_cast<int>(depth.dim(3));
  const float* d = depth.data<float>();
  if (h == height && w == width) return std::vector<float>(d, d + static_cast<size_t>(h) * w);
  return resize_bilinear(d, h, w, height, width);
}

Result<Prediction> postprocess(const TaskOutputs& outputs, int height, int width) {
  TANDEM_RETURN_IF_ERROR(validate_task_outputs(outputs));
  Prediction p;
  p.height = height;
  p.width = width;
  TANDEM_ASSIGN_OR_RETURN(p.labels, segmentation_labels(outputs.seg_logits, height, width));
  TANDEM_ASSIGN_OR_RETURN(p.depth, depth_map(outputs.depth, height, width));
  return p;
}

}  // namespace tandem
