// The int8 boundary quantizer, y = saturate(round_half_even(x / scale)) to [-128, 127], one kernel per ISA, and its
// inverse y = x * scale.
//
// Semantics are TensorRT's QuantizeLinear and numpy's np.clip(np.rint(x / scale), -128, 127) exactly: a true float32
// division (x * (1 / scale) rounds differently for some x and can move a value across a .5 tie, so no kernel uses
// the reciprocal), ties to even, then saturation. NaN maps to 0, as TensorRT does; +-inf saturates to 127 / -128.
// scale must be > 0 for a meaningful result; scale 0 maps 0 to 0 and saturates everything else.
#pragma once

#include <cstdint>
#include <span>

namespace tandem {

using QuantizeFn = void (*)(const float* x, int8_t* y, int64_t n, float scale);

// Single-threaded kernels over [0, n); any n, any alignment. "scalar" is plain C++ without intrinsics, the path for
// builds without AVX2 (at -O3 GCC auto-vectorises it, to about 40 % of the AVX2 kernel's speed in cache). The
// vector kernels do whole-vector loads and whole 32-byte (AVX2) or 64-byte (AVX-512) stores and finish the last
// < 32 / < 64 elements with the next narrower kernel.
void quantize_f32_s8_scalar(const float* x, int8_t* y, int64_t n, float scale);
#if defined(__AVX2__)
void quantize_f32_s8_avx2(const float* x, int8_t* y, int64_t n, float scale);
#endif
#if defined(__AVX512F__)
void quantize_f32_s8_avx512(const float* x, int8_t* y, int64_t n, float scale);
#endif

struct QuantizeKernel {
  const char* name;  // "scalar", "avx2", "avx512"
  QuantizeFn fn;
};

// Every kernel this build has (chosen at compile time by the ISA macros -march gives), scalar first, best last:
// the entry point below, the tests and the benchmark all take them from here.
std::span<const QuantizeKernel> quantize_kernels();

// Below this many elements a buffer is quantized on the calling thread: an OpenMP fork/join costs a few
// microseconds, about what one core needs for 64K floats.
inline constexpr int64_t kQuantizeParallelMin = int64_t{1} << 16;

// Runs `kernel` over [0, n) on up to `max_threads` OpenMP threads, each on one contiguous chunk of whole 64-element
// blocks (so every thread's stores stay whole vectors and no two threads share a cache line of y).
void quantize_f32_to_s8_using(QuantizeFn kernel, const float* x, int8_t* y, int64_t n, float scale, int max_threads);

// The public entry: the best kernel on omp_get_max_threads() threads.
void quantize_f32_to_s8(const float* x, int8_t* y, int64_t n, float scale);

// y = float(x) * scale, one correctly rounded float32 multiply as DequantizeLinear; threaded like the quantizer.
void dequantize_s8_to_f32(const int8_t* x, float* y, int64_t n, float scale);

}  // namespace tandem
