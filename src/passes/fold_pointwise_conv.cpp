// Folds a 1x1 convolution applied to a sum of (resized) 1x1 convolutions into those convolutions.
//
// SegFormer's head computes F(P0(c1) + Up(P1(c2)) + Up(P2(c3)) + Up(P3(c4))) with F and every Pi 1x1 convs
// and Up a bilinear resize. F is linear over channels and Resize (linear or nearest) and Add act on each
// channel alike, so F moves through them and merges with each Pi: (F·Wi) x + F·bi, one conv per scale that
// costs what Pi cost. F itself, the most expensive conv of the head at the finest scale (1.07 of MTNet-B0's
// 6.6 GFLOP at 256x512), disappears. F's bias is added once, on one leaf: interpolation weights sum to one,
// so a constant passes through Resize unchanged. A leaf that is not a private 1x1 conv gets F applied to it
// directly, at its own (coarser) resolution. The rewrite only happens when it lowers the FLOP count and F
// does not widen the tensors (F's outputs <= its inputs), so Resize and Add never get more work.
//
// The new sum adds the resized leaves first and the full-resolution conv leaves last, so that the final Add
// reads a conv output and fuse_conv_activation can take it (and the activation after it) as a residual.
#include <algorithm>
#include <string>
#include <vector>

#include "ops/resize_plan.h"
#include "passes/fusion_match.h"
#include "passes/optimize.h"

