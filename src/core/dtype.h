// Element types inside Tandem: the public DType (tandem/dtype.h, whose values equal ONNX's TensorProto.DataType so
// import/export is a cast, not a table), typed dispatch for kernels, int8 and half-precision conversions.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "tandem/dtype.h"

namespace tandem {

bool dtype_is_valid(int32_t onnx_code);

// Calls f(T{}) with the C++ type of `t` for the numeric types kernels handle; returns false otherwise.
// Half types are excluded on purpose: kernels convert them at the boundary rather than compute in them.
template <typename F>
bool dispatch_numeric(DType t, F&& f) {
  switch (t) {
    case DType::kFloat32: f(float{}); return true;
    case DType::kFloat64: f(double{}); return true;
    case DType::kInt8: f(int8_t{}); return true;
    case DType::kUInt8: f(uint8_t{}); return true;
    case DType::kInt16: f(int16_t{}); return true;
    case DType::kUInt16: f(uint16_t{}); return true;
    case DType::kInt32: f(int32_t{}); return true;
    case DType::kUInt32: f(uint32_t{}); return true;
    case DType::kInt64: f(int64_t{}); return true;
    case DType::kUInt64: f(uint64_t{}); return true;
    default: return false;
  }
}

// Symmetric int8 quantisation, QuantizeLinear with a zero point of 0 (TensorRT's int8 conversion): x / scale
// rounded to the nearest integer, ties to even, saturated to [-128, 127], NaN to 0. Inline and branch-free so
// that loops over it vectorise: after the clamp, adding and subtracting 1.5 * 2^23 rounds to an integer in the
// default rounding mode (exactly std::nearbyint's result for |q| < 2^22).
inline int8_t quantize_s8(float x, float scale) {
  float q = x / scale;
  q = q == q ? q : 0.0f;
  q = std::min(std::max(q, -128.0f), 127.0f);
  return static_cast<int8_t>(static_cast<int>((q + 12582912.0f) - 12582912.0f));
}

// Half-precision conversions (IEEE fp16 and bfloat16), round-to-nearest-even.
float half_to_float(uint16_t h);
uint16_t float_to_half(float f);
float bfloat16_to_float(uint16_t b);
uint16_t float_to_bfloat16(float f);
// float_to_bfloat16 over an array (AVX-512 where built for it, with the same bits).
void floats_to_bfloat16(const float* src, uint16_t* dst, int64_t n);

}  // namespace tandem
