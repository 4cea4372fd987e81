// The CPU backend's kernel table: specialised factories tried in order, the reference kernel last.
#include "backends/cpu/cpu_kernels.h"

namespace tandem {

Result<std::unique_ptr<Kernel>> select_cpu_kernel(const OpSchema& schema, const OpContext& ctx) {
  using Factory = std::unique_ptr<Kernel> (*)(const OpContext&);
  static const Factory kFactories[] = {make_cpu_conv, make_onednn_matmul, make_onednn_eltwise,
                                        make_onednn_softmax};
  for (Factory f : kFactories) {
    std::unique_ptr<Kernel> k = f(ctx);
    if (k && k->prepare(ctx).is_ok()) return k;
  }
  std::unique_ptr<Kernel> k = schema.create();
  TANDEM_RETURN_IF_ERROR(k->prepare(ctx));
  return k;
}

}  // namespace tandem