namespace tandem {
namespace {

using fusion::constant_value;
using fusion::is_op;
using fusion::sole_consumer;

constexpr size_t kMaxLeaves = 16;

// A plain 1x1 convolution: group 1, unit strides and dilations, no padding, constant float32 weights/bias.
bool is_pointwise_conv(const Node* n) {
  if (!is_op(n, "Conv") || n->num_inputs() < 2) return false;
  const Value* w = n->input(1);
  const Value* b = n->input(2);
  if (!w->is_constant() || w->dtype != DType::kFloat32 || w->shape.size() != 4 || w->shape[2] != 1 ||
      w->shape[3] != 1)
    return false;
  if (b && !b->is_constant()) return false;
  const Attributes& a = n->attrs;
  auto all_equal = [&](const char* name, int64_t v) {
    std::vector<int64_t> xs = a.get_ints(name, {});
    return std::all_of(xs.begin(), xs.end(), [v](int64_t x) { return x == v; });
  };
  std::string auto_pad = a.get_string("auto_pad", "NOTSET");
  return a.get_int("group", 1) == 1 && all_equal("strides", 1) && all_equal("dilations", 1) &&
         all_equal("pads", 0) && (auto_pad == "NOTSET" || auto_pad == "VALID") &&
         n->input(0)->shape.size() == 4 && n->input(0)->shape_is_concrete();
}

// A Resize that samples each channel alike with weights summing to one (nearest or linear, no
// tf_crop_and_resize extrapolation) and keeps batch and channels.
bool is_channelwise_resize(const Graph& graph, const Node* n) {
  if (!is_op(n, "Resize") || !n->input(0)->has_shape || n->input(0)->shape.size() != 4) return false;
  OpContext ctx = make_op_context(graph, *n);
  Result<ResizeConfig> cfg = parse_resize(ctx);
  if (!cfg.is_ok() || cfg->mode == ResizeMode::kCubic || cfg->coord == ResizeCoord::kTfCropAndResize) return false;
  const Shape& in = n->input(0)->shape;
  const Shape& out = n->output(0)->shape;
  return out.size() == 4 && in[0] == out[0] && in[1] == out[1];
}

int64_t spatial(const Value* v) { return v->shape[2] * v->shape[3]; }

// One term of the sum: the summand, the chain of private resizes producing it (last first), and the private
// 1x1 conv F merges with at the chain's start, if there is one.
struct Leaf {
  Value* term = nullptr;
  std::vector<Node*> resizes;
  Node* conv = nullptr;
  Value* conv_input() const { return conv ? conv->input(0) : (resizes.empty() ? term : resizes.back()->input(0)); }
};

// Collects the summands of the Add tree rooted at `v` (every inner Add private to the tree, no broadcasting).
bool collect_terms(const Graph& graph, Value* v, const Shape& shape, std::vector<Value*>& terms,
                   std::vector<Node*>& adds) {
  Node* p = v->producer;
  if (is_op(p, "Add") && p->num_inputs() == 2 && p->input(0)->shape == shape && p->input(1)->shape == shape &&
      (adds.empty() || sole_consumer(graph, v))) {
    adds.push_back(p);
    return collect_terms(graph, p->input(0), shape, terms, adds) &&
           collect_terms(graph, p->input(1), shape, terms, adds);
  }
  terms.push_back(v);
  return terms.size() <= kMaxLeaves;
}

Leaf classify(const Graph& graph, Value* term) {
  Leaf leaf;
  leaf.term = term;
  Value* v = term;
  while (sole_consumer(graph, v)) {
    Node* p = v->producer;
    if (is_channelwise_resize(graph, p)) {
      leaf.resizes.push_back(p);
      v = p->input(0);
    } else {
      if (is_pointwise_conv(p)) leaf.conv = p;
      break;
    }
  }
  return leaf;
}

// Weights F·W (and F·b) of F merged into `conv`, or F alone for a leaf without one; `with_bias` adds F's bias.
std::pair<Tensor, Tensor> merged_weights(const Tensor& f, const Tensor* f_bias, const Node* conv, bool with_bias) {
  const int64_t co = f.shape()[0], cm = f.shape()[1];
  const float* fw = f.data<float>();
  const Tensor* w = conv ? &*conv->input(1)->constant : nullptr;
  const Tensor* b = conv && conv->input(2) ? &*conv->input(2)->constant : nullptr;
  const int64_t ci = w ? w->shape()[1] : cm;
  Tensor wo = Tensor::make(DType::kFloat32, {co, ci, 1, 1});
  Tensor bo = Tensor::make(DType::kFloat32, {co});
  for (int64_t o = 0; o < co; ++o) {
    for (int64_t i = 0; i < ci; ++i) {
      double s = 0;
      if (!w) s = fw[o * cm + i];
      else
        for (int64_t m = 0; m < cm; ++m) s += double(fw[o * cm + m]) * w->data<float>()[m * ci + i];
      wo.data<float>()[o * ci + i] = static_cast<float>(s);
    }
    double s = with_bias && f_bias ? f_bias->data<float>()[o] : 0.0;
    if (b)
      for (int64_t m = 0; m < cm; ++m) s += double(fw[o * cm + m]) * b->data<float>()[m];
    bo.data<float>()[o] = static_cast<float>(s);
  }
  return {wo, bo};
}

Value* shaped_value(Graph& graph, const std::string& hint, const Shape& shape) {
  Value* v = graph.new_value(hint);
  v->dtype = DType::kFloat32;
  v->has_shape = true;
  v->shape = shape;
  return v;
}

bool fold(Graph& graph, Node* f_node) {
  if (!is_pointwise_conv(f_node)) return false;
  Value* x = f_node->input(0);
  if (!sole_consumer(graph, x) || graph.is_graph_output(x)) return false;
  const Tensor& f = *f_node->input(1)->constant;
  const Tensor* f_bias = f_node->input(2) ? &*f_node->input(2)->constant : nullptr;
  const int64_t co = f.shape()[0], cm = f.shape()[1];
  if (co > cm) return false;

  std::vector<Value*> terms;
  std::vector<Node*> adds;
  if (!collect_terms(graph, x, x->shape, terms, adds)) return false;
  std::vector<Leaf> leaves;
  for (Value* t : terms) leaves.push_back(classify(graph, t));
  // A leaf value used twice in the tree (x + x) would be rewritten twice: leave such graphs alone.
  for (size_t i = 0; i < leaves.size(); ++i)
    for (size_t j = i + 1; j < leaves.size(); ++j)
      if (leaves[i].term == leaves[j].term) return false;

  double before = double(co) * cm * spatial(x), after = 0;
  for (const Leaf& l : leaves) {
    int64_t ci = l.conv ? l.conv->input(1)->shape[1] : cm;
    if (l.conv) before += double(cm) * ci * spatial(l.conv->output(0));
    after += double(co) * ci * spatial(l.conv_input());
  }
  if (after >= before) return false;

  // F's bias goes to one leaf, a full-resolution one where there is one.
  size_t bias_leaf = 0;
  for (size_t i = 0; i < leaves.size(); ++i)
    if (leaves[i].resizes.empty()) {
      bias_leaf = i;
      break;
    }
  Value* y = f_node->output(0);
  const bool single = leaves.size() == 1;  // its last node then writes F's output value itself
  std::vector<Value*> resized, direct;
  for (size_t i = 0; i < leaves.size(); ++i) {
    const Leaf& l = leaves[i];
    Value* in = l.conv_input();
    auto [w, b] = merged_weights(f, f_bias, l.conv, i == bias_leaf);
    Shape conv_shape = in->shape;
    conv_shape[1] = co;
    Value* c = single && l.resizes.empty() ? y : shaped_value(graph, f_node->name + "/folded", conv_shape);
    std::string base = l.conv ? l.conv->name : f_node->name;
    graph.add_node("Conv", base + "/folded",
                   {in, constant_value(graph, base + "/W", w), constant_value(graph, base + "/B", b)}, {c});
    // The resizes again, first to last, now on co channels.
    for (size_t k = l.resizes.size(); k-- > 0;) {
      const Node* old = l.resizes[k];
      std::vector<Value*> rin = old->inputs;
      rin[0] = c;
      if (rin.size() > 3 && rin[3] && rin[3]->is_constant()) {  // sizes name the channel count too
        Tensor sizes = rin[3]->constant->clone();
        if (sizes.dtype() == DType::kInt64 && sizes.numel() == 4) sizes.data<int64_t>()[1] = co;
        rin[3] = constant_value(graph, old->name + "/sizes", sizes);
      }
      Shape out_shape = old->output(0)->shape;
      out_shape[1] = co;
      c = single && k == 0 ? y : shaped_value(graph, old->name + "/folded", out_shape);
      graph.add_node("Resize", old->name + "/folded", rin, {c})->attrs = old->attrs;
    }
    (l.resizes.empty() ? direct : resized).push_back(c);
  }

  std::vector<Node*> old{f_node};
  old.insert(old.end(), adds.begin(), adds.end());
  for (const Leaf& l : leaves) {
    old.insert(old.end(), l.resizes.begin(), l.resizes.end());
    if (l.conv) old.push_back(l.conv);
  }
  // For a single leaf the new node already writes F's output (remove_node leaves a value's new producer be).
  for (Node* n : old) graph.remove_node(n);

  std::vector<Value*> sum = resized;
  sum.insert(sum.end(), direct.begin(), direct.end());
  Value* acc = sum[0];
  for (size_t i = 1; i < sum.size(); ++i) {
    Value* out = i + 1 == sum.size() ? y : shaped_value(graph, f_node->name + "/sum", y->shape);
    graph.add_node("Add", f_node->name + "/sum" + std::to_string(i), {acc, sum[i]}, {out});
    acc = out;
  }
  return true;
}

}  // namespace

Status fold_pointwise_conv(Graph& graph) {
  for (Node* n : graph.live_nodes())
    if (!n->dead) fold(graph, n);
  return Status::ok();
}

}  // namespace tandem
