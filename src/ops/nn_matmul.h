// MatMul's numpy shape rules and reference kernel, shared with FusedMatMul (which adds a bias and an activation).
#pragma once

#include <span>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "ops/activation.h"
#include "ops/op_registry.h"

namespace tandem {

// A [..., M, K] x B [..., K, N] with broadcast batch dims; a 1-D A is [1, K] and a 1-D B is [K, 1], their
// unit dim removed from the output again.
struct MatMulPlan {
  DType dtype = DType::kUndefined;
  int64_t m = 0, n = 0, k = 0;
  std::vector<int64_t> a_offsets, b_offsets;  // element offset of each output batch's A and B matrix
  Shape out_shape;

  int64_t batch() const { return static_cast<int64_t>(a_offsets.size()); }
};

// Validates inputs 0 and 1 of `ctx` (dtypes float32/float64/int32/int64/uint32/uint64).
Result<MatMulPlan> plan_matmul(const OpContext& ctx);

// MatMulKernel(false) is MatMul; MatMulKernel(true) is FusedMatMul: optional input 2 is a bias of N values
// added to every row, then `activation` / `activation_params` apply.
class MatMulKernel : public Kernel {
 public:
  explicit MatMulKernel(bool fused) : fused_(fused) {}
  Status prepare(const OpContext& ctx) override;
  Status run(std::span<const Tensor> in, std::span<Tensor> out) override;

 private:
  template <typename T>
  void run_typed(const Tensor& a, const Tensor& b, const Tensor& bias, Tensor& y) const;

  bool fused_ = false;
  MatMulPlan plan_;
  Activation activation_;
  float alpha_ = 1.0f;  // FusedMatMul's scale on the product, before the bias
  bool parallel_batches_ = false;  // threads split batches instead of each product
};

}  // namespace tandem
