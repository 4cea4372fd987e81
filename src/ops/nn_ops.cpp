// Neural-network ops: the family's entry point, plus BatchNormalization (inference form).
// The other nn ops live in nn_conv.cpp, nn_conv_transpose.cpp, nn_matmul.cpp and nn_pool.cpp.
#include <cmath>
#include <string>
#include <vector>

#include "ops/nn_conv.h"
#include "ops/nn_matmul.h"
#include "ops/nn_register.h"
#include "ops/op_registry.h"

namespace tandem {
namespace {

constexpr int64_t kParallelWork = int64_t{1} << 15;

bool is_float_param_type(DType t) {
  return t == DType::kFloat32 || t == DType::kFloat64 || t == DType::kFloat16 || t == DType::kBFloat16;
}

// Only the inference form: Y from the running statistics. Training (training_mode=1, or any of the
// mean/var/saved outputs requested) is rejected rather than silently computed differently.
Status infer_batchnorm(OpContext& ctx) {
  const Attributes& attrs = ctx.attrs();
  TANDEM_CHECK_OR_RETURN(attrs.get_int("training_mode", 0) == 0, kUnsupported,
                         "attribute 'training_mode'=%lld is not supported (inference only)",
                         static_cast<long long>(attrs.get_int("training_mode", 0)));
  TANDEM_CHECK_OR_RETURN(ctx.opset >= 9 || attrs.get_int("spatial", 1) != 0, kUnsupported,
                         "attribute 'spatial'=0 is not supported");
  for (int i = 1; i < ctx.num_outputs(); ++i)
    TANDEM_CHECK_OR_RETURN(!ctx.has_output(i), kUnsupported,
                           "output %d (training statistics) is not supported (inference only)", i);
  for (int i = 0; i < 5; ++i)
    TANDEM_CHECK_OR_RETURN(ctx.has_input(i), kInvalidArgument, "inputs X, scale, B, mean, var are all required");
  const OperandInfo& x = ctx.in(0);
  TANDEM_CHECK_OR_RETURN(x.dtype == DType::kFloat32 || x.dtype == DType::kFloat64, kUnsupported,
                         "dtype %s is not supported (float32, float64)", dtype_name(x.dtype));
  TANDEM_CHECK_OR_RETURN(x.shape.size() >= 2, kInvalidArgument, "X %s must be [N, C, ...]",
                         shape_to_string(x.shape).c_str());
  static const char* kNames[] = {"X", "scale", "B", "mean", "var"};
  for (int i = 1; i < 5; ++i) {
    const OperandInfo& p = ctx.in(i);
    TANDEM_CHECK_OR_RETURN(is_float_param_type(p.dtype), kUnsupported, "%s dtype %s is not supported", kNames[i],
                           dtype_name(p.dtype));
    TANDEM_CHECK_OR_RETURN(p.shape == Shape{x.shape[1]}, kInvalidArgument, "%s %s must be [C] for X %s", kNames[i],
                           shape_to_string(p.shape).c_str(), shape_to_string(x.shape).c_str());
  }
  ctx.set_output(0, x.dtype, x.shape);
  return Status::ok();
}

class BatchNormKernel : public Kernel {
 public:
  Status prepare(const OpContext& ctx) override {
    const Shape& x = ctx.in(0).shape;
    dtype_ = ctx.in(0).dtype;
    epsilon_ = ctx.attrs().get_float("epsilon", 1e-5f);
    batch_ = x[0];
    channels_ = x[1];
    inner_ = shape_numel(Shape(x.begin() + 2, x.end()));
    const size_t c = static_cast<size_t>(channels_);
    params_.assign(4 * c, 0.0);
    return Status::ok();
  }

  Status run(std::span<const Tensor> in, std::span<Tensor> out) override {
    if (dtype_ == DType::kFloat32) {
      run_typed<float>(in, out[0]);
    } else {
      run_typed<double>(in, out[0]);
    }
    return Status::ok();
  }

 private:
  // Same expression and rounding as ONNX's reference: (x - mean) / sqrt(var + epsilon) * scale + B, in T.
  template <typename T>
  void run_typed(std::span<const Tensor> in, Tensor& y) {
    const int64_t c = channels_;
    for (int64_t i = 0; i < c; ++i) {
      const T var = static_cast<T>(in[4].float_at(i));
      params_[static_cast<size_t>(i)] = static_cast<T>(in[1].float_at(i));                  // scale
      params_[static_cast<size_t>(c + i)] = static_cast<T>(in[2].float_at(i));              // B
      params_[static_cast<size_t>(2 * c + i)] = static_cast<T>(in[3].float_at(i));          // mean
      params_[static_cast<size_t>(3 * c + i)] = std::sqrt(var + static_cast<T>(epsilon_));  // sqrt(var + eps)
    }
    const T* x = in[0].data<T>();
    T* yd = y.data<T>();
    const int64_t planes = batch_ * c, inner = inner_;
#pragma omp parallel for if (planes * inner > kParallelWork) schedule(static)
    for (int64_t p = 0; p < planes; ++p) {
      const size_t ch = static_cast<size_t>(p % c);
      const T scale = static_cast<T>(params_[ch]), bias = static_cast<T>(params_[static_cast<size_t>(c) + ch]);
      const T mean = static_cast<T>(params_[2 * static_cast<size_t>(c) + ch]);
      const T denom = static_cast<T>(params_[3 * static_cast<size_t>(c) + ch]);
      const T* xp = x + p * inner;
      T* yp = yd + p * inner;
      for (int64_t i = 0; i < inner; ++i) yp[i] = (xp[i] - mean) / denom * scale + bias;
    }
  }

  DType dtype_ = DType::kUndefined;
  float epsilon_ = 1e-5f;
  int64_t batch_ = 0, channels_ = 0, inner_ = 1;
  std::vector<double> params_;  // scale, B, mean, sqrt(var + eps): values of T held in double
};

}  // namespace

void register_nn_ops(OpRegistry& r) {
  register_conv_ops(r);
  register_conv_transpose_ops(r);
  register_matmul_ops(r);
  register_pool_ops(r);
  add_op(r, "", "BatchNormalization", infer_batchnorm,
         [] { return std::unique_ptr<Kernel>(std::make_unique<BatchNormKernel>()); });
}

}  // namespace tandem
