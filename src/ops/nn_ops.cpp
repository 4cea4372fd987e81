// TODO(nn): nn ops are being written.
#include "ops/op_registry.h"

namespace tandem {

void register_nn_ops(OpRegistry& r) { (void)r; }

}  // namespace tandem
