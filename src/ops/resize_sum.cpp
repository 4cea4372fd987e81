// ai.tandem ResizeSum: a sum of maps each resized to one output size, plus an optional same-sized Z, through an
// activation, optionally requantised to int8:
//   ResizeSum(Z?, Y_scale?, X1, roi1, scales1, sizes1, X2, roi2, scales2, sizes2, ...)
//     = requantize?(activation(Z + Resize(X1, roi1, scales1, sizes1) + Resize(X2, ...) + ...))
// with Resize's attributes (mode, coordinate_transformation_mode, ...) shared by every term. It is the decoder
// pattern of SegFormer-style heads (fuse_resize_sum.cpp): a full-resolution projection plus three upsampled
// ones, ReLU, and the int8 classifier's input scale. As separate ops that is five passes over a 1/4-resolution
// map of 256 float channels (resize, resize+add, resize+add, the conv's residual, quantize); here it is one,
// reading Z and writing int8. Channels-last images resized over H and W take the one-pass path, per output row;
// anything else runs each term through Resize's own kernel and sums (the same float results, in the same order).
#include <omp.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "ops/activation.h"
#include "ops/fused_int8.h"
#include "ops/op_registry.h"
#include "ops/resize_kernels_f32.h"
#include "ops/resize_plan.h"

namespace tandem {
namespace {

constexpr int kZ = 0, kYScale = 1, kFirstTerm = 2, kTermInputs = 4, kMaxTerms = 16;

// The last term's trailing omitted inputs (a Resize given scales has no sizes) may be absent from the node.
int64_t term_count(const OpContext& ctx) {
  return (ctx.num_inputs() - kFirstTerm + kTermInputs - 1) / kTermInputs;
}

// Term t as a Resize-13 node sees it: X, roi, scales, sizes.
OpContext term_context(const OpContext& ctx, int64_t t) {
  OpContext r = ctx;
  r.opset = 13;
  r.inputs.clear();
  for (int i = 0; i < kTermInputs; ++i) {
    const int k = kFirstTerm + static_cast<int>(t) * kTermInputs + i;
    r.inputs.push_back(k < ctx.num_inputs() ? ctx.inputs[static_cast<size_t>(k)] : OperandInfo{});
  }
  r.outputs.resize(1);
  return r;
}

Status infer_resize_sum(OpContext& ctx) {
  TANDEM_CHECK_OR_RETURN(ctx.num_inputs() > kFirstTerm, kInvalidArgument,
                         "inputs are Z?, Y_scale?, then groups of X, roi, scales, sizes; got %d", ctx.num_inputs());
  TANDEM_CHECK_OR_RETURN(term_count(ctx) <= kMaxTerms, kUnsupported, "%lld terms; at most %d are supported",
                         static_cast<long long>(term_count(ctx)), kMaxTerms);
  Shape out;
  for (int64_t t = 0; t < term_count(ctx); ++t) {
    OpContext r = term_context(ctx, t);
    TANDEM_CHECK_OR_RETURN(r.has_input(0) && r.in(0).dtype == DType::kFloat32, kInvalidArgument,
                           "term %lld: X must be float32", static_cast<long long>(t));
    TANDEM_ASSIGN_OR_RETURN(ResizeConfig cfg, parse_resize(r));
    TANDEM_CHECK_OR_RETURN(t == 0 || cfg.out_shape == out, kInvalidArgument,
                           "term %lld resizes to %s, term 0 to %s", static_cast<long long>(t),
                           shape_to_string(cfg.out_shape).c_str(), shape_to_string(out).c_str());
    out = cfg.out_shape;
  }
  if (ctx.has_input(kZ))
    TANDEM_CHECK_OR_RETURN(ctx.in(kZ).dtype == DType::kFloat32 && ctx.in(kZ).shape == out, kInvalidArgument,
                           "Z %s %s must be float32 %s like the output", dtype_name(ctx.in(kZ).dtype),
                           shape_to_string(ctx.in(kZ).shape).c_str(), shape_to_string(out).c_str());
  const bool requantized = ctx.has_input(kYScale);
  TANDEM_CHECK_OR_RETURN(!requantized || (ctx.in(kYScale).dtype == DType::kFloat32 &&
                                          shape_numel(ctx.in(kYScale).shape) == 1),
                         kInvalidArgument, "Y_scale must be one float32");
  TANDEM_RETURN_IF_ERROR(Activation::parse(ctx.attrs().get_string("activation", ""),
                                           ctx.attrs().get_floats("activation_params"))
                             .status());
  ctx.set_output(0, requantized ? DType::kInt8 : DType::kFloat32, out);
  return Status::ok();
}

// One term's channels-last sampling (the tables Resize's NHWC path uses) and its input's sizes.
struct NhwcTerm {
  int kh = 1, kw = 1;
  int64_t in_image = 0, in_row = 0;  // elements of an input image and of one of its rows
  NhwcSampling s;
};

class ResizeSumKernel final : public Kernel {
 public:
  Status prepare(const OpContext& ctx) override {
    TANDEM_ASSIGN_OR_RETURN(act_, Activation::parse(ctx.attrs().get_string("activation", ""),
                                                    ctx.attrs().get_floats("activation_params")));
    has_z_ = ctx.has_input(kZ);
    requantized_ = ctx.has_input(kYScale);
    out_shape_ = ctx.out(0).shape;
    terms_ = term_count(ctx);
    threads_ = std::max(1, omp_get_max_threads());
    nhwc_ = out_shape_.size() == 4;
    for (int64_t t = 0; t < terms_ && nhwc_; ++t) {
      OpContext r = term_context(ctx, t);
      TANDEM_ASSIGN_OR_RETURN(ResizeConfig cfg, parse_resize(r));
      std::vector<AxisTable> tables;
      for (size_t d = 0; d < 4; ++d) tables.push_back(build_axis_table(cfg, d));
      nhwc_ = tables[0].identity && tables[3].identity && !tables[1].any_outside && !tables[2].any_outside;
      if (!nhwc_) break;
      const AxisTable &th = tables[1], &tw = tables[2];
      const int64_t c = cfg.in_shape[3];
      NhwcTerm term;
      term.kh = th.taps;
      term.kw = tw.taps;
      term.in_image = th.in * tw.in * c;
      term.in_row = tw.in * c;
      term.s = nhwc_sampling(th, tw, c);
      nhwc_terms_.push_back(std::move(term));
    }
    if (nhwc_) {
      const int64_t c = out_shape_[3];
      chunk_px_ = std::max<int64_t>(1, 4096 / c);  // 16 KB of floats per chunk buffer
      blend_floats_ = 0;
      for (const NhwcTerm& t : nhwc_terms_) blend_floats_ += t.kh > 1 ? t.in_row : 0;
      per_thread_ = blend_floats_ + 2 * chunk_px_ * c;
      rows_.assign(static_cast<size_t>(per_thread_ * threads_), 0.0f);
      return Status::ok();
    }
    // Anything else: each term through Resize's own kernel into a full-size buffer, then summed.
    nhwc_terms_.clear();
    const OpSchema* resize = OpRegistry::global().find("", "Resize");
    for (int64_t t = 0; t < terms_; ++t) {
      OpContext r = term_context(ctx, t);
      r.outputs[0].present = true;
      r.outputs[0].dtype = DType::kFloat32;
      r.outputs[0].shape = out_shape_;
      std::unique_ptr<Kernel> k = resize->create();
      TANDEM_RETURN_IF_ERROR(k->prepare(r));
      term_kernels_.push_back(std::move(k));
    }
    sum_ = Tensor::make(DType::kFloat32, out_shape_);
    term_ = Tensor::make(DType::kFloat32, out_shape_);
    term_args_.assign(kTermInputs, Tensor());  // reused every run: no allocation per frame
    term_out_ = {term_};
    return Status::ok();
  }

