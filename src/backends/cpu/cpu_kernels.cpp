// The CPU backend's kernel table: specialised factories tried in order, the reference kernel last.
#include "backends/cpu/cpu_kernels.h"

namespace tandem {
namespace {

// The reference kernels write what their op's inference says. A node whose outputs are typed otherwise (a
// bfloat16 tensor that only the bf16 kernels write, or a forged engine file) has none: it would write float32
// into a buffer sized for bfloat16.
Status check_reference_outputs(const OpSchema& schema, const OpContext& ctx) {
  OpContext probe = ctx;
  for (OperandInfo& out : probe.outputs) {
    out.dtype = DType::kUndefined;
    out.shape.clear();
  }
  TANDEM_RETURN_IF_ERROR(schema.infer(probe));
  for (size_t i = 0; i < ctx.outputs.size(); ++i) {
    const OperandInfo& want = ctx.outputs[i];
    if (!want.present) continue;
    TANDEM_CHECK_OR_RETURN(probe.outputs[i].dtype == want.dtype && probe.outputs[i].shape == want.shape, kUnsupported,
                           "no kernel writes output %zu as %s %s (the reference kernel writes %s %s)", i,
                           dtype_name(want.dtype), shape_to_string(want.shape).c_str(),
                           dtype_name(probe.outputs[i].dtype), shape_to_string(probe.outputs[i].shape).c_str());
  }
  return Status::ok();
}

}  // namespace

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
  TANDEM_RETURN_IF_ERROR(check_reference_outputs(schema, ctx));
  std::unique_ptr<Kernel> k = schema.create();
  TANDEM_RETURN_IF_ERROR(k->prepare(ctx));
  return k;
}

}  // namespace tandem
