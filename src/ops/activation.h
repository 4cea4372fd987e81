// Pointwise activations that fused ops (FusedConv, FusedMatMul) apply to their result, and the standalone
// activation ops share the same definitions so fusion can never change numerics.
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "core/status.h"

namespace tandem {

enum class ActivationKind { kNone, kRelu, kSigmoid, kTanh, kGelu, kGeluTanh, kClip, kLeakyRelu, kHardSigmoid, kHardSwish };

struct Activation {
  ActivationKind kind = ActivationKind::kNone;
  float alpha = 0.0f;  // LeakyRelu slope, HardSigmoid alpha, Clip min
  float beta = 0.0f;   // HardSigmoid beta, Clip max

  // Attribute form used by fused nodes: activation="Relu", activation_params=[alpha, beta].
  static Result<Activation> parse(const std::string& name, const std::vector<float>& params);
  std::string name() const;
  std::vector<float> params() const;

  float apply(float x) const {
    switch (kind) {
      case ActivationKind::kNone: return x;
      case ActivationKind::kRelu: return x > 0.0f ? x : 0.0f;
      case ActivationKind::kSigmoid: return 1.0f / (1.0f + std::exp(-x));
      case ActivationKind::kTanh: return std::tanh(x);
      case ActivationKind::kGelu: return 0.5f * x * (1.0f + std::erf(x * 0.70710678118654752f));
      case ActivationKind::kGeluTanh:
        return 0.5f * x * (1.0f + std::tanh(0.7978845608028654f * (x + 0.044715f * x * x * x)));
      case ActivationKind::kClip: return x < alpha ? alpha : (x > beta ? beta : x);
      case ActivationKind::kLeakyRelu: return x >= 0.0f ? x : alpha * x;
      case ActivationKind::kHardSigmoid: return std::fmax(0.0f, std::fmin(1.0f, alpha * x + beta));
      case ActivationKind::kHardSwish: return x * std::fmax(0.0f, std::fmin(1.0f, x / 6.0f + 0.5f));
    }
    return x;
  }
  void apply_inplace(float* data, int64_t n) const;
};

}  // namespace tandem
