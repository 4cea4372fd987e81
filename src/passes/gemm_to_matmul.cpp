// Gemm with a constant B, the Linear layer of a classifier as torch exports it (transB=1, C a bias of [N]),
// becomes the FusedMatMul that the backends already run well: B is transposed (and scaled by alpha) once here,
// and beta·C becomes the bias. Such layers then get oneDNN, int8 and bf16 like every other Linear layer, and the
// activation after them fuses too. Gemms this does not cover (transA, a run-time B, a C that is not a bias) keep
// the reference kernel.
#include "passes/fusion_match.h"
#include "passes/optimize.h"

namespace tandem {
namespace {

using fusion::is_op;

bool rewrite(Graph& graph, Node* n) {
  if (!is_op(n, "Gemm") || n->num_inputs() < 2) return false;
  Value* a = n->input(0);
  Value* b = n->input(1);
  Value* c = n->input(2);
  Value* y = n->output(0);
  if (!a || !b || !y || !b->is_constant() || b->dtype != DType::kFloat32 || y->dtype != DType::kFloat32) return false;
  if (b->shape.size() != 2 || n->attrs.get_int("transA", 0) != 0) return false;
  const bool trans_b = n->attrs.get_int("transB", 0) != 0;
  const float alpha = n->attrs.get_float("alpha", 1.0f), beta = n->attrs.get_float("beta", 1.0f);
  const int64_t k = trans_b ? b->shape[1] : b->shape[0], cols = trans_b ? b->shape[0] : b->shape[1];
  if (c && beta != 0.0f && !fusion::is_channel_vector(c, cols, 2, DType::kFloat32)) return false;

  Tensor w = Tensor::make(DType::kFloat32, {k, cols});
  const float* src = b->constant->data<float>();
  float* dst = w.data<float>();
  for (int64_t r = 0; r < k; ++r)
    for (int64_t j = 0; j < cols; ++j) dst[r * cols + j] = alpha * (trans_b ? src[j * k + r] : src[r * cols + j]);
  Value* weight = fusion::constant_value(graph, n->name + "/weight", std::move(w));
  std::vector<Value*> inputs{a, weight};
  if (c && beta != 0.0f) {
    Value* bias = fusion::as_channel_vector(graph, c);
    if (beta != 1.0f) {
      Tensor scaled = bias->constant->clone();
      for (int64_t j = 0; j < scaled.numel(); ++j) scaled.data<float>()[j] *= beta;
      bias = fusion::constant_value(graph, n->name + "/bias", std::move(scaled));
    }
    inputs.push_back(bias);
  }
  fusion::replace_with_node(graph, {n}, "FusedMatMul", n->name + "/matmul", inputs, y, kTandemDomain);
  return true;
}

}  // namespace

Status gemm_to_matmul(Graph& graph) {
  for (Node* n : graph.live_nodes())
    if (!n->dead) rewrite(graph, n);
  return Status::ok();
}

}  // namespace tandem
