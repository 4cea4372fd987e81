// BF16 compute for a stage: every float convolution and matrix product is marked as allowed to multiply in bf16
// with fp32 accumulation (the kernel's tactic search then keeps bf16 where it is faster; the bf16 kernels convert
// their inputs and pack their weights once); tensors between nodes stay fp32,
// and everything else (LayerNorm, softmax, elementwise, resizes) computes in fp32, as TensorRT keeps
// normalisations and reductions in fp32 under mixed precision. The mark is an attribute, so a saved engine keeps it.
#include "passes/fusion_match.h"
#include "passes/optimize.h"

namespace tandem {

using fusion::is_op;

bool bf16_markable(const Node& node) {
  return is_op(&node, "Conv") || is_op(&node, "FusedConv", kTandemDomain) || is_op(&node, "MatMul") ||
         is_op(&node, "FusedMatMul", kTandemDomain);
}

Status mark_bf16(Graph& graph, const std::set<std::string>& keep_float, std::vector<std::string>* report) {
  int marked = 0, kept = 0;
  for (Node* n : graph.live_nodes()) {
    if (n->dead) continue;
    if (!bf16_markable(*n)) continue;
    if (keep_float.count(n->name) || keep_float.count(n->op_type)) {
      ++kept;
      if (report) report->push_back(n->describe() + ": kept in fp32 by an override");
      continue;
    }
    n->attrs.set_string(kComputePrecisionAttr, "bf16");
    ++marked;
  }
  if (report)
    report->push_back(format("%d convolution/matmul node(s) may multiply in bf16 (fp32 accumulation), %d kept in"
                             " fp32 by overrides; the other nodes compute in fp32",
                             marked, kept));
  return Status::ok();
}

}  // namespace tandem
