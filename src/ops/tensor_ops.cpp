// TODO(tensor): tensor ops are being written.
#include "ops/op_registry.h"

namespace tandem {

void register_tensor_ops(OpRegistry& r) { (void)r; }

}  // namespace tandem
