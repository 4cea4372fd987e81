// The reference matrix product under Conv, MatMul, Gemm and the fused ops: C = A * B with strided A and B.
#pragma once

#include <cstdint>

namespace tandem {

// Element (i, k) of A is a[i * a_row + k * a_col]; element (k, j) of B is b[k * b_row + j * b_col];
// C is row-major with row stride ldc and is overwritten. Transposes are just swapped strides.
template <typename T>
struct GemmArgs {
  int64_t m = 0, n = 0, k = 0;
  const T* a = nullptr;
  int64_t a_row = 0, a_col = 1;
  const T* b = nullptr;
  int64_t b_row = 0, b_col = 1;
  T* c = nullptr;
  int64_t ldc = 0;
};

// `parallel` lets the product use OpenMP threads; callers that already run in a parallel loop pass false.
// Instantiated for float, double, int32_t, int64_t, uint32_t, uint64_t.
template <typename T>
void gemm_reference(const GemmArgs<T>& g, bool parallel);

}  // namespace tandem
