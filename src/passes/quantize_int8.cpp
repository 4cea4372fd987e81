// Post-training int8 quantisation of a (fused) float graph, as TensorRT's implicit int8 mode does: every
// convolution, and every matrix product with constant weights, whose input has a calibrated scale becomes its
// Int8 form. Its input is quantised once per tensor (one QuantizeLinear shared by all readers; none at all when
// the tensor already arrives as int8 through a DequantizeLinear, as from an int8 stage boundary or a Q/DQ
// model); its weights are quantised per output channel at build time (symmetric, amax / 127). Results are
// float (dequantised), so bias, residual, activation and every other op (Add, LayerNorm, attention) run in
// float: where int8 would cost accuracy it is simply not used. Where a result is only quantised again for the
// next int8 layer (directly or through a Resize), fuse_requantize then makes the convolution emit int8.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "ops/nn_conv.h"
#include "passes/fusion_match.h"
#include "passes/optimize.h"
#include "passes/specialize.h"

namespace tandem {
namespace {

using fusion::is_data_movement;
using fusion::constant_value;
using fusion::is_op;

// Per-channel symmetric int8: scale[c] = amax[c] / 127 over the channel's weights (a zero channel gets a tiny
// scale so nothing divides by zero; its weights quantise to 0 either way).
struct QuantizedWeights {
  Tensor q, scale;
};
QuantizedWeights quantize_weights(const Tensor& w, bool channel_is_last) {
  const int64_t total = w.numel();
  const int64_t channels = channel_is_last ? w.shape().back() : w.shape().front();
  const int64_t inner = channel_is_last ? 1 : total / channels;
  auto channel_of = [&](int64_t i) { return (i / inner) % channels; };
  std::vector<float> amax(static_cast<size_t>(channels), 0.0f);
  for (int64_t i = 0; i < total; ++i) {
    float& a = amax[static_cast<size_t>(channel_of(i))];
    a = std::max(a, std::fabs(w.data<float>()[i]));
  }
  QuantizedWeights out{Tensor::make(DType::kInt8, w.shape()), Tensor::make(DType::kFloat32, {channels})};
  for (int64_t c = 0; c < channels; ++c)
    out.scale.data<float>()[c] = amax[static_cast<size_t>(c)] > 0 ? amax[static_cast<size_t>(c)] / 127.0f : 1e-12f;
  for (int64_t i = 0; i < total; ++i) {
    float v = std::nearbyint(w.data<float>()[i] / out.scale.data<float>()[channel_of(i)]);
    v = v == v ? v : 0.0f;  // a NaN weight (a hostile model's) quantises to 0: casting NaN would be undefined
    out.q.data<int8_t>()[i] = static_cast<int8_t>(std::clamp(v, -127.0f, 127.0f));
  }
  return out;
}

bool activation_non_negative(const Node* n) {
  const std::string a = n->attrs.get_string("activation", "None");
  if (a == "Relu" || a == "Sigmoid" || a == "HardSigmoid") return true;
  if (a == "Clip") {
    std::vector<float> p = n->attrs.get_floats("activation_params");
    return !p.empty() && p[0] >= 0.0f;
  }
  return false;
}

bool constant_non_negative(const Value* v) {
  if (v->constant->dtype() != DType::kFloat32) return false;
  for (int64_t i = 0; i < v->constant->numel(); ++i)
    if (v->constant->data<float>()[i] < 0) return false;
  return true;
}

// A cheap range analysis: values certainly >= 0 (after ReLU-like activations, through ops that keep sign).
bool non_negative(const Value* v, int depth = 0) {
  const Node* p = v->producer;
  if (!p || depth > 16) return false;
  if (is_op(p, "Relu") || is_op(p, "Sigmoid") || is_op(p, "Softmax")) return true;
  if (is_op(p, "FusedConv", kTandemDomain) || is_op(p, "FusedConvInt8", kTandemDomain) ||
      is_op(p, "FusedMatMul", kTandemDomain) || is_op(p, "FusedMatMulInt8", kTandemDomain))
    return activation_non_negative(p);
  // Q/DQ with a zero zero point keeps the sign (an explicit-quantisation model's activations).
  if (is_op(p, "DequantizeLinear") || is_op(p, "QuantizeLinear")) {
    const Value* zp = p->input(2);
    if (zp && (!zp->is_constant() || zp->constant->numel() != 1 || zp->constant->int_at(0) != 0)) return false;
    return non_negative(p->input(0), depth + 1);
  }
  if (is_data_movement(p) || is_op(p, "MaxPool") || is_op(p, "AveragePool") || is_op(p, "GlobalAveragePool"))
    return non_negative(p->input(0), depth + 1);
  if (is_op(p, "Resize")) return p->attrs.get_string("mode", "nearest") != "cubic" && non_negative(p->input(0), depth + 1);
  if (is_op(p, "ResizeSum", kTandemDomain) && activation_non_negative(p)) return true;
  // Resize(X) + Z (fuse_resize_add): both parts non-negative.
  if (is_op(p, "FusedResize", kTandemDomain))
    return p->attrs.get_string("mode", "nearest") != "cubic" && non_negative(p->input(0), depth + 1) &&
           non_negative(p->input(4), depth + 1);
  if (is_op(p, "Add") || is_op(p, "Mul") || is_op(p, "Concat")) {
    for (const Value* in : p->inputs)
      if (in && !(in->is_constant() ? constant_non_negative(in) : non_negative(in, depth + 1))) return false;
    return true;
  }
  return false;
}

class Quantizer {
 public:
  Quantizer(Graph& g, const Int8Options& o) : g_(g), o_(o) {}

