// FLOP counting.
#include "ops/flops.h"

#include <set>

namespace tandem {

double node_flops(const OpContext& ctx) {
  const std::string& op = ctx.node->op_type;
  if (!ctx.has_output(0)) return 0;
  double out = static_cast<double>(shape_numel(ctx.out(0).shape));
  if (op == "Conv" || op == "FusedConv") {
    const Shape& w = ctx.in(1).shape;  // [OC, IC/group, k...]
    double per_out = 1;
    for (size_t i = 1; i < w.size(); ++i) per_out *= static_cast<double>(w[i]);
    return 2 * out * per_out;
  }
  if (op == "MatMul" || op == "FusedMatMul") {
    const Shape& a = ctx.in(0).shape;
    return 2 * out * static_cast<double>(a.empty() ? 1 : a.back());
  }
  if (op == "Gemm") {
    const Shape& a = ctx.in(0).shape;
    int64_t k = ctx.attrs().get_int("transA", 0) ? a[0] : a[1];
    return 2 * out * static_cast<double>(k);
  }
  static const std::set<std::string> kMovement = {"Reshape", "Transpose", "Concat", "Slice", "Gather", "Shape",
                                                  "Unsqueeze", "Squeeze", "Flatten", "Identity", "Split",
                                                  "Expand", "Tile", "Pad", "Cast", "Constant", "Dropout"};
  if (kMovement.count(op)) return 0;
  return out;
}

}  // namespace tandem
