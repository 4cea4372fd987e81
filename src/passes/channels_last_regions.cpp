// Runs connected stretches of convolutions, pools, resizes and elementwise ops channels-last (NHWC).
//
// oneDNN's fast CPU convolutions (brgconv, the brgemm depthwise kernel) and pools work on NHWC; ONNX tensors are
// NCHW. A conv that reads and writes NCHW reorders its input in and its output back on every run, and on
// MobileNet-style networks those reorders cost more than the convolutions (a depthwise conv ran at 2.7 GFLOP/s,
// mostly reordering). This pass finds each connected region of ops that can work on NHWC data and rewrites it
// to do so, the way ONNX Runtime's NCHWc transformer does: the values inside the region hold NHWC data (their
// shapes permuted to [N, H, W, C]), each op is rewritten to its channels-last equivalent (FusedConv layouts,
// permuted Resize scales, remapped Concat/Split/Reduce axes, permuted broadcast constants, a pool `layout`), and
// a Transpose is inserted only where a value crosses the region's edge. A conv on the edge absorbs the change
// itself (src_layout NCHW, dst_layout NHWC, or the reverse), so most regions need no Transpose at all.
//
// Values keep their names (and get the permuted shape), so calibration scales, the int8 pass and the layer
// report still find them by name; only a graph output keeps its NCHW value and name, fed by a Transpose.
// Which ops a region can hold, and how each op's operands change, is channels_last_ops.h.
#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "ops/nn_conv.h"
#include "passes/channels_last_ops.h"
#include "passes/fusion_match.h"
#include "passes/optimize.h"

namespace tandem {
namespace {

using fusion::is_op;
using namespace channels_last;

class RegionRewriter {
 public:
  explicit RegionRewriter(Graph& g) : g_(g) {}

  Status run() {
    TANDEM_ASSIGN_OR_RETURN(std::vector<Node*> order, g_.topological_order());
    for (Node* n : order) {
      Kind k = classify(g_, n);
      if (k != Kind::kNone) kind_[n] = k;
      if (k == Kind::kConv && n->attrs.get_string("dst_layout", "NCHW") != "NCHW") token_writers_.insert(n);
    }
    for (auto& [n, k] : kind_) parent_[n] = n;
    for (auto& [n, k] : kind_)
      for (int i : data_inputs(n, k)) {
        Node* p = n->input(i) ? n->input(i)->producer : nullptr;
        if (p && kind_.count(p) && !ends_region(p)) unite(n, p);
      }
    // Regions in the order of their first member, each with its members in topological order.
    std::map<Node*, size_t> region_of_root;
    std::vector<std::vector<Node*>> regions;
    for (Node* n : order) {
      if (!kind_.count(n)) continue;
      auto [it, added] = region_of_root.insert({find(n), regions.size()});
      if (added) regions.emplace_back();
      regions[it->second].push_back(n);
    }
    for (const std::vector<Node*>& members : regions) {
      std::set<Node*> member_set(members.begin(), members.end());
      if (worth_converting(members, member_set)) convert(members, member_set);
    }
    return Status::ok();
  }

 private:
  Node* find(Node* n) {
    while (parent_[n] != n) n = parent_[n] = parent_[parent_[n]];
    return n;
  }
  void unite(Node* a, Node* b) { parent_[find(a)] = find(b); }
  // A few-output conv read by Tandem's direct NHWC kernel: it reads the region's map and always writes NCHW, so
  // its readers are not joined to the region through it.
  // So does a conv that writes transformer tokens (its output keeps that layout and its readers).
  bool ends_region(const Node* n) const {
    return token_writers_.count(const_cast<Node*>(n)) ||
           ((is_op(n, "Conv") || is_op(n, "FusedConv", kTandemDomain)) && reads_nhwc_directly(*n));
  }

