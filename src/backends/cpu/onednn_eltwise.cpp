// float32 pointwise activations (Relu, Sigmoid, Tanh, Gelu, Silu, LeakyRelu, Clip, HardSwish) and Softmax through
// oneDNN: its JIT kernels vectorise exp/erf, which the portable reference loops leave to libm per element.
#include "backends/cpu/cpu_kernels.h"
#include "backends/cpu/onednn_common.h"
#include "ops/broadcast.h"

namespace tandem {
namespace {

using dnnl::memory;

// Activation described by a standalone op node, or nothing if the node is not one we map.
bool activation_of(const OpContext& ctx, Activation& act) {
  const Node& n = *ctx.node;
  const Attributes& a = n.attrs;
  if (n.domain == kTandemDomain && n.op_type == "Gelu") {
    act.kind = a.get_string("approximate", "none") == "tanh" ? ActivationKind::kGeluTanh : ActivationKind::kGelu;
    return true;
  }
  if (n.domain == kTandemDomain && n.op_type == "Silu") {
    act.kind = ActivationKind::kSilu;
    return true;
  }
  if (!n.domain.empty()) return false;
  if (n.op_type == "Relu") act.kind = ActivationKind::kRelu;
  else if (n.op_type == "Sigmoid") act.kind = ActivationKind::kSigmoid;
  else if (n.op_type == "Tanh") act.kind = ActivationKind::kTanh;
  else if (n.op_type == "HardSwish") act.kind = ActivationKind::kHardSwish;
  else if (n.op_type == "LeakyRelu") {
    act.kind = ActivationKind::kLeakyRelu;
    act.alpha = a.get_float("alpha", 0.01f);
  } else {
    return false;
  }
  return true;
}

class OnednnEltwise final : public OnednnUnary {
 public:
  explicit OnednnEltwise(Activation act) : act_(act) {}

 protected:
  Status create(const memory::desc& md, const memory::desc& /*dst: the same*/, const dnnl::primitive_attr& attr,
                memory::desc& scratch) override {
    // Reuse the activation -> eltwise mapping of the fused post-ops, so both paths compute the same thing.
    const std::optional<OnednnEltwiseChain> chain = onednn_eltwise_chain(act_);
    TANDEM_CHECK_OR_RETURN(chain && chain->count == 1, kUnsupported, "no single oneDNN eltwise for %s",
                           act_.name().c_str());
    const OnednnEltwiseOp& op = chain->ops[0];
    dnnl::eltwise_forward::desc d(dnnl::prop_kind::forward_inference, op.alg, md, op.alpha, op.beta);
    dnnl::eltwise_forward::primitive_desc pd(d, attr, onednn_engine());
    call_.init(dnnl::eltwise_forward(pd), pd.impl_info_str());
    scratch = pd.scratchpad_desc();
    return Status::ok();
  }

 private:
  Activation act_;
};

// `bf16_dst`: the probabilities are stored as bf16 (a bf16 stage's attention, whose next matmul reads bf16:
// bf16_dataflow.cpp), computed in fp32 from the fp32 scores and rounded once as stored (softmax_v2).
class OnednnSoftmax final : public OnednnUnary {
 public:
  OnednnSoftmax(int axis, bool bf16_dst) : axis_(axis), bf16_dst_(bf16_dst) {}

 protected:
  Status create(const memory::desc& md, const memory::desc& dst, const dnnl::primitive_attr& attr,
                memory::desc& scratch) override {
    if (bf16_dst_) {
      dnnl::softmax_v2_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::softmax_accurate, md,
                                       dst, axis_);
      dnnl::softmax_v2_forward::primitive_desc pd(d, attr, onednn_engine());
      call_.init(dnnl::softmax_v2_forward(pd), pd.impl_info_str());
      call_.impl += "+bf16_out";
      scratch = pd.scratchpad_desc();
      return Status::ok();
    }
    dnnl::softmax_forward::desc d(dnnl::prop_kind::forward_inference, md, axis_);
    dnnl::softmax_forward::primitive_desc pd(d, attr, onednn_engine());
    call_.init(dnnl::softmax_forward(pd), pd.impl_info_str());
    scratch = pd.scratchpad_desc();
    return Status::ok();
  }
  memory::desc output_desc(const Shape& shape) const override {
    return bf16_dst_ ? plain_desc(shape, memory::data_type::bf16) : plain_f32_desc(shape);
  }

 private:
  int axis_;
  bool bf16_dst_;
};

}  // namespace

std::unique_ptr<Kernel> make_onednn_eltwise(const OpContext& ctx) {
  // Below a thousand elements (an SE block's squeezed vector, a classifier's logits) Tandem's own elementwise
  // kernel does the job in well under a microsecond; a oneDNN primitive costs ~10 us and a few KB to create
  // per node, which dominated the build of graphs with very many small nodes.
  constexpr int64_t kMinElements = 1024;
  Activation act;
  if (!activation_of(ctx, act) || ctx.in(0).dtype != DType::kFloat32 || shape_numel(ctx.in(0).shape) < kMinElements)
    return nullptr;
  return std::make_unique<OnednnEltwise>(act);
}

std::unique_ptr<Kernel> make_onednn_softmax(const OpContext& ctx) {
  const Node& n = *ctx.node;
  if (!n.domain.empty() || n.op_type != "Softmax" || ctx.in(0).dtype != DType::kFloat32) return nullptr;
  int64_t rank = static_cast<int64_t>(ctx.in(0).shape.size());
  if (rank == 0 || shape_numel(ctx.in(0).shape) == 0) return nullptr;
  int64_t axis = n.attrs.get_int("axis", ctx.opset >= 13 ? -1 : 1);
  auto norm = normalize_axis(axis, rank);
  if (!norm.is_ok()) return nullptr;
  // Before opset 13 Softmax flattens [axis, rank) into one dimension; that equals a single-axis softmax
  // only when axis is the last dimension.
  if (ctx.opset < 13 && *norm != rank - 1) return nullptr;
  const bool bf16_dst = ctx.out(0).dtype == DType::kBFloat16;
  if (!bf16_dst && ctx.out(0).dtype != DType::kFloat32) return nullptr;
  return std::make_unique<OnednnSoftmax>(static_cast<int>(*norm), bf16_dst);
}

}  // namespace tandem
