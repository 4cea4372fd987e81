// The op-level half of the channels-last regions (channels_last_ops.h): which ops a region can hold, which of
// their inputs follow its layout, and broadcast constants permuted to NHWC.
#include "passes/channels_last_ops.h"

#include <cstring>
#include <numeric>
#include <set>
#include <string>

#include "ops/nn_conv.h"
#include "passes/fusion_match.h"

namespace tandem::channels_last {
namespace {

using fusion::is_op;

// A concrete rank-4 tensor of a fixed-size type: what a region's values are.
bool is_map(const Value* v) {
  return v && v->has_shape && v->shape.size() == 4 && v->shape_is_concrete() && dtype_size(v->dtype) > 0;
}

// Only output 0 is used (Dropout's mask, MaxPool's Indices unused).
bool single_output(const Graph& g, const Node* n) {
  for (int i = 1; i < static_cast<int>(n->outputs.size()); ++i) {
    const Value* v = n->output(i);
    if (v && (!v->consumers.empty() || g.is_graph_output(v))) return false;
  }
  return true;
}

bool constant_or_absent(const Value* v) { return !v || v->is_constant(); }

}  // namespace

bool is_scalar_value(const Value* v) {
  return v && v->has_shape && v->shape.size() <= 4 && v->shape_is_concrete() && shape_numel(v->shape) == 1;
}

int64_t normalized_axis(int64_t axis, int64_t rank) { return axis < 0 ? axis + rank : axis; }

// The axes a Reduce node reads, or false when they are not known at build time.
bool reduce_axes(const Node* n, std::vector<int64_t>& axes, bool& from_input) {
  from_input = n->num_inputs() > 1 && n->input(1);
  if (from_input) {
    if (!n->input(1)->is_constant()) return false;
    const Tensor& t = *n->input(1)->constant;
    for (int64_t i = 0; i < t.numel(); ++i) axes.push_back(t.int_at(i));
  } else {
    axes = n->attrs.get_ints("axes");
  }
  return !axes.empty() || n->attrs.get_int("noop_with_empty_axes", 0) == 0;
}

Kind classify(const Graph& g, const Node* n) {
  if (n->dead || !single_output(g, n)) return Kind::kNone;
  const Value* x = n->input(0);
  const Value* y = n->output(0);
  if (!is_map(x) || !is_map(y)) {
    // A broadcast op may read lower-rank operands; only its output must be a map.
    if (!(n->domain.empty() && is_map(y))) return Kind::kNone;
  }
  const std::string& op = n->op_type;
  if (is_op(n, "Conv") || is_op(n, "FusedConv", kTandemDomain)) {
    const Value* w = n->input(1);
    if (!is_map(x) || x->dtype != DType::kFloat32 || !w || !w->is_constant() || w->shape.size() != 4)
      return Kind::kNone;
    // A conv that already reads tokens (conv_channels_last set src_layout NHWC) still writes an NCHW map the
    // region can take. One that writes tokens (a ConvNeXt block's depthwise conv before its LayerNorm) can read the
    // region's map and end it, keeping its token output (ends_region); not with a residual, which would have to
    // follow that layout.
    if (n->attrs.get_string("dst_layout", "NCHW") != "NCHW")
      return n->num_inputs() > 3 && n->input(3) ? Kind::kNone : Kind::kConv;
    // Tandem's direct kernel beats oneDNN on these in any layout; the region ends before them, or at them when
    // the kernel can read the region's NHWC map (they then write NCHW: writes_nhwc).
    if (prefers_direct_nchw_conv(*n)) return reads_nhwc_directly(*n) ? Kind::kConv : Kind::kNone;
    return Kind::kConv;
  }
  if (!n->domain.empty() && !(n->domain == kTandemDomain && (op == "Gelu" || op == "Silu"))) return Kind::kNone;
  static const std::set<std::string> kUnary = {
      "Relu", "LeakyRelu", "Sigmoid",  "HardSigmoid", "HardSwish", "Tanh", "Clip",     "Elu",  "Selu",       "Softplus",
      "Gelu", "Silu",      "Erf",      "Exp",         "Log",       "Neg",  "Abs",      "Sqrt", "Reciprocal", "Floor",
      "Ceil", "Round",     "Identity", "Dropout",     "Cast",      "Mish", "Softsign", "Sign", "Not"};
  static const std::set<std::string> kBroadcast = {"Add", "Sub", "Mul", "Div",  "Pow",
                                                   "Max", "Min", "Sum", "Mean", "PRelu"};
  if (kUnary.count(op) || op == "QuantizeLinear" || op == "DequantizeLinear") {
    if (!is_map(x) || x->shape != y->shape) return Kind::kNone;
    bool scalars = true;
    for (int i = 1; i < n->num_inputs(); ++i)
      scalars &= !n->input(i) || (n->input(i)->is_constant() && n->input(i)->constant->numel() == 1);
    if (scalars) return Kind::kUnary;
    // Per-channel Q/DQ (axis 1): the same op along the NHWC channel axis.
    const bool qdq = op == "QuantizeLinear" || op == "DequantizeLinear";
    if (qdq && normalized_axis(n->attrs.get_int("axis", 1), 4) == 1 && constant_or_absent(n->input(1)) &&
        constant_or_absent(n->input(2)))
      return Kind::kQdqPerAxis;
    return Kind::kNone;
  }
  if (kBroadcast.count(op)) {
    for (const Value* in : n->inputs) {
      if (!in || !in->has_shape || in->shape.size() > 4 || !in->shape_is_concrete()) return Kind::kNone;
      if (!in->is_constant() && !is_map(in) && !is_scalar_value(in)) return Kind::kNone;
    }
    return Kind::kBroadcast;
  }
  if (!is_map(x)) return Kind::kNone;
  if (op == "Resize") {
    if (n->attrs.has("axes")) return Kind::kNone;
    // An upsampling Resize that makes a graph output (a segmentation model's logits brought to the input size)
    // stays NCHW: the region then hands over its small map instead of transposing the large result (LR-ASPP at
    // 256x256: 21x32x32 instead of 21x256x256).
    if (g.is_graph_output(y) && shape_numel(y->shape) > shape_numel(x->shape)) return Kind::kNone;
    for (int i = 1; i < n->num_inputs(); ++i)
      if (!constant_or_absent(n->input(i))) return Kind::kNone;
    return Kind::kResize;
  }
  if (op == "MaxPool" || op == "AveragePool" || op == "GlobalAveragePool" || op == "GlobalMaxPool")
    return x->dtype == DType::kFloat32 && n->attrs.get_string("layout", "NCHW") == "NCHW" ? Kind::kPool : Kind::kNone;
  if (op == "Concat") {
    for (const Value* in : n->inputs)
      if (!is_map(in)) return Kind::kNone;
    return Kind::kConcat;
  }
  if (op == "Split") {
    for (const Value* out : n->outputs)
      if (out && !is_map(out)) return Kind::kNone;
    for (int i = 1; i < n->num_inputs(); ++i)
      if (!constant_or_absent(n->input(i))) return Kind::kNone;
    return Kind::kSplit;
  }
  if (op == "ReduceMean" || op == "ReduceSum" || op == "ReduceMax" || op == "ReduceMin") {
    std::vector<int64_t> axes;
    bool from_input = false;
    if (n->attrs.get_int("keepdims", 1) != 1 || !reduce_axes(n, axes, from_input)) return Kind::kNone;
    return Kind::kReduce;
  }
  return Kind::kNone;
}

// The inputs whose layout follows the region's (the others are weights, scales, shapes).
std::vector<int> data_inputs(const Node* n, Kind kind) {
  switch (kind) {
    case Kind::kConv:
      return n->num_inputs() > 3 && n->input(3) ? std::vector<int>{0, 3} : std::vector<int>{0};
    case Kind::kBroadcast:
    case Kind::kConcat: {
      std::vector<int> all(static_cast<size_t>(n->num_inputs()));
      std::iota(all.begin(), all.end(), 0);
      return all;
    }
    case Kind::kNone:
      return {};
    default:
      return {0};
  }
}

// `t` (rank <= 4, numpy-broadcastable against an NCHW map) as the same operand of the NHWC map.
Tensor permuted_operand(const Tensor& t) {
  Shape s = t.shape();
  while (s.size() < 4) s.insert(s.begin(), 1);
  const Shape out_shape = to_nhwc(s);
  Tensor out = Tensor::make(t.dtype(), out_shape);
  const size_t es = dtype_size(t.dtype());
  const auto* src = static_cast<const uint8_t*>(t.raw());
  auto* dst = static_cast<uint8_t*>(out.raw());
  size_t o = 0;
  for (int64_t n = 0; n < s[0]; ++n)
    for (int64_t h = 0; h < s[2]; ++h)
      for (int64_t w = 0; w < s[3]; ++w)
        for (int64_t c = 0; c < s[1]; ++c, o += es)
          std::memcpy(dst + o, src + static_cast<size_t>(((n * s[1] + c) * s[2] + h) * s[3] + w) * es, es);
  return out;
}

}  // namespace tandem::channels_last
