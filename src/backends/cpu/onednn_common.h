// Shared pieces of the oneDNN kernels: the CPU engine singleton, plain memory descriptors, fused
// activations as eltwise post-ops, and a primitive wrapper that runs with pre-bound arguments.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <optional>
#include <string>
#include <unordered_map>

#include "core/tensor.h"
#include "ir/graph.h"
#include "ops/op_registry.h"
#include "ops/activation.h"

namespace tandem {

dnnl::engine& onednn_engine();

// Row-major descriptor of a float32 tensor of `shape`.
dnnl::memory::desc plain_f32_desc(const Shape& shape);
// Dense row-major of any element type.
dnnl::memory::desc plain_desc(const Shape& shape, dnnl::memory::data_type dt);

// Whether oneDNN runs bf16 natively here (AVX-512 BF16 or AMX); elsewhere bf16 stages fall back to fp32.
bool onednn_native_bf16();
// Whether a precision pass marked `node` to multiply in bf16 (kComputePrecisionAttr), fp32 accumulation.
bool bf16_compute(const Node& node);

// Whether `n`'s fused activation is one whose oneDNN 2.6 post-op (an in-kernel polynomial per output block) can
// cost as much as the convolution or product itself (Silu, Gelu, Sigmoid): for these, applying it afterwards
// with Tandem's AVX-512 kernel (activation.h) is a tactic too.
bool transcendental_activation(const Node& n);

// `act` as oneDNN eltwise operations, in order: none for kNone, two for HardSigmoid (oneDNN 2.6 has none of its
// own); nullopt when oneDNN has no equivalent. Plain values, so that checking an activation allocates nothing
// (a dnnl::post_ops reserves room for 32 entries: a model of 200000 nodes spent a third of its build in them).
struct OnednnEltwiseOp {
  dnnl::algorithm alg = dnnl::algorithm::undef;
  float alpha = 0, beta = 0;
};
struct OnednnEltwiseChain {
  int count = 0;
  OnednnEltwiseOp ops[2];
};
std::optional<OnednnEltwiseChain> onednn_eltwise_chain(const Activation& act);
// Appends `act` as eltwise post-ops; false when oneDNN has no equivalent (caller falls back).
bool append_activation(const Activation& act, dnnl::post_ops& ops);
// Where a kernel's fused activation goes: appended to `ops` (returns none), or, `after`, returned for the kernel to
// apply to its result itself (Activation::apply_inplace) once the primitive has run.
Activation place_activation(const Activation& act, bool after, dnnl::post_ops& ops);

// True while any thread is inside a oneDNN primitive execution. oneDNN 2.6 builds a small argument
// map inside every execute (its exec_ctx_t), which Tandem cannot avoid; tests use this to tell those
// allocations apart from Tandem's own, which must be none.
bool in_onednn_execute();

class OnednnExecuteScope {
 public:
  OnednnExecuteScope();
  ~OnednnExecuteScope();
  OnednnExecuteScope(const OnednnExecuteScope&) = delete;
  OnednnExecuteScope& operator=(const OnednnExecuteScope&) = delete;
};

// Runs a primitive through the C API with an argument array built once: the C++ wrapper's execute()
// copies the argument map into a fresh vector on every call.
void execute_primitive(const dnnl::primitive& p, dnnl::stream& s, const std::vector<dnnl_exec_arg_t>& args);
void execute_reorder(const dnnl::reorder& r, dnnl::stream& s, const dnnl::memory& from, const dnnl::memory& to);

// A primitive plus its argument map built once; run() only swaps data pointers (no allocation).
struct OnednnCall {
  dnnl::primitive primitive;
  std::unordered_map<int, dnnl::memory> args;
  dnnl::stream stream;
  std::string impl;

  void init(const dnnl::primitive& p, const std::string& impl_info) {
    primitive = p;
    stream = dnnl::stream(onednn_engine());
    impl = "onednn:" + impl_info;
  }
  // Adds a user-scratchpad buffer sized for the primitive, so execution never allocates.
  void add_scratchpad(const dnnl::memory::desc& desc) { args[DNNL_ARG_SCRATCHPAD] = dnnl::memory(desc, onednn_engine()); }
  void bind(int arg, const void* data) { args.at(arg).set_data_handle(const_cast<void*>(data)); }
  void execute() {
    if (c_args.size() != args.size()) {  // first run: freeze the argument list
      c_args.clear();
      for (const auto& [arg, mem] : args) c_args.push_back({arg, mem.get()});
    }
    execute_primitive(primitive, stream, c_args);
  }
  std::vector<dnnl_exec_arg_t> c_args;
};

// A one-input, one-output primitive on float32 tensors (input 0 -> output 0), plain unless tensor_desc() says
// otherwise; subclasses only describe the primitive. prepare() turns a oneDNN error into kUnsupported, so the
// reference kernel takes the node.
class OnednnUnary : public Kernel {
 public:
  Status prepare(const OpContext& ctx) override;
  Status run(std::span<const Tensor> in, std::span<Tensor> out) override;
  std::string impl_name() const override { return call_.impl; }

 protected:
  // Builds the primitive for `src` -> `dst` into call_ (call_.init) and reports its scratchpad size.
  virtual Status create(const dnnl::memory::desc& src, const dnnl::memory::desc& dst, const dnnl::primitive_attr& attr,
                        dnnl::memory::desc& scratch) = 0;
  // The descriptor of input 0 and output 0 for their tensor shapes; plain row-major unless a subclass's node
  // stores them otherwise (a channels-last pool).
  virtual dnnl::memory::desc tensor_desc(const Shape& shape) const { return plain_f32_desc(shape); }
  // Output 0's descriptor; the same as the input's unless a subclass stores another type (bf16 softmax).
  virtual dnnl::memory::desc output_desc(const Shape& shape) const { return tensor_desc(shape); }
  OnednnCall call_;
};

}  // namespace tandem
