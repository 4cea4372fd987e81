// Kernel selection for the CPU backend: an optimised kernel (oneDNN or hand-written) where one applies,
// otherwise the op's reference kernel.
#pragma once

#include <memory>

#include "ops/op_registry.h"

namespace tandem {

// Returns nullptr when no specialised kernel handles this node; the caller then uses the reference one.
std::unique_ptr<Kernel> make_onednn_conv(const OpContext& ctx);
std::unique_ptr<Kernel> make_onednn_matmul(const OpContext& ctx);
std::unique_ptr<Kernel> make_onednn_eltwise(const OpContext& ctx);
std::unique_ptr<Kernel> make_onednn_softmax(const OpContext& ctx);

// Picks the fastest kernel that accepts the node and prepares it; a specialised kernel that fails to
// prepare (e.g. oneDNN rejects the geometry) falls back to the reference kernel.
Result<std::unique_ptr<Kernel>> select_cpu_kernel(const OpSchema& schema, const OpContext& ctx);

}  // namespace tandem
