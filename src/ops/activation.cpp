// Activation parsing and the bulk in-place apply.
#include "ops/activation.h"

#include <algorithm>

#include "ops/elementwise_math_x16.h"

namespace tandem {

Result<Activation> Activation::parse(const std::string& name, const std::vector<float>& params) {
  Activation a;
  auto param = [&](size_t i, float def) { return i < params.size() ? params[i] : def; };
  if (name.empty() || name == "None") a.kind = ActivationKind::kNone;
  else if (name == "Relu") a.kind = ActivationKind::kRelu;
  else if (name == "Sigmoid") a.kind = ActivationKind::kSigmoid;
  else if (name == "Tanh") a.kind = ActivationKind::kTanh;
  else if (name == "Gelu") a.kind = ActivationKind::kGelu;
  else if (name == "GeluTanh") a.kind = ActivationKind::kGeluTanh;
  else if (name == "Clip") {
    a.kind = ActivationKind::kClip;
    a.alpha = param(0, -INFINITY);
    a.beta = param(1, INFINITY);
  } else if (name == "LeakyRelu") {
    a.kind = ActivationKind::kLeakyRelu;
    a.alpha = param(0, 0.01f);
  } else if (name == "HardSigmoid") {
    a.kind = ActivationKind::kHardSigmoid;
    a.alpha = param(0, 0.2f);
    a.beta = param(1, 0.5f);
  } else if (name == "HardSwish") a.kind = ActivationKind::kHardSwish;
  else if (name == "Silu") a.kind = ActivationKind::kSilu;
  else return Status(Code::kUnsupported, "unknown fused activation '" + name + "'");
  return a;
}

std::string Activation::name() const {
  switch (kind) {
    case ActivationKind::kNone: return "None";
    case ActivationKind::kRelu: return "Relu";
    case ActivationKind::kSigmoid: return "Sigmoid";
    case ActivationKind::kTanh: return "Tanh";
    case ActivationKind::kGelu: return "Gelu";
    case ActivationKind::kGeluTanh: return "GeluTanh";
    case ActivationKind::kClip: return "Clip";
    case ActivationKind::kLeakyRelu: return "LeakyRelu";
    case ActivationKind::kHardSigmoid: return "HardSigmoid";
    case ActivationKind::kHardSwish: return "HardSwish";
    case ActivationKind::kSilu: return "Silu";
  }
  return "None";
}

std::vector<float> Activation::params() const {
  switch (kind) {
    case ActivationKind::kClip: case ActivationKind::kHardSigmoid: return {alpha, beta};
    case ActivationKind::kLeakyRelu: return {alpha};
    default: return {};
  }
}

namespace {

template <typename F>
void map_inplace(float* data, int64_t n, F f) {
#pragma omp parallel for if (n > (1 << 15)) schedule(static)
  for (int64_t i = 0; i < n; ++i) data[i] = f(data[i]);
}

#if defined(__AVX512F__)
// Sixteen at a time with `fx16` (bit-identical to `f`, elementwise_math_x16.h), the tail with `f`; threads take
// whole 4096-float chunks.
template <typename F, typename FX16>
void map_inplace_x16(float* data, int64_t n, F f, FX16 fx16) {
  constexpr int64_t kChunk = 4096;
  const int64_t chunks = (n + kChunk - 1) / kChunk;
#pragma omp parallel for if (n > (1 << 15)) schedule(static)
  for (int64_t c = 0; c < chunks; ++c) {
    const int64_t end = std::min(n, (c + 1) * kChunk);
    int64_t i = c * kChunk;
    for (; i + 16 <= end; i += 16) _mm512_storeu_ps(data + i, fx16(_mm512_loadu_ps(data + i)));
    for (; i < end; ++i) data[i] = f(data[i]);
  }
}
#endif

}  // namespace

void Activation::apply_inplace(float* data, int64_t n) const {
  using namespace fastmath;
  const float a = alpha, b = beta;
  switch (kind) {
    case ActivationKind::kNone: return;
    case ActivationKind::kRelu: return map_inplace(data, n, [](float x) { return relu_f32(x); });
#if defined(__AVX512F__)
    case ActivationKind::kSigmoid:
      return map_inplace_x16(data, n, [](float x) { return sigmoid_f32(x); }, [](__m512 x) { return sigmoid_f32x16(x); });
    case ActivationKind::kSilu:
      return map_inplace_x16(data, n, [](float x) { return silu_f32(x); }, [](__m512 x) { return silu_f32x16(x); });
    case ActivationKind::kGelu:
      return map_inplace_x16(data, n, [](float x) { return gelu_f32(x); }, [](__m512 x) { return gelu_f32x16(x); });
#else
    case ActivationKind::kSigmoid: return map_inplace(data, n, [](float x) { return sigmoid_f32(x); });
    case ActivationKind::kSilu: return map_inplace(data, n, [](float x) { return silu_f32(x); });
    case ActivationKind::kGelu: return map_inplace(data, n, [](float x) { return gelu_f32(x); });
#endif
    case ActivationKind::kTanh: return map_inplace(data, n, [](float x) { return tanh_f32(x); });
    case ActivationKind::kGeluTanh: return map_inplace(data, n, [](float x) { return gelu_tanh_f32(x); });
    case ActivationKind::kClip: return map_inplace(data, n, [a, b](float x) { return clip_f32(x, a, b); });
    case ActivationKind::kLeakyRelu: return map_inplace(data, n, [a](float x) { return leaky_relu_f32(x, a); });
    case ActivationKind::kHardSigmoid:
      return map_inplace(data, n, [a, b](float x) { return hard_sigmoid_f32(x, a, b); });
    case ActivationKind::kHardSwish: return map_inplace(data, n, [](float x) { return hard_swish_f32(x); });
  }
}

}  // namespace tandem
