// Lets 2-D convolutions read and write channels-last tensors in place of the Transpose/Reshape chains around
// them. Transformer blocks hold feature maps as tokens [N, H*W, C], which is NHWC memory; SegFormer turns them
// into NCHW for every conv (Mix-FFN's depthwise conv, the sequence-reduction conv, the patch embeddings) and
// back afterwards: two full transposes per conv. oneDNN convolves NHWC natively, so the conv becomes a
// FusedConv with src_layout / dst_layout = NHWC reading the tokens through a free Reshape, and the
// transposes fall away.
//
// Whether a chain is such a layout change is decided exactly, not by pattern: the chain is evaluated at build
// time on a tensor of element indices and compared with the NHWC <-> NCHW index map. Any mix of Reshape,
// Transpose, Squeeze, Unsqueeze and Flatten that amounts to it is recognised, and nothing else is.
#include <string>
#include <vector>

#include "ops/op_registry.h"
#include "passes/fusion_match.h"
#include "passes/optimize.h"

namespace tandem {
namespace {

using fusion::is_data_movement;
using fusion::is_op;
using fusion::sole_consumer;

constexpr size_t kMaxChain = 6;

// Runs data-movement `chain` (in graph order) on `start`, reusing each node's constant operands.
// Data movement only copies elements, so int32 indices pass through as float32 bit patterns unchanged.
Result<Tensor> run_chain(const Graph& graph, const std::vector<Node*>& chain, Tensor start) {
  Tensor cur = std::move(start);
  for (Node* n : chain) {
    const OpSchema* schema = OpRegistry::global().find(n->domain, n->op_type);
    TANDEM_CHECK_OR_RETURN(schema, kInternal, "%s: no schema", n->describe().c_str());
    OpContext ctx = make_op_context(graph, *n);
    std::vector<Tensor> in{cur};
    for (int i = 1; i < n->num_inputs(); ++i) in.push_back(n->input(i) ? *n->input(i)->constant : Tensor());
    TANDEM_ASSIGN_OR_RETURN(std::vector<Tensor> out, evaluate_reference(*schema, ctx, in));
    cur = out[0];
  }
  return cur;
}

Tensor index_tensor(const Shape& shape) {
  Tensor t = Tensor::make(DType::kInt32, shape);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<int32_t>()[i] = static_cast<int32_t>(i);
  return t.bitcast(DType::kFloat32);
}

// True when `got` (indices into an NHWC [n,h,w,c] tensor, laid out as NCHW) is exactly the NHWC -> NCHW
// transpose, or with `inverse` when `got` (indices into NCHW, laid out as NHWC) is NCHW -> NHWC.
bool is_layout_change(const Tensor& got, int64_t n, int64_t c, int64_t h, int64_t w, bool inverse) {
  const int32_t* g = got.bitcast(DType::kInt32).data<int32_t>();
  int64_t i = 0;
  for (int64_t b = 0; b < n; ++b)
    for (int64_t outer = 0; outer < (inverse ? h * w : c); ++outer)
      for (int64_t inner = 0; inner < (inverse ? c : h * w); ++inner, ++i) {
        int64_t ch = inverse ? inner : outer, pos = inverse ? outer : inner;
        int64_t want = inverse ? (b * c + ch) * h * w + pos : (b * h * w + pos) * c + ch;
        if (g[i] != want) return false;
      }
  return true;
}

bool movable_chain_node(const Node* n) {
  if (!is_data_movement(n) || n->outputs.size() != 1) return false;
  for (int i = 1; i < n->num_inputs(); ++i)
    if (n->input(i) && !n->input(i)->is_constant()) return false;
  return n->input(0)->shape_is_concrete() && n->input(0)->dtype == DType::kFloat32;
}

// The furthest value up X's producer chain whose memory is X in NHWC order, or nullptr.
Value* channels_last_source(const Graph& graph, Value* x) {
  std::vector<Node*> chain;  // bottom-up
  Value* best = nullptr;
  const Shape& s = x->shape;
  for (Value* v = x; v->producer && movable_chain_node(v->producer) && chain.size() < kMaxChain;) {
    chain.push_back(v->producer);
    v = v->producer->input(0);
    std::vector<Node*> down(chain.rbegin(), chain.rend());
    Result<Tensor> got = run_chain(graph, down, index_tensor(v->shape));
    if (got.is_ok() && is_layout_change(*got, s[0], s[1], s[2], s[3], false)) best = v;
  }
  return best;
}

// The furthest value down Y's private consumer chain that holds Y in NHWC order (nodes in `chain`), or nullptr.
Value* channels_last_sink(const Graph& graph, Value* y, std::vector<Node*>& chain) {
  std::vector<Node*> walk;
  Value* best = nullptr;
  const Shape& s = y->shape;
  for (Value* v = y; walk.size() < kMaxChain;) {
    Node* next = sole_consumer(graph, v);
    if (!next || !movable_chain_node(next) || next->input(0) != v) break;
    walk.push_back(next);
    v = next->output(0);
    Result<Tensor> got = run_chain(graph, walk, index_tensor(y->shape));
    if (got.is_ok() && is_layout_change(*got, s[0], s[1], s[2], s[3], true)) {
      best = v;
      chain = walk;
    }
  }
  return best;
}

Value* new_float_value(Graph& graph, const std::string& hint, const Shape& shape) {
  Value* v = graph.new_value(hint);
  v->dtype = DType::kFloat32;
  v->has_shape = true;
  v->shape = shape;
  return v;
}

// A Reshape of `v` to `shape` (aliasing: free at run time).
Value* reshaped(Graph& graph, Value* v, const Shape& shape, const std::string& name) {
  if (v->shape == shape) return v;
  Value* s = fusion::constant_value(graph, name + "/shape",
                                     Tensor::from_vector<int64_t>({static_cast<int64_t>(shape.size())}, shape));
  Value* out = new_float_value(graph, name, shape);
  graph.add_node("Reshape", name, {v, s}, {out});
  return out;
}

bool convert(Graph& graph, Node* conv) {
  const bool fused = is_op(conv, "FusedConv", kTandemDomain);
  if (!is_op(conv, "Conv") && !fused) return false;
  if (conv->attrs.get_string("src_layout", "NCHW") != "NCHW" || conv->attrs.get_string("dst_layout", "NCHW") != "NCHW")
    return false;
  Value* x = conv->input(0);
  Value* y = conv->output(0);
  if (x->shape.size() != 4 || x->dtype != DType::kFloat32 || !y->shape_is_concrete()) return false;
  Value* source = channels_last_source(graph, x);
  std::vector<Node*> sink_chain;
  // A residual Z would have to change layout too; keep such convs' outputs channels-first.
  Value* sink = conv->num_inputs() > 3 && conv->input(3) ? nullptr : channels_last_sink(graph, y, sink_chain);
  if (!source && !sink) return false;

  std::vector<Value*> inputs = conv->inputs;
  Attributes attrs = conv->attrs;
  if (source) {
    inputs[0] = reshaped(graph, source, {x->shape[0], x->shape[2], x->shape[3], x->shape[1]}, conv->name + "/nhwc_in");
    attrs.set_string("src_layout", "NHWC");
  }
  Value* out = y;
  if (sink) {
    out = new_float_value(graph, conv->name + "/nhwc_out", {y->shape[0], y->shape[2], y->shape[3], y->shape[1]});
    attrs.set_string("dst_layout", "NHWC");
  }
  std::string name = conv->name + (fused ? "" : "/fused_conv");
  Node* replacement = fusion::replace_with_node(graph, {conv}, "FusedConv", name, inputs, out, kTandemDomain);
  replacement->attrs = std::move(attrs);
  if (sink) {
    for (Node* n : sink_chain) graph.remove_node(n);
    Value* shape = fusion::constant_value(
        graph, name + "/tokens_shape",
        Tensor::from_vector<int64_t>({static_cast<int64_t>(sink->shape.size())}, sink->shape));
    graph.add_node("Reshape", name + "/tokens", {out, shape}, {sink});
  }
  return true;
}

}  // namespace

Status conv_channels_last(Graph& graph) {
  for (Node* n : graph.live_nodes())
    if (!n->dead) convert(graph, n);
  return Status::ok();
}

}  // namespace tandem