  Status run(std::span<const Tensor> in, std::span<Tensor> out) override {
    const float* z = has_z_ ? in[kZ].data<float>() : nullptr;
    const float y_scale = requantized_ ? in[kYScale].data<float>()[0] : 1.0f;
    if (nhwc_) {
      run_nhwc(in, z, y_scale, out[0]);
      return Status::ok();
    }
    const int64_t n = sum_.numel();
    float* s = sum_.data<float>();
    for (int64_t t = 0; t < terms_; ++t) {
      for (int64_t i = 0; i < kTermInputs; ++i) {
        const size_t k = static_cast<size_t>(kFirstTerm + t * kTermInputs + i);
        term_args_[static_cast<size_t>(i)] = k < in.size() ? in[k] : Tensor();
      }
      TANDEM_RETURN_IF_ERROR(term_kernels_[static_cast<size_t>(t)]->run(term_args_, term_out_));
      const float* v = term_.data<float>();
      // The running sum starts as Z (or the first term): no separate copy pass.
      const float* a = t > 0 ? s : z;
#pragma omp parallel for num_threads(threads_) if (n > (1 << 15)) schedule(static)
      for (int64_t i = 0; i < n; ++i) s[i] = (a ? a[i] : 0.0f) + v[i];
    }
    // The store in blocks across the threads (the sum above already is).
    constexpr int64_t kBlock = 1 << 14;
    const int64_t blocks = (n + kBlock - 1) / kBlock;
#pragma omp parallel for num_threads(threads_) if (blocks > 1) schedule(static)
    for (int64_t b = 0; b < blocks; ++b)
      store(s + b * kBlock, std::min(kBlock, n - b * kBlock), y_scale, out[0], b * kBlock);
    return Status::ok();
  }

  std::string impl_name() const override { return nhwc_ ? "reference:nhwc_rows" : "reference:per_term"; }

