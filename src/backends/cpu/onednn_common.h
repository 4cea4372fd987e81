// Shared pieces of the oneDNN kernels: the CPU engine singleton, plain memory descriptors, fused
// activations as eltwise post-ops, and a primitive wrapper that runs with pre-bound arguments.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <string>
#include <unordered_map>

#include "core/tensor.h"
#include "ops/activation.h"

namespace tandem {

dnnl::engine& onednn_engine();

// Row-major descriptor of a float32 tensor of `shape`.
dnnl::memory::desc plain_f32_desc(const Shape& shape);

// Appends `act` as an eltwise post-op; false when oneDNN has no equivalent (caller falls back).
bool append_activation(const Activation& act, dnnl::post_ops& ops);

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
    primitive.execute(stream, args);
    stream.wait();
  }
};

}  // namespace tandem
