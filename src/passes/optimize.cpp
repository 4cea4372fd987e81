// Runs the fusion passes in order. Order matters: GELU before MatMul+Add+activation, LayerNorm first
// because its pattern contains Add nodes that MatMul+Add fusion must not take.
#include "passes/optimize.h"

#include "passes/specialize.h"

namespace tandem {

Status optimize(Graph& graph) {
  TANDEM_RETURN_IF_ERROR(fuse_layer_norm(graph));
  TANDEM_RETURN_IF_ERROR(fuse_gelu(graph));
  // Like GELU: one Silu node, which the activation hoisting and conv fusion below then take as an activation.
  TANDEM_RETURN_IF_ERROR(fuse_silu(graph));
  // Before MatMul+Add: the FusedMatMul it makes of a Gemm then takes the activation that follows.
  TANDEM_RETURN_IF_ERROR(gemm_to_matmul(graph));
  TANDEM_RETURN_IF_ERROR(fuse_matmul_add(graph));
  // After MatMul+Add: a scale is only folded into a MatMul that took no bias, so alpha never meets a bias.
  TANDEM_RETURN_IF_ERROR(fuse_matmul_scale(graph));
  // Activations separated from their conv/matmul only by reshapes and transposes move up to them first.
  TANDEM_RETURN_IF_ERROR(hoist_activation(graph));
  // Before conv fusion, which needs the plain Conv/Add nodes this rewrites (and then fuses its result).
  TANDEM_RETURN_IF_ERROR(fold_pointwise_conv(graph));
  TANDEM_RETURN_IF_ERROR(fuse_conv_activation(graph));
  // Last: it turns the remaining plain Convs into FusedConvs, which the passes above do not match.
  TANDEM_RETURN_IF_ERROR(conv_channels_last(graph));
  // After every conv fusion (it converts what they made) and before int8, which keeps the layouts it finds.
  TANDEM_RETURN_IF_ERROR(channels_last_regions(graph));
  // After the layouts are final: channels_last_regions knows Resize and Add, not FusedResize.
  TANDEM_RETURN_IF_ERROR(fuse_resize_add(graph));
  TANDEM_RETURN_IF_ERROR(fuse_resize_sum(graph));
  // A Q/DQ model says where it runs in int8: convolutions and linear layers reading a DequantizeLinear of int8
  // take the int8 tensor itself (their weights, folded from their own DequantizeLinear, are requantised per
  // channel: amax / 127, which gives back the exact int8 weights of a max-calibrated QAT export).
  bool has_dequantize = false;
  for (const Node* n : graph.live_nodes()) has_dequantize |= n->op_type == "DequantizeLinear";
  if (has_dequantize) {
    Int8Options explicit_int8;
    explicit_int8.explicit_only = true;
    TANDEM_RETURN_IF_ERROR(quantize_int8(graph, explicit_int8, nullptr));
  }
  eliminate_dead_code(graph);
  return graph.topological_order().status();
}

}  // namespace tandem
