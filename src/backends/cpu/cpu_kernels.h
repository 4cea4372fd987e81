// Kernel selection for the CPU backend: an optimised kernel (oneDNN or hand-written) where one applies,
// otherwise the op's reference kernel.
#pragma once

#include <memory>

#include "ops/op_registry.h"

namespace tandem {

// Returns nullptr when no specialised kernel handles this node; the caller then uses the reference one.
// Convolutions: the tactic selector, which times the variants below that accept the node, or builds only
// `tactic` (a Kernel::tactic() saved with an engine) when it is not empty.
std::unique_ptr<Kernel> make_cpu_conv(const OpContext& ctx, const std::string& tactic = "");
// oneDNN's two float Winograd implementations: F(2x2, 3x3) and F(4x4, 3x3). oneDNN offers the first it can for a
// geometry, which is often not the faster (ResNet's 64-channel 56x56 layer: 1.01 vs 0.68 ms), so both are tactics.
enum class Winograd { kNone, kF2x3, kF4x3 };

// How a oneDNN convolution runs (conv_tactics.cpp's candidates).
struct OnednnConvOptions {
  bool blocked_io = true;  // oneDNN picks the activation layouts (blocked: reorders in and out), else the node's
  bool bf16 = false;       // multiply in bf16, fp32 accumulation (fp32 in and out; needs native bf16)
  Winograd winograd = Winograd::kNone;  // that Winograd form (float32 3x3, stride 1, undilated; blocked layouts)
  // The activation by Tandem's vectorised kernel after the convolution instead of as a oneDNN post-op: oneDNN
  // 2.6's in-kernel swish/GELU cost 2-4x what the convolution itself does on some layers.
  bool activation_after = false;
};
std::unique_ptr<Kernel> make_onednn_conv(const OnednnConvOptions& options);
// Tandem's direct NCHW convolution for layers with at most 8 output channels (nullptr otherwise); float, or
// FusedConvInt8 with a float result (int8 input dequantised as it is read).
std::unique_ptr<Kernel> make_conv2d_f32_nchw_direct(const OpContext& ctx);
// The same for channels-last input (nhwc_direct_conv_applies), float or int8, float output in either layout.
std::unique_ptr<Kernel> make_conv2d_nhwc_direct(const OpContext& ctx);
// oneDNN matmul; for a node a bf16 stage marked, the faster of fp32 and bf16 (timed; `tactic`, when saved with
// an engine, picks one without timing).
std::unique_ptr<Kernel> make_onednn_matmul(const OpContext& ctx, const std::string& tactic = "");
// Tandem's matrix-vector product for a float MatMul / FusedMatMul of one row by a constant 2-D B (nullptr
// otherwise); make_onednn_matmul takes it for such nodes.
std::unique_ptr<Kernel> make_gemv_f32(const OpContext& ctx);
std::unique_ptr<Kernel> make_onednn_eltwise(const OpContext& ctx);
std::unique_ptr<Kernel> make_onednn_softmax(const OpContext& ctx);
// Tandem's AVX-512 softmax over the last axis, float in, float or bf16 out (nullptr otherwise, and without
// AVX-512); taken before oneDNN's, which it beats 2-3x on attention rows.
std::unique_ptr<Kernel> make_softmax_x16(const OpContext& ctx);
// float32 MaxPool (without Indices), AveragePool, GlobalAveragePool.
std::unique_ptr<Kernel> make_onednn_pool(const OpContext& ctx);
// Symmetric per-tensor int8 QuantizeLinear / DequantizeLinear (src/quant's vectorised quantizer).
std::unique_ptr<Kernel> make_quantize_s8(const OpContext& ctx);

// Picks the fastest kernel that accepts the node and prepares it; a specialised kernel that fails to
// prepare (e.g. oneDNN rejects the geometry) falls back to the reference kernel. A non-empty `tactic` (saved
// with an engine) must be honoured: an error if it no longer applies.
Result<std::unique_ptr<Kernel>> select_cpu_kernel(const OpSchema& schema, const OpContext& ctx,
                                                  const std::string& tactic = "");

}  // namespace tandem