  // A conv writes NHWC only when a region member reads its output; the other members always do.
  bool writes_nhwc(const Node* n, const Value* v, const std::set<Node*>& members) const {
    if (kind_.at(const_cast<Node*>(n)) != Kind::kConv) return true;
    if (ends_region(n)) return false;
    return std::any_of(v->consumers.begin(), v->consumers.end(), [&](Node* c) { return members.count(c) != 0; });
  }
  bool produced_nhwc(const Value* v, const std::set<Node*>& members) const {
    return v->producer && members.count(v->producer) && writes_nhwc(v->producer, v, members);
  }

  // A region pays off when it needs fewer Transposes at its edges than it holds convs and pools (what NHWC speeds
  // up): each of those would otherwise reorder its input and output itself, and a Transpose costs about one such
  // reorder. Equal counts (one conv behind one Transpose) would only move the reorder, so they stay as they are.
  bool worth_converting(const std::vector<Node*>& members, const std::set<Node*>& member_set) const {
    int anchors = 0;
    std::set<const Value*> transposed_in, transposed_out;
    for (Node* n : members) {
      const Kind k = kind_.at(n);
      anchors += k == Kind::kConv || k == Kind::kPool;
      for (Value* v : n->outputs) {
        if (!v || !writes_nhwc(n, v, member_set)) continue;
        bool outside = g_.is_graph_output(v);
        for (Node* c : v->consumers) outside |= !member_set.count(c);
        if (outside) transposed_out.insert(v);
      }
      for (int i : data_inputs(n, k)) {
        Value* v = n->input(i);
        if (!v || v->is_constant() || is_scalar_value(v) || produced_nhwc(v, member_set) || nhwc_source(v)) continue;
        const bool conv_reads_nchw = k == Kind::kConv && (i == 0 || !writes_nhwc(n, n->output(0), member_set));
        if (!conv_reads_nchw) transposed_in.insert(v);
      }
    }
    return static_cast<int>(transposed_in.size() + transposed_out.size()) < anchors;
  }

  Value* add_transpose(Value* from, const std::vector<int64_t>& perm, Value* to, const std::string& name) {
    Node* t = g_.add_node("Transpose", name, {from}, {to});
    t->attrs.set_ints("perm", perm);
    return to;
  }

  Value* fresh_value(const std::string& name, DType dtype, const Shape& shape) {
    Value* v = g_.find_value(name) ? g_.new_value(name) : g_.value(name);
    v->dtype = dtype;
    v->has_shape = true;
    v->shape = shape;
    return v;
  }

  // The NHWC value `v` was transposed from, when its producer is exactly that Transpose (a transformer's tokens
  // turned into an NCHW map): a member reads the source and the two transposes cancel.
  static Value* nhwc_source(const Value* v) {
    const Node* p = v->producer;
    if (!is_op(p, "Transpose") || p->attrs.get_ints("perm") != kPermToNchw) return nullptr;
    Value* source = p->input(0);
    return source->has_shape && source->shape == to_nhwc(v->shape) ? source : nullptr;
  }

  // `v` as NHWC data for a member to read: the member-made value itself, a permuted constant, the NHWC value it
  // was transposed from, or a new Transpose.
  Value* nhwc_of(Value* v) {
    auto it = nhwc_.find(v);
    if (it != nhwc_.end()) return it->second;
    Value* out = v;
    if (v->is_constant()) {
      out = fusion::constant_value(g_, v->name + "/nhwc", permuted_operand(*v->constant));
    } else if (Value* source = nhwc_source(v)) {
      out = source;
    } else if (!is_scalar_value(v)) {
      out = add_transpose(v, kPermToNhwc, fresh_value(v->name + "/nhwc", v->dtype, to_nhwc(v->shape)),
                          v->name + "/to_nhwc");
    }
    nhwc_[v] = out;
    return out;
  }

  // `v`, a member-made NHWC value, as NCHW for a reader outside the region (one Transpose, shared).
  Value* nchw_of(Value* v) {
    if (kept_outputs_.count(v)) return v;
    auto it = nchw_.find(v);
    if (it != nchw_.end()) return it->second;
    Value* out = fresh_value(v->name + "/nchw", v->dtype, original_shape_.at(v));
    add_transpose(v, kPermToNchw, out, v->name + "/to_nchw");
    nchw_[v] = out;
    return out;
  }

