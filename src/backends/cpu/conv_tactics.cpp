// Convolution tactics (tactic_search.h times them): oneDNN's blocked layouts win for most convolutions; for small
// ones the reorders in and out cost more than the blocked kernel saves (plain NCHW wins); for layers with a
// handful of output channels Tandem's direct kernel beats both.
#include <iterator>

#include "backends/cpu/cpu_kernels.h"
#include "backends/cpu/onednn_common.h"
#include "backends/cpu/tactic_search.h"
#include "ops/fused_int8.h"
#include "ops/nn_conv.h"

namespace tandem {
namespace {

// The candidates by tactic name, in the order they are tried. The bf16 ones only for nodes a bf16 stage marked
// (where oneDNN has native bf16): bf16 is a permission, as TensorRT's BF16 flag is, not an order, so a layer
// whose fp32 kernel is faster (AVX-512 BF16 without AMX has no more multiply throughput than fp32 FMA, and the
// conversions cost) keeps fp32.
const char* const kTactics[] = {"onednn_blocked",
                                 "onednn_plain",
                                 "direct",
                                 "onednn_winograd_2x3",
                                 "onednn_winograd_4x3",
                                 "onednn_blocked_act_after",
                                 "onednn_plain_act_after",
                                 "onednn_blocked_bf16",
                                 "onednn_plain_bf16",
                                 "onednn_blocked_bf16_act_after",
                                 "onednn_plain_bf16_act_after"};

std::unique_ptr<Kernel> make_tactic(const std::string& name, const OpContext& ctx) {
  const bool int8 = ctx.node->op_type == "FusedConvInt8";
  const bool bf16 = !int8 && bf16_compute(*ctx.node) && onednn_native_bf16();
  if (name == "onednn_blocked") return make_onednn_conv({.blocked_io = true});
  if (name == "onednn_plain") return make_onednn_conv({.blocked_io = false});
  if (name == "direct" && (ctx.in(0).dtype == DType::kBFloat16 || ctx.out(0).dtype == DType::kBFloat16))
    return nullptr;  // float32 or int8 only
  if (name == "direct") {
    std::unique_ptr<Kernel> nchw = make_conv2d_f32_nchw_direct(ctx);
    return nchw ? std::move(nchw) : make_conv2d_nhwc_direct(ctx);
  }
  if (name == "onednn_winograd_2x3" || name == "onednn_winograd_4x3") {  // float32; oneDNN says which geometries
    if (int8 || bf16 || ctx.in(0).dtype != DType::kFloat32 || ctx.out(0).dtype != DType::kFloat32) return nullptr;
    return make_onednn_conv({.winograd = name == "onednn_winograd_2x3" ? Winograd::kF2x3 : Winograd::kF4x3});
  }
  if (name == "onednn_blocked_act_after" || name == "onednn_plain_act_after") {
    if (int8 || ctx.out(0).dtype != DType::kFloat32 || !transcendental_activation(*ctx.node)) return nullptr;
    return make_onednn_conv({.blocked_io = name == "onednn_blocked_act_after", .activation_after = true});
  }
  if (name == "onednn_blocked_bf16") return bf16 ? make_onednn_conv({.blocked_io = true, .bf16 = true}) : nullptr;
  if (name == "onednn_plain_bf16") return bf16 ? make_onednn_conv({.blocked_io = false, .bf16 = true}) : nullptr;
  if (name == "onednn_blocked_bf16_act_after" || name == "onednn_plain_bf16_act_after") {
    if (!bf16 || !transcendental_activation(*ctx.node)) return nullptr;
    return make_onednn_conv(
        {.blocked_io = name == "onednn_blocked_bf16_act_after", .bf16 = true, .activation_after = true});
  }
  return nullptr;
}

}  // namespace

std::unique_ptr<Kernel> make_cpu_conv(const OpContext& node_ctx, const std::string& tactic) {
  const Node& n = *node_ctx.node;
  bool conv = n.domain.empty() && n.op_type == "Conv";
  bool fused = n.domain == kTandemDomain && n.op_type == "FusedConv";
  bool int8 = n.domain == kTandemDomain && n.op_type == "FusedConvInt8";
  if (!conv && !fused && !int8) return nullptr;
  if (int8 && !(node_ctx.in(kInt8XScale).constant && node_ctx.in(kInt8W).constant && node_ctx.in(kInt8WScale).constant))
    return nullptr;
  // An int8 node's geometry and operands, as the float op sees them.
  OpContext ctx = int8 ? int8_as_float_context(node_ctx, node_ctx.in(kInt8W).constant) : node_ctx;
  // bf16 tensors (bf16_dataflow.cpp) only where the node may multiply in bf16; the bf16 tactics take them.
  const bool bf16_io = ctx.in(0).dtype == DType::kBFloat16 || ctx.out(0).dtype == DType::kBFloat16;
  if (bf16_io && !(bf16_compute(n) && onednn_native_bf16())) return nullptr;
  if (ctx.in(0).dtype == DType::kBFloat16) ctx.inputs[0].dtype = DType::kFloat32;  // the float view's geometry
  if (ctx.in(0).dtype != DType::kFloat32 || ctx.in(0).shape.size() != 4) return nullptr;
  if (!conv_geometry(ctx).is_ok()) return nullptr;
  if (!ctx.in(1).constant || (ctx.has_input(2) && !ctx.in(2).constant)) return nullptr;
  if (fused || int8) {
    auto act = Activation::parse(n.attrs.get_string("activation", ""), n.attrs.get_floats("activation_params"));
    if (!act.is_ok() || !onednn_eltwise_chain(*act)) return nullptr;
  }
  return make_tuned_kernel(std::vector<std::string>(std::begin(kTactics), std::end(kTactics)), make_tactic, tactic);
}

}  // namespace tandem
