// Requantisation fusion, the int8 dataflow TensorRT builds between int8 layers: an int8 convolution whose float
// result is only quantised again (QuantizeLinear at the next layer's input scale), directly or through Resizes,
// emits that int8 tensor itself (FusedConvInt8's Y_scale) and the Resizes run on int8. The float map between the
// two convolutions -- four times the bytes of the int8 one, written and read at full resolution in a decoder --
// is gone, and so is the quantize pass over it. A ResizeSum read only by a QuantizeLinear quantises as it stores
// in the same way. Runs after quantize_int8, which places the QuantizeLinear nodes.
//
// Scales: directly, the result is quantised at the reading layer's input scale, as the QuantizeLinear did.
// Through Resizes the convolution's own calibrated output scale is used when it is the larger one, and the
// readers' X_scale changes with it, as TensorRT propagates one scale through a resize: quantising at the
// resized map's smaller scale would clip the convolution's peaks before the blend that lowers them (measured
// on a conv -> ReLU -> x2 bilinear -> conv graph: 4.8 % of the peak against 1.1 % unfused; at the larger scale
// the blend is rounded twice, half a step more than the float path).
#include <map>
#include <string>
#include <vector>

#include "ops/fused_int8.h"
#include "passes/fusion_match.h"
#include "passes/optimize.h"

namespace tandem {
namespace {

using fusion::is_op;
using fusion::sole_consumer;

// QuantizeLinear to int8 with one constant float scale and a zero point of 0: the form the int8 pass and the
// stage boundaries make, and what a symmetric Q/DQ model carries.
const Value* symmetric_int8_scale(const Node* q) {
  const Value* s = q->input(1);
  const Value* zp = q->input(2);
  if (!s || !s->is_constant() || s->dtype != DType::kFloat32 || s->constant->numel() != 1) return nullptr;
  if (!zp || !zp->is_constant() || zp->dtype != DType::kInt8 || zp->constant->numel() != 1 ||
      zp->constant->int_at(0) != 0)
    return nullptr;
  return s;
}

}  // namespace

// A Resize whose int8 form computes the same blend: nearest or linear (cubic overshoots and would saturate),
// no extrapolation, only X computed at run time.
bool int8_resizable(const Node* n) {
  if (!is_op(n, "Resize") || n->attrs.get_string("mode", "nearest") == "cubic") return false;
  if (n->attrs.get_string("coordinate_transformation_mode", "") == "tf_crop_and_resize") return false;
  for (int i = 1; i < n->num_inputs(); ++i)
    if (n->input(i) && !n->input(i)->is_constant()) return false;
  return true;
}

namespace {

// Every reader of `v` an int8 layer taking it as X, whose X_scale can follow v's scale.
bool read_only_as_int8_x(const Graph& g, const Value* v) {
  if (g.is_graph_output(v) || v->consumers.empty()) return false;
  for (const Node* n : v->consumers)
    if (!(is_op(n, "FusedConvInt8", kTandemDomain) || is_op(n, "FusedMatMulInt8", kTandemDomain)) ||
        n->input(kInt8X) != v || n->input(kInt8XScale) == v)
      return false;
  return true;
}

bool fuse(Graph& g, Node* q, const std::map<std::string, float>& scales) {
  if (!is_op(q, "QuantizeLinear")) return false;
  Value* scale = const_cast<Value*>(symmetric_int8_scale(q));
  if (!scale) return false;
  // Back from the quantised tensor through private Resizes to the convolution.
  std::vector<Node*> resizes;  // nearest the QuantizeLinear first
  const Node* reader = q;
  Value* v = q->input(0);
  while (v && sole_consumer(g, v) == reader && int8_resizable(v->producer)) {
    resizes.push_back(v->producer);
    reader = v->producer;
    v = v->producer->input(0);
  }
  Node* conv = v ? v->producer : nullptr;
  if (resizes.empty() && is_op(conv, "ResizeSum", kTandemDomain) && sole_consumer(g, v) == q && !conv->input(1)) {
    // A sum of resized maps (ResizeSum) quantises as it stores, like a convolution.
    Value* out = q->output(0);
    g.remove_node(q);
    std::vector<Value*> inputs = conv->inputs;
    inputs[1] = scale;
    fusion::rebuild_node(g, conv, std::move(inputs), out);
    return true;
  }
  if (!is_op(conv, "FusedConvInt8", kTandemDomain) || sole_consumer(g, v) != reader) return false;
  if (conv->input(kInt8Residual) || conv->input(kInt8YScale)) return false;  // oneDNN's sum needs a float dst
  Value* out = q->output(0);
  if (!resizes.empty()) {
    auto own = scales.find(v->name);
    if (own == scales.end() || !read_only_as_int8_x(g, out)) return false;
    if (own->second > scale->constant->data<float>()[0]) {
      scale = fusion::constant_value(g, v->name + "/scale", Tensor::scalar<float>(own->second));
      for (Node* reader : std::vector<Node*>(out->consumers)) g.set_node_input(reader, kInt8XScale, scale);
    }
  }

  g.remove_node(q);
  std::vector<Value*> inputs = conv->inputs;
  inputs.resize(kInt8YScale + 1, nullptr);
  inputs[kInt8YScale] = scale;
  Value* y = resizes.empty() ? out : fusion::value_like(g, v, v->name + "/int8", DType::kInt8);
  fusion::rebuild_node(g, conv, std::move(inputs), y);
  for (size_t i = resizes.size(); i-- > 0;) {
    Node* r = resizes[i];
    Value* o = i == 0 ? out : fusion::value_like(g, r->output(0), r->output(0)->name + "/int8", DType::kInt8);
    std::vector<Value*> rin = r->inputs;
    rin[0] = y;
    fusion::rebuild_node(g, r, std::move(rin), o);
    y = o;
  }
  return true;
}

}  // namespace

Status fuse_requantize(Graph& graph, const std::map<std::string, float>& scales) {
  for (Node* n : graph.live_nodes())
    if (!n->dead) fuse(graph, n, scales);
  return Status::ok();
}

}  // namespace tandem
