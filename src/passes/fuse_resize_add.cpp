// Resize + Add fusion: Add(Resize(X), Z), where nothing else reads the resized map, into one ai.tandem FusedResize
// that adds Z as it stores each output, sparing a write and a read of the resized map (a SegFormer head sums three
// maps upsampled to 1/4 resolution this way). Runs after channels_last_regions, so it sees the final layouts and
// that pass never meets a FusedResize. Tandem has no Sum op, so only Add is matched.
#include <vector>

#include "passes/fusion_match.h"
#include "passes/optimize.h"

namespace tandem {
namespace {

using fusion::is_op;
using fusion::other_operand;
using fusion::sole_consumer;

// A float32 Resize with the opset 11+ inputs (X, roi, scales, sizes), all but X constant, whose output only
// `reader` reads: FusedResize takes those inputs as they are.
bool is_private_resize(const Graph& graph, const Node* n, const Node* reader) {
  if (!is_op(n, "Resize") || graph.opset(kOnnxDomain) < 11 || n->num_inputs() > 4) return false;
  const Value* x = n->input(0);
  const Value* y = n->output(0);
  if (!x || !y || x->dtype != DType::kFloat32 || y->dtype != DType::kFloat32 || !y->has_shape) return false;
  for (int i = 1; i < n->num_inputs(); ++i)
    if (n->input(i) && !n->input(i)->is_constant()) return false;
  return sole_consumer(graph, y) == reader;
}

// Add(a, b) with a (else b) a private Resize and the other operand exactly the output's shape and dtype, so no
// operand is broadcast. Returns whether it fused.
bool fuse(Graph& graph, Node* add) {
  if (!is_op(add, "Add") || add->num_inputs() != 2) return false;
  Value* out = add->output(0);
  if (!out || !out->has_shape || out->dtype != DType::kFloat32) return false;
  for (Value* r : add->inputs) {
    Node* resize = r ? r->producer : nullptr;
    Value* z = other_operand(add, r);
    if (!z || !is_private_resize(graph, resize, add)) continue;
    if (r->shape != out->shape || z->dtype != out->dtype || !z->has_shape || z->shape != out->shape) continue;
    std::vector<Value*> inputs = resize->inputs;
    inputs.resize(4, nullptr);
    inputs.push_back(z);
    Attributes attrs = resize->attrs;
    Node* f = fusion::replace_with_node(graph, {resize, add}, "FusedResize", resize->name + "/fused_add",
                                        std::move(inputs), out, kTandemDomain);
    f->attrs = std::move(attrs);
    return true;
  }
  return false;
}

}  // namespace

Status fuse_resize_add(Graph& graph) {
  for (Node* n : graph.live_nodes())
    if (!n->dead) fuse(graph, n);
  return Status::ok();
}

}  // namespace tandem