  void convert(const std::vector<Node*>& members, const std::set<Node*>& member_set) {
    // 1. Which member outputs hold NHWC data, decided before anything changes.
    std::vector<std::pair<Node*, int>> nhwc_outputs;
    for (Node* n : members)
      for (int o = 0; o < static_cast<int>(n->outputs.size()); ++o)
        if (n->output(o) && writes_nhwc(n, n->output(o), member_set)) nhwc_outputs.push_back({n, o});
    std::set<Value*> region_values;
    for (auto [n, o] : nhwc_outputs) region_values.insert(n->output(o));

    // 2. Rewire the member inputs (reading the old values, before their shapes change).
    for (Node* n : members) rewrite_inputs(n, region_values);

    // 3. Permute the region's values in place; readers outside get an NCHW copy. A graph output keeps its
    //    value (name and shape): the member writes a new NHWC value that a Transpose turns back into it.
    for (auto [n, o] : nhwc_outputs) {
      Value* v = n->output(o);
      if (g_.is_graph_output(v)) {
        Value* inner = fresh_value(v->name + "/nhwc", v->dtype, to_nhwc(v->shape));
        for (Node* c : std::vector<Node*>(v->consumers))
          if (member_set.count(c))
            for (int i = 0; i < c->num_inputs(); ++i)
              if (c->input(i) == v) g_.set_node_input(c, i, inner);
        n->outputs[static_cast<size_t>(o)] = inner;
        inner->producer = n;
        v->producer = nullptr;
        add_transpose(inner, kPermToNchw, v, v->name + "/to_nchw");
        kept_outputs_.insert(v);
        // The member now writes `inner`: step 4 must see that output as NHWC (a conv's dst_layout follows it).
        region_values.insert(inner);
        continue;
      }
      original_shape_[v] = v->shape;
      std::vector<std::pair<Node*, int>> outside;
      for (Node* c : v->consumers)
        if (!member_set.count(c))
          for (int i = 0; i < c->num_inputs(); ++i)
            if (c->input(i) == v) outside.push_back({c, i});
      v->shape = to_nhwc(v->shape);
      if (!outside.empty()) {
        Value* copy = nchw_of(v);
        for (auto [c, i] : outside) g_.set_node_input(c, i, copy);
      }
    }

    // 4. The ops themselves.
    for (Node* n : members) rewrite_op(n, region_values);
  }

  void rewrite_inputs(Node* n, const std::set<Value*>& region_values) {
    const Kind k = kind_.at(n);
    const bool conv_dst_nhwc = k == Kind::kConv && region_values.count(n->output(0));
    for (int i : data_inputs(n, k)) {
      Value* v = n->input(i);
      if (!v) continue;
      const bool nhwc_now = region_values.count(v) != 0;
      if (k == Kind::kConv) {
        // X: the conv reads either layout. Z follows the destination's layout.
        const bool want_nhwc = i == 0 ? nhwc_now : conv_dst_nhwc;
        if (i == 0 && want_nhwc) n->attrs.set_string("src_layout", "NHWC");
        if (want_nhwc && !nhwc_now) g_.set_node_input(n, i, nhwc_of(v));
        if (!want_nhwc && nhwc_now) pending_nchw_.push_back({n, i, v});
        continue;
      }
      if (!nhwc_now) g_.set_node_input(n, i, nhwc_of(v));
    }
  }

