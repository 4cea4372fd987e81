// The optimisation pipeline run on a specialised graph: fusions, then dead-code elimination.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace tandem {

// Each fusion lives in its own file; this runs them in a fixed order and re-checks the graph.
// The fusions in order, then explicit int8 (quantize_int8 with explicit_only) where the model carries Q/DQ.
Status optimize(Graph& graph);

Status fuse_layer_norm(Graph& graph);
Status fuse_gelu(Graph& graph);
Status fuse_silu(Graph& graph);
Status gemm_to_matmul(Graph& graph);
Status fuse_matmul_add(Graph& graph);
Status fuse_matmul_scale(Graph& graph);
Status hoist_activation(Graph& graph);
Status fold_pointwise_conv(Graph& graph);
Status fuse_conv_activation(Graph& graph);
Status conv_channels_last(Graph& graph);
// Runs connected regions of convs, pools, resizes and elementwise ops on NHWC data (channels_last_regions.cpp).
Status channels_last_regions(Graph& graph);
// Add(Resize(X), Z) with the resized map read by nothing else into an ai.tandem FusedResize (fuse_resize_add.cpp).
Status fuse_resize_add(Graph& graph);
// Chains of FusedResize into one ai.tandem ResizeSum, which also takes over a FusedConv's residual sum of resized
// maps and its activation (fuse_resize_sum.cpp).
Status fuse_resize_sum(Graph& graph);

// Int8 post-training quantisation (quantize_int8.cpp), after the fusions.
struct Int8Options {
  std::map<std::string, float> scales;  // calibrated activation scale (amax / 127) by tensor name
  std::set<std::string> keep_float;     // node names or op types that stay in float (plan overrides)
  bool matmul = true;                   // also matrix products with constant weights
  // Explicit quantisation (a Q/DQ model, TensorRT's explicit mode): only ops whose input arrives as int8
  // through a DequantizeLinear become int8, at the model's own scales; no calibration, no notes for the rest.
  bool explicit_only = false;
  // Int8 between int8 layers (fuse_requantize); off, every int8 result is float and requantised by its reader.
  bool requantize = true;
};
// `report` (optional) gets one line per node left in float and why. Ends with fuse_requantize.
Status quantize_int8(Graph& graph, const Int8Options& options, std::vector<std::string>* report);
// An int8 convolution whose result only a QuantizeLinear reads (directly or through Resizes) emits the int8
// tensor itself, and the Resizes run on int8 (fuse_requantize.cpp). `scales`: the calibrated ones by tensor name
// (through Resizes the convolution's own output scale is needed).
Status fuse_requantize(Graph& graph, const std::map<std::string, float>& scales);
// Whether fuse_requantize can run this Resize on int8 (between an int8 convolution and an int8 reader).
bool int8_resizable(const Node* resize);
// Whether quantize_int8 can run `node` in int8 (given a calibrated scale for its input): a 2-D convolution or a
// matrix product (with `matmul`) with constant float weights. Everything else runs in float in an int8 stage.
bool int8_quantizable(const Node& node, bool matmul = true);

// BF16 stages (mark_bf16.cpp): sets kComputePrecisionAttr = "bf16" on every float Conv/FusedConv/MatMul/FusedMatMul
// not named (by node name or op type) in `keep_float`; the CPU kernels may then multiply in bf16 (accumulating in
// fp32) where their tactic search finds that faster than fp32.
// `report` (optional) gets the overrides and a summary line.
bool bf16_markable(const Node& node);
Status mark_bf16(Graph& graph, const std::set<std::string>& keep_float, std::vector<std::string>* report);
// After mark_bf16 (bf16_dataflow.cpp): tensors a marked conv/matmul writes and only marked convs/matmuls read (as
// data input, through reshapes/transposes) become bf16. Returns how many writers' tensors changed; `touched`
// (optional) gets the names of the writers and readers, whose kernels must then run bf16.
int bf16_dataflow(Graph& graph, std::set<std::string>* touched);

}  // namespace tandem
