// The CPU backend's kernel table: specialised factories tried in order, the reference kernel last.
#include "backends/cpu/cpu_kernels.h"

namespace tandem {

std::unique_ptr<Kernel> select_cpu_kernel(const OpSchema& schema, const OpContext& ctx) {
  using Factory = std::unique_ptr<Kernel> (*)(const OpContext&);
  static const Factory kFactories[] = {make_onednn_conv, make_onednn_matmul};
  for (Factory f : kFactories)
    if (auto k = f(ctx)) return k;
  return schema.create();
}

}  // namespace tandem