 private:
  // Output rows [n, oy]: the row starts as Z (or 0), each term's blend is added as Resize's NHWC kernel stores
  // it (ping-ponging between two row buffers), then activation and the store.
  void run_nhwc(std::span<const Tensor> in, const float* z, float y_scale, Tensor& y) {
    const int64_t h = out_shape_[1], w = out_shape_[2], c = out_shape_[3], row = w * c;
    const int64_t rows = out_shape_[0] * h;
    static const int64_t kRowStart = 0;
    static const float kOne = 1.0f;
#pragma omp parallel for num_threads(threads_) schedule(static)
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t n = r / h, oy = r % h;
      float* blended = rows_.data() + per_thread_ * omp_get_thread_num();
      float* chunk[2] = {blended + blend_floats_, blended + blend_floats_ + chunk_px_ * c};
      // 1. Each term's source row at its input width: the vertical blend of its input rows (an upsampled term's
      //    rows are narrower than the output, so blending first costs 2 / s multiply-adds per output value),
      //    or the one input row itself.
      const float* srcs[kMaxTerms];  // no allocation per frame
      for (int64_t t = 0; t < terms_; ++t) {
        const NhwcTerm& term = nhwc_terms_[static_cast<size_t>(t)];
        const float* image = in[static_cast<size_t>(kFirstTerm + t * kTermInputs)].data<float>() + n * term.in_image;
        const float* wy = term.s.wy.data() + oy * term.kh;
        const int64_t* yoff = term.s.yoff.data() + oy * term.kh;
        srcs[static_cast<size_t>(t)] = image + yoff[0];
        if (term.kh == 1) continue;
        const float* r0 = image + yoff[0];
        for (int64_t i = 0; i < term.in_row; ++i) blended[i] = wy[0] * r0[i];
        for (int j = 1; j < term.kh; ++j) {
          const float* rj = image + yoff[j];
          for (int64_t i = 0; i < term.in_row; ++i) blended[i] += wy[j] * rj[i];
        }
        srcs[static_cast<size_t>(t)] = blended;
        blended += term.in_row;
      }
      // 2. Column chunks small enough to stay in L1: Z's chunk, plus each term's horizontal blend (two row
      //    buffers in turn), then the activation and the store. Whole rows of 256 channels (128 KB each) went
      //    through L2 once per term.
      for (int64_t ox0 = 0; ox0 < w; ox0 += chunk_px_) {
        const int64_t cw = std::min(chunk_px_, w - ox0);
        const float* acc = z ? z + r * row + ox0 * c : nullptr;
        int next = 0;
        for (int64_t t = 0; t < terms_; ++t) {
          const NhwcTerm& term = nhwc_terms_[static_cast<size_t>(t)];
          NhwcRowF32 a;
          a.src = srcs[static_cast<size_t>(t)];
          a.dst = chunk[next];
          a.z = acc;
          a.out_w = cw;
          a.c = c;
          a.kh = 1;
          a.kw = term.kw;
          a.yoff = &kRowStart;
          a.wy = &kOne;
          a.xoff = term.s.xoff.data() + ox0 * term.kw;
          a.wx = term.s.wx.data() + ox0 * term.kw;
          resize_row_nhwc_f32(a);
          acc = chunk[next];
          next ^= 1;
        }
        store(const_cast<float*>(acc), cw * c, y_scale, y, r * row + ox0 * c);
      }
    }
  }

  // The activation, then float or int8 (x / Y_scale to nearest even, saturated, as QuantizeLinear) at `offset`.
  void store(float* v, int64_t n, float y_scale, Tensor& y, int64_t offset) const {
    act_.apply_inplace(v, n);
    if (!requantized_) {
      std::copy(v, v + n, y.data<float>() + offset);
      return;
    }
    int8_t* q = y.data<int8_t>() + offset;
    for (int64_t i = 0; i < n; ++i) q[i] = quantize_s8(v[i], y_scale);
  }

  Activation act_;
  bool has_z_ = false, requantized_ = false, nhwc_ = false;
  Shape out_shape_;
  int64_t terms_ = 0;
  int threads_ = 1;
  std::vector<NhwcTerm> nhwc_terms_;
  int64_t chunk_px_ = 1, blend_floats_ = 0, per_thread_ = 0;
  std::vector<float> rows_;  // per thread: each term's blended input row, then two chunk buffers
  std::vector<std::unique_ptr<Kernel>> term_kernels_;
  Tensor sum_, term_;
  std::vector<Tensor> term_args_, term_out_;
};

}  // namespace

void register_resize_sum_op(OpRegistry& r) {
  OpSchema s;
  s.op_type = "ResizeSum";
  s.domain = kTandemDomain;
  s.infer = infer_resize_sum;
  s.create = [] { return std::unique_ptr<Kernel>(std::make_unique<ResizeSumKernel>()); };
  // Every term's roi, scales and sizes decide the output shape.
  for (int t = 0; t < kMaxTerms; ++t)
    for (int i = 1; i < kTermInputs; ++i) s.shape_inputs.push_back(kFirstTerm + t * kTermInputs + i);
  r.add(std::move(s));
}

}  // namespace tandem
