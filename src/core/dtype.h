// Element types. Values equal ONNX's TensorProto.DataType so import/export is a cast, not a table.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

namespace tandem {

enum class DType : int32_t {
  kUndefined = 0,
  kFloat32 = 1,
  kUInt8 = 2,
  kInt8 = 3,
  kUInt16 = 4,
  kInt16 = 5,
  kInt32 = 6,
  kInt64 = 7,
  kString = 8,
  kBool = 9,
  kFloat16 = 10,
  kFloat64 = 11,
  kUInt32 = 12,
  kUInt64 = 13,
  kBFloat16 = 16,
};

// Bytes per element; 0 for types we cannot hold in a flat buffer (strings, unknown codes).
size_t dtype_size(DType t);
const char* dtype_name(DType t);
bool dtype_is_float(DType t);
bool dtype_is_valid(int32_t onnx_code);

// Maps a C++ element type to its DType, for typed access and templated kernels.
template <typename T> struct DTypeOf;
template <> struct DTypeOf<float> { static constexpr DType value = DType::kFloat32; };
template <> struct DTypeOf<double> { static constexpr DType value = DType::kFloat64; };
template <> struct DTypeOf<int8_t> { static constexpr DType value = DType::kInt8; };
template <> struct DTypeOf<uint8_t> { static constexpr DType value = DType::kUInt8; };
template <> struct DTypeOf<int16_t> { static constexpr DType value = DType::kInt16; };
template <> struct DTypeOf<uint16_t> { static constexpr DType value = DType::kUInt16; };
template <> struct DTypeOf<int32_t> { static constexpr DType value = DType::kInt32; };
template <> struct DTypeOf<uint32_t> { static constexpr DType value = DType::kUInt32; };
template <> struct DTypeOf<int64_t> { static constexpr DType value = DType::kInt64; };
template <> struct DTypeOf<uint64_t> { static constexpr DType value = DType::kUInt64; };
template <> struct DTypeOf<bool> { static constexpr DType value = DType::kBool; };

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
