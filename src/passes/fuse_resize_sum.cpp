// Resize-sum fusion (ai.tandem ResizeSum, src/ops/resize_sum.cpp), after fuse_resize_add:
//  1. A chain of FusedResize nodes each adding the next one's result (ending in a FusedResize's other operand,
//     or in a plain Resize), every link read by nothing else and all with the same sampling attributes, becomes
//     one ResizeSum: one pass over the output instead of one per term.
//  2. A float FusedConv whose residual Z is such a sum gives the sum up: the convolution writes its own result,
//     and ResizeSum adds it as Z and applies the conv's activation. A SegFormer-style head (a full-resolution
//     projection plus three upsampled ones, then ReLU) then reads and writes its widest map once; and where the
//     sum feeds an int8 layer, fuse_requantize makes ResizeSum write the int8 map itself.
#include <string>
#include <vector>

#include "ops/activation.h"
#include "passes/fusion_match.h"
#include "passes/optimize.h"

namespace tandem {
namespace {

using fusion::is_op;
using fusion::sole_consumer;

constexpr const char* kSamplingAttrs[] = {"mode", "coordinate_transformation_mode", "nearest_mode", "cubic_coeff_a",
                                          "exclude_outside", "extrapolation_value", "antialias", "keep_aspect_ratio_policy",
                                          "axes"};

bool same_attribute(const Attribute* a, const Attribute* b) {
  if (!a || !b) return a == b;
  return a->kind == b->kind && a->i == b->i && a->f == b->f && a->s == b->s && a->ints == b->ints &&
         a->floats == b->floats && a->strings == b->strings;
}

bool same_sampling(const Node* a, const Node* b) {
  for (const char* k : kSamplingAttrs)
    if (!same_attribute(a->attrs.find(k), b->attrs.find(k))) return false;
  return true;
}

// A float32 Resize (opset 11+ inputs, constant roi/scales/sizes) or FusedResize: one term of a sum.
bool is_term(const Graph& g, const Node* n) {
  if (!(is_op(n, "Resize") && g.opset(kOnnxDomain) >= 11) && !is_op(n, "FusedResize", kTandemDomain)) return false;
  if (!n->input(0) || n->input(0)->dtype != DType::kFloat32) return false;
  for (int i = 1; i < 4; ++i)
    if (n->input(i) && !n->input(i)->is_constant()) return false;
  return true;
}

struct Sum {
  std::vector<Node*> nodes;   // the chain, outermost first
  std::vector<Value*> terms;  // groups of X, roi, scales, sizes
  Value* z = nullptr;         // what the innermost FusedResize adds (null when the chain ends in a Resize)
};

// The chain ending at `top` (a FusedResize), or an empty Sum when it has a single term.
Sum collect(const Graph& g, Node* top) {
  Sum s;
  Node* n = top;
  while (true) {
    s.nodes.push_back(n);
    for (int i = 0; i < 4; ++i) s.terms.push_back(n->input(i));
    if (is_op(n, "Resize")) break;
    Value* z = n->input(4);
    Node* next = z ? z->producer : nullptr;
    if (next && is_term(g, next) && sole_consumer(g, z) == n && same_sampling(next, top)) {
      n = next;
      continue;
    }
    s.z = z;
    break;
  }
  if (s.nodes.size() < 2 || s.nodes.size() > 16) return Sum{};  // ResizeSum takes up to 16 terms
  return s;
}

// The chain as one ResizeSum computing `out`, with the outermost node's sampling attributes.
void make_sum(Graph& g, const Sum& s, Value* out) {
  const Node* top = s.nodes.front();
  std::vector<Value*> inputs{s.z, nullptr};
  inputs.insert(inputs.end(), s.terms.begin(), s.terms.end());
  Attributes attrs;
  for (const char* k : kSamplingAttrs)
    if (const Attribute* a = top->attrs.find(k)) attrs.set(k, *a);
  const std::string name = top->name + "/sum";
  Node* r = fusion::replace_with_node(g, s.nodes, "ResizeSum", name, std::move(inputs), out, kTandemDomain);
  r->attrs = std::move(attrs);
}

// Step 1 on every outermost FusedResize of a chain.
void collapse_chains(Graph& g) {
  for (Node* n : g.live_nodes()) {
    if (n->dead || !is_op(n, "FusedResize", kTandemDomain) || !is_term(g, n)) continue;
    // Outermost: not itself the Z of a FusedResize that will take it.
    Value* out = n->output(0);
    Node* reader = sole_consumer(g, out);
    if (reader && is_op(reader, "FusedResize", kTandemDomain) && reader->input(4) == out && is_term(g, reader) &&
        same_sampling(reader, n))
      continue;
    Sum s = collect(g, n);
    if (s.nodes.empty()) continue;
    make_sum(g, s, out);
  }
}

// Step 2: FusedConv(x, w, b, Z = ResizeSum(...)) with an activation -> ResizeSum(Z = FusedConv(x, w, b)).
void absorb_conv_residuals(Graph& g) {
  for (Node* conv : g.live_nodes()) {
    if (conv->dead || !is_op(conv, "FusedConv", kTandemDomain) || conv->num_inputs() < 4) continue;
    Value* s = conv->input(3);
    Node* sum = s ? s->producer : nullptr;
    if (!is_op(sum, "ResizeSum", kTandemDomain) || sole_consumer(g, s) != conv || sum->input(0) ||
        sum->attrs.has("activation"))
      continue;
    Value* y = conv->output(0);
    if (!y || y->dtype != DType::kFloat32) continue;
    // The conv without residual or activation writes its own value...
    Value* p = fusion::value_like(g, y, y->name + "/conv", y->dtype);
    const std::string act = conv->attrs.get_string("activation", "");
    const std::vector<float> params = conv->attrs.get_floats("activation_params");
    std::vector<Value*> conv_in(conv->inputs.begin(), conv->inputs.begin() + 3);
    Node* plain = fusion::rebuild_node(g, conv, std::move(conv_in), p);
    plain->attrs.erase("activation");
    plain->attrs.erase("activation_params");
    // ...and the sum adds it as Z, then applies the activation.
    std::vector<Value*> inputs = sum->inputs;
    inputs[0] = p;
    Node* r = fusion::rebuild_node(g, sum, std::move(inputs), y);
    if (!act.empty()) r->attrs.set_string("activation", act);
    if (!params.empty()) r->attrs.set_floats("activation_params", params);
  }
}

}  // namespace

Status fuse_resize_sum(Graph& graph) {
  collapse_chains(graph);
  absorb_conv_residuals(graph);
  return Status::ok();
}

}  // namespace tandem
