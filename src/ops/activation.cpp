// Activation parsing and the bulk in-place apply.
#include "ops/activation.h"

#include <algorithm>
#include <cstring>

#include "core/dtype.h"
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

// dst[i] = f(src[i]) on one thread (src may be dst).
template <typename F>
void map_serial(const float* src, float* dst, int64_t n, F f) {
  for (int64_t i = 0; i < n; ++i) dst[i] = f(src[i]);
}

#if defined(__AVX512F__)
// Sixteen at a time with `fx16` (bit-identical to `f`, elementwise_math_x16.h), the tail with `f`.
template <typename F, typename FX16>
void map_serial_x16(const float* src, float* dst, int64_t n, F f, FX16 fx16) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(dst + i, fx16(_mm512_loadu_ps(src + i)));
  for (; i < n; ++i) dst[i] = f(src[i]);
}
#endif

// `act` over n values on the calling thread.
void apply_serial(const Activation& act, const float* src, float* dst, int64_t n) {
  using namespace fastmath;
  const float a = act.alpha, b = act.beta;
  switch (act.kind) {
    case ActivationKind::kNone:
      if (src != dst) std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
      return;
    case ActivationKind::kRelu: return map_serial(src, dst, n, [](float x) { return relu_f32(x); });
#if defined(__AVX512F__)
    case ActivationKind::kSigmoid:
      return map_serial_x16(src, dst, n, [](float x) { return sigmoid_f32(x); },
                            [](__m512 x) { return sigmoid_f32x16(x); });
    case ActivationKind::kSilu:
      return map_serial_x16(src, dst, n, [](float x) { return silu_f32(x); }, [](__m512 x) { return silu_f32x16(x); });
    case ActivationKind::kGelu:
      return map_serial_x16(src, dst, n, [](float x) { return gelu_f32(x); }, [](__m512 x) { return gelu_f32x16(x); });
#else
    case ActivationKind::kSigmoid: return map_serial(src, dst, n, [](float x) { return sigmoid_f32(x); });
    case ActivationKind::kSilu: return map_serial(src, dst, n, [](float x) { return silu_f32(x); });
    case ActivationKind::kGelu: return map_serial(src, dst, n, [](float x) { return gelu_f32(x); });
#endif
    case ActivationKind::kTanh: return map_serial(src, dst, n, [](float x) { return tanh_f32(x); });
    case ActivationKind::kGeluTanh: return map_serial(src, dst, n, [](float x) { return gelu_tanh_f32(x); });
    case ActivationKind::kClip: return map_serial(src, dst, n, [a, b](float x) { return clip_f32(x, a, b); });
    case ActivationKind::kLeakyRelu: return map_serial(src, dst, n, [a](float x) { return leaky_relu_f32(x, a); });
    case ActivationKind::kHardSigmoid:
      return map_serial(src, dst, n, [a, b](float x) { return hard_sigmoid_f32(x, a, b); });
    case ActivationKind::kHardSwish: return map_serial(src, dst, n, [](float x) { return hard_swish_f32(x); });
  }
}

// Threads take whole chunks of 4096 values (an L1-sized staging buffer for apply_to_bf16); small arrays stay on
// the calling thread.
constexpr int64_t kChunk = 4096;
constexpr int64_t kParallelAbove = int64_t{1} << 15;

}  // namespace

void Activation::apply_inplace(float* data, int64_t n) const {
  if (kind == ActivationKind::kNone) return;
  const int64_t chunks = (n + kChunk - 1) / kChunk;
#pragma omp parallel for if (n > kParallelAbove) schedule(static)
  for (int64_t c = 0; c < chunks; ++c) {
    const int64_t begin = c * kChunk;
    apply_serial(*this, data + begin, data + begin, std::min(kChunk, n - begin));
  }
}

void Activation::apply_to_bf16(const float* src, uint16_t* dst, int64_t n) const {
  const int64_t chunks = (n + kChunk - 1) / kChunk;
#pragma omp parallel for if (n > kParallelAbove) schedule(static)
  for (int64_t c = 0; c < chunks; ++c) {
    float tmp[kChunk];
    const int64_t begin = c * kChunk, len = std::min(kChunk, n - begin);
    apply_serial(*this, src + begin, tmp, len);
    floats_to_bfloat16(tmp, dst + begin, len);
  }
}

}  // namespace tandem
