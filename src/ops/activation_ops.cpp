// TODO(activation): activation ops are being written.
#include "ops/op_registry.h"

namespace tandem {

void register_activation_ops(OpRegistry& r) { (void)r; }

}  // namespace tandem