  void rewrite_op(Node* n, const std::set<Value*>& region_values) {
    // A conv's Z whose producer now writes NHWC while this conv writes NCHW: read the shared NCHW copy.
    for (auto it = pending_nchw_.begin(); it != pending_nchw_.end();) {
      if (it->node == n) {
        g_.set_node_input(n, it->input, nchw_of(it->value));
        it = pending_nchw_.erase(it);
      } else {
        ++it;
      }
    }
    switch (kind_.at(n)) {
      case Kind::kConv: {
        if (!token_writers_.count(n))
          n->attrs.set_string("dst_layout", region_values.count(n->output(0)) ? "NHWC" : "NCHW");
        if (n->op_type == "Conv") {
          Attributes attrs = n->attrs;
          Node* fused = fusion::replace_with_node(g_, {n}, "FusedConv", n->name + "/fused_conv", n->inputs,
                                                  n->output(0), kTandemDomain);
          fused->attrs = std::move(attrs);
        }
        break;
      }
      case Kind::kPool:
        n->attrs.set_string("layout", "NHWC");
        // An unused Indices output (single_output checked it) has no NHWC form.
        for (size_t o = 1; o < n->outputs.size(); ++o)
          if (n->outputs[o]) n->outputs[o]->producer = nullptr;
        n->outputs.resize(1);
        break;
      case Kind::kQdqPerAxis:
        n->attrs.set_int("axis", 3);
        break;
      case Kind::kConcat:
      case Kind::kSplit:
        n->attrs.set_int("axis", kNhwcAxis[normalized_axis(n->attrs.get_int("axis", 0), 4)]);
        break;
      case Kind::kResize:
        rewrite_resize(n);
        break;
      case Kind::kReduce:
        rewrite_reduce(n);
        break;
      default:
        break;
    }
  }

  // Scales / sizes [a, b, c, d] -> [a, c, d, b]; roi's starts and ends alike.
  void rewrite_resize(Node* n) {
    for (int i = 1; i < n->num_inputs(); ++i) {
      Value* v = n->input(i);
      if (!v || v->constant->numel() == 0) continue;
      const Tensor& t = *v->constant;
      const int64_t halves = i == 1 && g_.opset() >= 11 ? 2 : 1;  // roi (opset 11+): starts then ends
      if (t.numel() != 4 * halves) continue;
      Tensor p = t.clone();
      const size_t es = dtype_size(t.dtype());
      for (int64_t h = 0; h < halves; ++h)
        for (int64_t a = 0; a < 4; ++a)
          std::memcpy(static_cast<uint8_t*>(p.raw()) + static_cast<size_t>(h * 4 + kNhwcAxis[a]) * es,
                      static_cast<const uint8_t*>(t.raw()) + static_cast<size_t>(h * 4 + a) * es, es);
      g_.set_node_input(n, i, fusion::constant_value(g_, v->name + "/nhwc", std::move(p)));
    }
  }

  void rewrite_reduce(Node* n) {
    std::vector<int64_t> axes;
    bool from_input = false;
    reduce_axes(n, axes, from_input);
    if (axes.empty()) return;  // all axes: the same in any layout
    for (int64_t& a : axes) a = kNhwcAxis[normalized_axis(a, 4)];
    if (from_input)
      g_.set_node_input(n, 1,
                        fusion::constant_value(g_, n->input(1)->name + "/nhwc",
                                 Tensor::from_vector<int64_t>({static_cast<int64_t>(axes.size())}, axes)));
    else
      n->attrs.set_ints("axes", axes);
  }

  Graph& g_;
  std::map<Node*, Kind> kind_;
  std::set<Node*> token_writers_;  // convs that write transformer tokens (dst_layout NHWC before the pass)
  std::map<Node*, Node*> parent_;
  std::map<Value*, Value*> nhwc_, nchw_;
  std::map<Value*, Shape> original_shape_;
  std::set<Value*> kept_outputs_;  // graph outputs: NCHW themselves, fed by a Transpose of their NHWC twin
  struct PendingInput {
    Node* node;
    int input;
    Value* value;  // the region value it must read as NCHW
  };
  std::vector<PendingInput> pending_nchw_;
};

}  // namespace

Status channels_last_regions(Graph& graph) { return RegionRewriter(graph).run(); }

}  // namespace tandem
