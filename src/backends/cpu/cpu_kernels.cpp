// The CPU backend's kernel table: specialised factories tried in order, the reference kernel last.
#include "backends/cpu/cpu_kernels.h"

namespace tandem {

Result<std::unique_ptr<Kernel>> select_cpu_kernel(const OpSchema& schema, const OpContext& ctx,
                                                  const std::string& tactic) {
  if (!tactic.empty()) {
    std::unique_ptr<Kernel> k = make_cpu_conv(ctx, tactic);
    if (!k) k = make_onednn_matmul(ctx, tactic);
    TANDEM_CHECK_OR_RETURN(k, kInvalidArgument, "saved tactic '%s' names no kernel for this node", tactic.c_str());
    TANDEM_RETURN_IF_ERROR(k->prepare(ctx));
    return k;
  }
  using Factory = std::unique_ptr<Kernel> (*)(const OpContext&);
  static const Factory kFactories[] = {[](const OpContext& c) { return make_cpu_conv(c); },
                                       [](const OpContext& c) { return make_onednn_matmul(c); },
                                       make_onednn_eltwise, make_softmax_x16, make_onednn_softmax, make_onednn_pool,
                                       make_quantize_s8};
  for (Factory f : kFactories) {
    std::unique_ptr<Kernel> k = f(ctx);
    if (k && k->prepare(ctx).is_ok()) return k;
  }
  std::unique_ptr<Kernel> k = schema.create();
  TANDEM_RETURN_IF_ERROR(k->prepare(ctx));
  return k;
}

}  // namespace tandem
