// Pointwise activations that fused ops (FusedConv, FusedMatMul) apply to their result, and the standalone
// activation ops share the same definitions so fusion can never change numerics.
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "core/status.h"
#include "ops/elementwise_math.h"

namespace tandem {

enum class ActivationKind {
  kNone,
  kRelu,
  kSigmoid,
  kTanh,
  kGelu,
  kGeluTanh,
  kClip,
  kLeakyRelu,
  kHardSigmoid,
  kHardSwish,
  kSilu
};

struct Activation {
  ActivationKind kind = ActivationKind::kNone;
  float alpha = 0.0f;  // LeakyRelu slope, HardSigmoid alpha, Clip min
  float beta = 0.0f;   // HardSigmoid beta, Clip max

  // Attribute form used by fused nodes: activation="Relu", activation_params=[alpha, beta].
  static Result<Activation> parse(const std::string& name, const std::vector<float>& params);
  std::string name() const;
  std::vector<float> params() const;

  // The same fastmath functions as the standalone activation ops, so fusing never changes a result.
  float apply(float x) const {
    switch (kind) {
      case ActivationKind::kNone: return x;
      case ActivationKind::kRelu: return fastmath::relu_f32(x);
      case ActivationKind::kSigmoid: return fastmath::sigmoid_f32(x);
      case ActivationKind::kTanh: return fastmath::tanh_f32(x);
      case ActivationKind::kGelu: return fastmath::gelu_f32(x);
      case ActivationKind::kGeluTanh: return fastmath::gelu_tanh_f32(x);
      case ActivationKind::kClip: return fastmath::clip_f32(x, alpha, beta);
      case ActivationKind::kLeakyRelu: return fastmath::leaky_relu_f32(x, alpha);
      case ActivationKind::kHardSigmoid: return fastmath::hard_sigmoid_f32(x, alpha, beta);
      case ActivationKind::kHardSwish: return fastmath::hard_swish_f32(x);
      case ActivationKind::kSilu: return fastmath::silu_f32(x);
    }
    return x;
  }
  // Vectorised: the kind is switched on once, outside the loop.
  void apply_inplace(float* data, int64_t n) const;
  // apply_inplace's results rounded to bfloat16 (float_to_bfloat16): a kernel that computes in fp32 and hands on
  // bf16 applies its activation on the way out.
  void apply_to_bf16(const float* src, uint16_t* dst, int64_t n) const;
};

}  // namespace tandem
