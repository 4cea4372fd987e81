// oneDNN engine and descriptor helpers.
#include "backends/cpu/onednn_common.h"

#include <atomic>

namespace tandem {

dnnl::engine& onednn_engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::memory::desc plain_desc(const Shape& shape, dnnl::memory::data_type dt) {
  dnnl::memory::dims dims(shape.begin(), shape.end());
  dnnl::memory::dims strides(shape.size(), 1);
  for (int i = static_cast<int>(shape.size()) - 2; i >= 0; --i)
    strides[static_cast<size_t>(i)] = strides[static_cast<size_t>(i) + 1] * shape[static_cast<size_t>(i) + 1];
  return dnnl::memory::desc(dims, dt, strides);
}

dnnl::memory::desc plain_f32_desc(const Shape& shape) { return plain_desc(shape, dnnl::memory::data_type::f32); }

bool onednn_native_bf16() {
  // avx2_vnni is the one ISA value above these that lacks bf16; AMX implies AVX-512 BF16.
  static const bool native = [] {
    const dnnl::cpu_isa isa = dnnl::get_effective_cpu_isa();
    return isa == dnnl::cpu_isa::avx512_core_bf16 || isa == dnnl::cpu_isa::avx512_core_amx;
  }();
  return native;
}

bool bf16_compute(const Node& node) { return node.attrs.get_string(kComputePrecisionAttr, "") == "bf16"; }

bool transcendental_activation(const Node& n) {
  const std::string act = n.attrs.get_string("activation", "");
  return act == "Silu" || act == "Gelu" || act == "Sigmoid";
}

namespace {
// Process-wide, not per thread: oneDNN also allocates on its OpenMP workers during an execute.
std::atomic<int> g_execute_depth{0};
}  // namespace

bool in_onednn_execute() { return g_execute_depth > 0; }
OnednnExecuteScope::OnednnExecuteScope() { ++g_execute_depth; }
OnednnExecuteScope::~OnednnExecuteScope() { --g_execute_depth; }

void execute_primitive(const dnnl::primitive& p, dnnl::stream& s, const std::vector<dnnl_exec_arg_t>& args) {
  OnednnExecuteScope scope;
  dnnl::error::wrap_c_api(dnnl_primitive_execute(p.get(), s.get(), static_cast<int>(args.size()), args.data()),
                          "could not execute a primitive");
  dnnl::error::wrap_c_api(dnnl_stream_wait(s.get()), "could not wait on a stream");
}

void execute_reorder(const dnnl::reorder& r, dnnl::stream& s, const dnnl::memory& from, const dnnl::memory& to) {
  const dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, from.get()}, {DNNL_ARG_TO, to.get()}};
  OnednnExecuteScope scope;
  dnnl::error::wrap_c_api(dnnl_primitive_execute(r.get(), s.get(), 2, args), "could not execute a reorder");
  dnnl::error::wrap_c_api(dnnl_stream_wait(s.get()), "could not wait on a stream");
}

Activation place_activation(const Activation& act, bool after, dnnl::post_ops& ops) {
  if (after) return act;
  append_activation(act, ops);
  return Activation{};
}

std::optional<OnednnEltwiseChain> onednn_eltwise_chain(const Activation& act) {
  using A = dnnl::algorithm;
  auto one = [](A alg, float alpha, float beta) { return OnednnEltwiseChain{1, {{alg, alpha, beta}, {}}}; };
  switch (act.kind) {
    case ActivationKind::kNone: return OnednnEltwiseChain{};
    case ActivationKind::kRelu: return one(A::eltwise_relu, 0.0f, 0.0f);
    case ActivationKind::kLeakyRelu: return one(A::eltwise_relu, act.alpha, 0.0f);
    case ActivationKind::kSigmoid: return one(A::eltwise_logistic, 0.0f, 0.0f);
    case ActivationKind::kTanh: return one(A::eltwise_tanh, 0.0f, 0.0f);
    case ActivationKind::kGelu: return one(A::eltwise_gelu_erf, 0.0f, 0.0f);
    case ActivationKind::kGeluTanh: return one(A::eltwise_gelu_tanh, 0.0f, 0.0f);
    case ActivationKind::kClip: return one(A::eltwise_clip, act.alpha, act.beta);
    case ActivationKind::kHardSwish: return one(A::eltwise_hardswish, 0.0f, 0.0f);
    // swish is x * sigmoid(alpha x); SiLU is alpha = 1.
    case ActivationKind::kSilu: return one(A::eltwise_swish, 1.0f, 0.0f);
    case ActivationKind::kHardSigmoid:
      // max(0, min(1, alpha x + beta)) as linear, then clip to [0, 1].
      return OnednnEltwiseChain{2, {{A::eltwise_linear, act.alpha, act.beta}, {A::eltwise_clip, 0.0f, 1.0f}}};
  }
  return std::nullopt;
}

bool append_activation(const Activation& act, dnnl::post_ops& ops) {
  const std::optional<OnednnEltwiseChain> chain = onednn_eltwise_chain(act);
  if (!chain) return false;
  for (int i = 0; i < chain->count; ++i) ops.append_eltwise(1.0f, chain->ops[i].alg, chain->ops[i].alpha, chain->ops[i].beta);
  return true;
}

Status OnednnUnary::prepare(const OpContext& ctx) {
  try {
    dnnl::memory::desc src = tensor_desc(ctx.in(0).shape), dst = output_desc(ctx.out(0).shape);
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    dnnl::memory::desc scratch;
    TANDEM_RETURN_IF_ERROR(create(src, dst, attr, scratch));
    call_.args[DNNL_ARG_SRC] = dnnl::memory(src, onednn_engine(), nullptr);
    call_.args[DNNL_ARG_DST] = dnnl::memory(dst, onednn_engine(), nullptr);
    call_.add_scratchpad(scratch);
  } catch (const dnnl::error& e) {
    return Status(Code::kUnsupported, std::string("oneDNN: ") + e.what());
  }
  return Status::ok();
}

Status OnednnUnary::run(std::span<const Tensor> in, std::span<Tensor> out) {
  call_.bind(DNNL_ARG_SRC, in[0].raw());
  call_.bind(DNNL_ARG_DST, out[0].raw());
  call_.execute();
  return Status::ok();
}

}  // namespace tandem
