// BF16 dataflow for a bf16 stage: a tensor that a bf16-marked convolution or matrix product (or a Softmax)
// writes and only bf16-marked convolutions and matrix products read (as their data input, possibly through reshapes and
// transposes) is stored as bf16 instead of fp32. The writer's kernel stores bf16 and the readers use it as it
// is: no conversion pass into a bf16 copy before each product, half the bytes written and read, and a depthwise
// conv between two linears (a transformer FFN's) can run in bf16 at all -- with fp32 tensors around it its input
// conversion costs more than bf16 saves, so its timed tactic keeps fp32.
//
// Like TensorRT's reformat-free bf16 I/O between layers, this changes which kernels can run (those nodes must
// run bf16 kernels), so CpuUnit builds the stage both ways and keeps the faster one.
#include <set>
#include <string>
#include <vector>

#include "passes/fusion_match.h"
#include "passes/optimize.h"

namespace tandem {
namespace {

using fusion::is_data_movement;

bool marked(const Node* n) {
  return n && bf16_markable(*n) && n->attrs.get_string(kComputePrecisionAttr, "") == "bf16";
}

// A Softmax whose probabilities only bf16 matmuls read (attention) can store them as bf16 at no cost in
// accuracy: the reader rounded them to bf16 anyway, in a conversion pass of its own; oneDNN's softmax computes in
// fp32 from the fp32 scores and rounds as it stores. (LayerNorm outputs the same way measured slower: rounding in
// a second pass over each row cost more than the readers' conversion of MTNet's narrow tokens.)
// Opset 13 and later only: before it Softmax flattens the trailing axes, which oneDNN's kernel takes only for the
// last axis.
bool bf16_output_op(const Graph& g, const Node* n) {
  return fusion::is_op(n, "Softmax") && g.opset(kOnnxDomain) >= 13 && n->input(0) &&
         n->input(0)->dtype == DType::kFloat32;
}

// The values between `v` and its final readers (v itself, then the outputs of data movement), when every
// final reader is a bf16-marked conv or matmul taking the value as its data input (0) only. Empty otherwise.
std::vector<Value*> bf16_chain(const Graph& g, Value* v, std::set<Node*>& readers) {
  std::vector<Value*> chain{v};
  for (size_t i = 0; i < chain.size(); ++i) {
    Value* c = chain[i];
    if (g.is_graph_output(c) || c->consumers.empty() || c->dtype != DType::kFloat32) return {};
    for (Node* r : c->consumers) {
      if (is_data_movement(r) && r->input(0) == c && r->output(0)) {
        chain.push_back(r->output(0));
        continue;
      }
      if (!marked(r) || r->input(0) != c) return {};
      for (int k = 1; k < r->num_inputs(); ++k)
        if (r->input(k) == c) return {};
      readers.insert(r);
    }
  }
  return chain;
}

}  // namespace

int bf16_dataflow(Graph& graph, std::set<std::string>* touched) {
  int retyped = 0;
  for (Node* p : graph.live_nodes()) {
    if (p->dead || !(marked(p) || bf16_output_op(graph, p))) continue;
    // A conv's residual is staged into its destination and summed there: the destination stays fp32.
    if (fusion::is_op(p, "FusedConv", kTandemDomain) && p->input(3)) continue;
    Value* y = p->output(0);
    if (!y || y->dtype != DType::kFloat32) continue;
    std::set<Node*> readers;
    std::vector<Value*> chain = bf16_chain(graph, y, readers);
    if (chain.empty()) continue;
    for (Value* v : chain) v->dtype = DType::kBFloat16;
    ++retyped;
    if (touched) {
      touched->insert(p->name);
      for (const Node* r : readers) touched->insert(r->name);
    }
  }
  return retyped;
}

}  // namespace tandem
