// Reference GEMM: cache-blocked i-k-j loops (the inner j loop vectorises) and a dot-product form for a
// transposed B, both summing over k in ascending order per output so results do not depend on threads.
#include "ops/nn_gemm.h"

#include <algorithm>

namespace tandem {
namespace {

// Tile sizes: a kKb x kNb tile of B (128 KiB of float) stays in L2 while kMb rows of C accumulate into it.
constexpr int64_t kMb = 32;
constexpr int64_t kNb = 256;
constexpr int64_t kKb = 128;
constexpr int64_t kParallelWork = int64_t{1} << 15;

// B rows are contiguous (b_col == 1): C[i, j0:j1] += A(i, k) * B[k, j0:j1].
template <typename T>
void gemm_rows(const GemmArgs<T>& g, bool parallel) {
  const int64_t tiles_m = (g.m + kMb - 1) / kMb, tiles_n = (g.n + kNb - 1) / kNb;
  const bool par = parallel && g.m * g.n * g.k > kParallelWork && tiles_m * tiles_n > 1;
#pragma omp parallel for collapse(2) if (par) schedule(static)
  for (int64_t tm = 0; tm < tiles_m; ++tm) {
    for (int64_t tn = 0; tn < tiles_n; ++tn) {
      const int64_t i0 = tm * kMb, i1 = std::min(g.m, i0 + kMb);
      const int64_t j0 = tn * kNb, j1 = std::min(g.n, j0 + kNb);
      for (int64_t i = i0; i < i1; ++i) std::fill(g.c + i * g.ldc + j0, g.c + i * g.ldc + j1, T{0});
      for (int64_t k0 = 0; k0 < g.k; k0 += kKb) {
        const int64_t k1 = std::min(g.k, k0 + kKb);
        for (int64_t i = i0; i < i1; ++i) {
          T* __restrict c = g.c + i * g.ldc;
          for (int64_t k = k0; k < k1; ++k) {
            const T a = g.a[i * g.a_row + k * g.a_col];
            const T* __restrict b = g.b + k * g.b_row;
            for (int64_t j = j0; j < j1; ++j) c[j] += a * b[j];
          }
        }
      }
    }
  }
}

// Any other layout, typically a transposed B (b_row == 1): one dot product per output element.
template <typename T>
void gemm_dots(const GemmArgs<T>& g, bool parallel) {
  const bool par = parallel && g.m * g.n * g.k > kParallelWork && g.m * g.n > 1;
#pragma omp parallel for collapse(2) if (par) schedule(static)
  for (int64_t i = 0; i < g.m; ++i) {
    for (int64_t j = 0; j < g.n; ++j) {
      const T* a = g.a + i * g.a_row;
      const T* b = g.b + j * g.b_col;
      T acc{0};
      for (int64_t k = 0; k < g.k; ++k) acc += a[k * g.a_col] * b[k * g.b_row];
      g.c[i * g.ldc + j] = acc;
    }
  }
}

}  // namespace

template <typename T>
void gemm_reference(const GemmArgs<T>& g, bool parallel) {
  if (g.m <= 0 || g.n <= 0) return;
  if (g.b_col == 1) {
    gemm_rows(g, parallel);
  } else {
    gemm_dots(g, parallel);
  }
}

template void gemm_reference<float>(const GemmArgs<float>&, bool);
template void gemm_reference<double>(const GemmArgs<double>&, bool);
template void gemm_reference<int32_t>(const GemmArgs<int32_t>&, bool);
template void gemm_reference<int64_t>(const GemmArgs<int64_t>&, bool);
template void gemm_reference<uint32_t>(const GemmArgs<uint32_t>&, bool);
template void gemm_reference<uint64_t>(const GemmArgs<uint64_t>&, bool);

}  // namespace tandem