  void run() {
    for (Node* n : g_.live_nodes()) {
      if (n->dead) continue;
      const bool conv = is_op(n, "Conv") || is_op(n, "FusedConv", kTandemDomain);
      const bool matmul = is_op(n, "MatMul") || is_op(n, "FusedMatMul", kTandemDomain);
      if (!conv && !matmul) continue;
      if (o_.keep_float.count(n->name) || o_.keep_float.count(n->op_type)) {
        note(n, "kept in float by an override");
        continue;
      }
      if (conv && prefers_direct_nchw_conv(*n) && n->attrs.get_string("src_layout", "NCHW") != "NHWC") {
        // TensorRT keeps a layer in float where that kernel is faster; so does this pass, for the one such case.
        // (Tandem's direct NCHW kernel has an int8 form, for Q/DQ models, but it dequantises every row it reads:
        // MTNet's 16 -> 1 depth output conv took 3.1 ms in it against 1.8 ms in float. The NHWC one widens each
        // 16 bytes once per tap and reads a quarter of the bytes, so channels-last ones become int8.)
        note(n, "kept in float: Tandem's direct float kernel is faster than int8 here (few output channels)");
        continue;
      }
      if (conv) quantize(n, /*conv=*/true);
      else if (o_.matmul) quantize(n, /*conv=*/false);
    }
  }
  std::vector<std::string>& report() { return report_; }

 private:
  void note(const Node* n, const std::string& why) { report_.push_back(n->describe() + ": " + why); }

  // The calibrated scale of `v`, looking through data movement (which changes no value).
  const float* scale_of(const Value* v) const {
    for (int depth = 0; v && depth < 8; ++depth) {
      auto it = o_.scales.find(v->name);
      if (it != o_.scales.end()) return &it->second;
      if (!v->producer || !is_data_movement(v->producer)) break;
      v = v->producer->input(0);
    }
    return nullptr;
  }

  // x as int8 with its scale: an existing int8 tensor behind a DequantizeLinear, or a (shared) new Quantize.
  bool int8_input(Value* x, Value*& xq, Value*& scale) {
    const Node* p = x->producer;
    if (is_op(p, "DequantizeLinear") && p->input(0)->dtype == DType::kInt8 && p->input(1)->is_constant() &&
        p->input(1)->constant->numel() == 1 &&
        (!p->input(2) || (p->input(2)->is_constant() && p->input(2)->constant->int_at(0) == 0))) {
      xq = p->input(0);
      scale = p->input(1);
      return true;
    }
    auto cached = quantized_.find(x);
    if (cached != quantized_.end()) {
      xq = cached->second.first;
      scale = cached->second.second;
      return true;
    }
    if (o_.explicit_only) return false;
    const float* s = scale_of(x);
    if (!s) return false;
    scale = constant_value(g_, x->name + "/scale", Tensor::scalar<float>(*s));
    Value* zero = constant_value(g_, x->name + "/zero_point", Tensor::scalar<int8_t>(0));
    xq = fusion::value_like(g_, x, x->name + "/int8", DType::kInt8);
    g_.add_node("QuantizeLinear", x->name + "/quantize", {x, scale, zero}, {xq});
    quantized_[x] = {xq, scale};
    return true;
  }

  void quantize(Node* n, bool conv) {
    if (!int8_quantizable(*n)) return;
    Value* x = n->input(0);
    Value* w = n->input(1);
    Value *xq = nullptr, *xs = nullptr;
    if (!int8_input(x, xq, xs)) {
      if (!o_.explicit_only) note(n, "kept in float: no calibration scale for its input '" + x->name + "'");
      return;
    }
    QuantizedWeights qw = quantize_weights(*w->constant, /*channel_is_last=*/!conv);
    std::vector<Value*> inputs{xq, xs, constant_value(g_, w->name + "/int8", qw.q),
                               constant_value(g_, w->name + "/scale", qw.scale)};
    for (int i = 2; i < n->num_inputs(); ++i) inputs.push_back(n->input(i));  // bias, residual
    Attributes attrs = n->attrs;
    if (non_negative(x)) attrs.set_int("x_unsigned", 1);
    Value* y = n->output(0);
    const std::string name = n->name + "/int8";
    Node* q = fusion::replace_with_node(g_, {n}, conv ? "FusedConvInt8" : "FusedMatMulInt8", name, inputs, y,
                                        kTandemDomain);
    q->attrs = std::move(attrs);
    ++quantized_nodes_;
  }

  Graph& g_;
  const Int8Options& o_;
  std::map<const Value*, std::pair<Value*, Value*>> quantized_;
  std::vector<std::string> report_;
  int quantized_nodes_ = 0;
};

}  // namespace

bool int8_quantizable(const Node& n, bool matmul) {
  const bool conv = is_op(&n, "Conv") || is_op(&n, "FusedConv", kTandemDomain);
  const bool mm = matmul && (is_op(&n, "MatMul") || is_op(&n, "FusedMatMul", kTandemDomain));
  if (!conv && !mm) return false;
  const Value* x = n.input(0);
  const Value* w = n.input(1);
  if (!x || x->dtype != DType::kFloat32 || !w || !w->is_constant() || w->dtype != DType::kFloat32) return false;
  if (conv) return w->shape.size() == 4;
  return w->shape.size() == 2 && (!n.input(2) || n.input(2)->is_constant());
}

Status quantize_int8(Graph& graph, const Int8Options& options, std::vector<std::string>* report) {
  Quantizer q(graph, options);
  q.run();
  if (report) *report = std::move(q.report());
  if (options.requantize) TANDEM_RETURN_IF_ERROR(fuse_requantize(graph, options.scales));
  eliminate_dead_code(graph);
  return graph.topological_order().status();
}

}  // namespace tandem
