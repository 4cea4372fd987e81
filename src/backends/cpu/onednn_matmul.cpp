// float32 MatMul / FusedMatMul (bias + activation) through oneDNN, batch dimensions broadcast, and their int8
// form FusedMatMulInt8 (s8 or u8 A, s8 per-column-scaled constant B, s32 accumulation, float result).
// A constant B (a Linear layer's weight) is packed once at build time into oneDNN's preferred layout.
#include <algorithm>

#include "backends/cpu/cpu_kernels.h"
#include "backends/cpu/onednn_common.h"
#include "backends/cpu/tactic_search.h"
#include "ops/fused_int8.h"

namespace tandem {
namespace {

using dnnl::memory;

Shape left_pad(const Shape& s, size_t rank) {
  Shape out(rank - s.size(), 1);
  out.insert(out.end(), s.begin(), s.end());
  return out;
}

class OnednnMatMul final : public Kernel {
 public:
  // `bf16`: multiply in bf16 (a float node, native bf16 required; prepare fails otherwise).
  // `activation_after`: the activation by Tandem's vectorised kernel after the product instead of as a oneDNN
  // post-op (oneDNN 2.6's in-kernel GELU costs ~1 ns per element: 1.2 of ConvNeXt's 3.2 ms first MLP layer).
  explicit OnednnMatMul(bool bf16 = false, bool activation_after = false)
      : bf16_(bf16), activation_after_(activation_after) {}

  Status prepare(const OpContext& ctx) override {
    try {
      return prepare_or_throw(ctx);
    } catch (const dnnl::error& e) {
      return Status(Code::kUnsupported, std::string("oneDNN matmul: ") + e.what());
    }
  }

  Status prepare_or_throw(const OpContext& node_ctx) {
    // FusedMatMulInt8: the float op's view gives shapes and attributes; A and B are int8 underneath.
    int8_ = node_ctx.node->op_type == "FusedMatMulInt8";
    const OpContext ctx = int8_ ? int8_as_float_context(node_ctx, nullptr) : node_ctx;
    Shape y = ctx.out(0).shape;
    size_t rank = y.size();
    Shape a = left_pad(ctx.in(0).shape, rank), b = left_pad(ctx.in(1).shape, rank);
    // A 2-D B (a Linear layer on [N, H, W, C] or [N, L, C] tokens) multiplies every row of A alike: fold A's
    // batch dimensions into M. Left as batches, oneDNN runs one small product per batch (ConvNeXt's last stage:
    // 7 products of M = 7 instead of one of M = 49, 1.6x slower).
    if (rank > 2 && std::all_of(b.begin(), b.end() - 2, [](int64_t d) { return d == 1; })) {
      const int64_t m = shape_numel(a) / a.back();
      a = {m, a.back()};
      b = {b[rank - 2], b.back()};
      y = {m, y.back()};
      rank = 2;
    }
    TANDEM_ASSIGN_OR_RETURN(Activation act, Activation::parse(ctx.attrs().get_string("activation", ""),
                                                              ctx.attrs().get_floats("activation_params")));
    has_bias_ = ctx.has_input(2);
    const_b_ = int8_ || ctx.in(1).constant != nullptr;
    // As for convolutions: a source known to be >= 0 (x_unsigned) is read as u8, which keeps all 8 bits of
    // the weights where oneDNN's s8 x s8 path without VNNI halves them.
    const bool x_unsigned = int8_ && node_ctx.attrs().get_int("x_unsigned", 0) != 0;
    const memory::data_type a_dt =
        !int8_ ? memory::data_type::f32 : (x_unsigned ? memory::data_type::u8 : memory::data_type::s8);
    const memory::data_type b_dt = int8_ ? memory::data_type::s8 : memory::data_type::f32;
    // bf16 (a bf16 stage marked the node): A (and a run-time B) are converted into bf16 buffers before each
    // product, a constant B once when it is packed; the products accumulate in fp32 and Y stays fp32.
    TANDEM_CHECK_OR_RETURN(!bf16_ || (!int8_ && onednn_native_bf16()), kUnsupported,
                           "bf16 matmul needs a float node and native bf16");
    // bf16 dataflow (bf16_dataflow.cpp): A arrives, or Y leaves, as bf16 itself; only the bf16 kernel takes it.
    a_bf16_ = ctx.in(0).dtype == DType::kBFloat16;
    const bool y_bf16 = ctx.out(0).dtype == DType::kBFloat16;
    TANDEM_CHECK_OR_RETURN(bf16_ || (!a_bf16_ && !y_bf16), kUnsupported, "bf16 tensors need the bf16 kernel");
    const memory::data_type math_dt = memory::data_type::bf16;
    memory::desc a_md = plain_desc(a, bf16_ ? math_dt : a_dt);
    memory::desc y_md = y_bf16 ? plain_desc(y, math_dt) : plain_f32_desc(y);
    memory::desc b_md = const_b_ ? memory::desc(memory::dims(b.begin(), b.end()), bf16_ ? math_dt : b_dt,
                                                memory::format_tag::any)
                                 : plain_desc(b, bf16_ ? math_dt : memory::data_type::f32);
    Shape bias_shape(rank, 1);
    bias_shape.back() = y.back();
    memory::desc bias_md = plain_f32_desc(bias_shape);

    dnnl::post_ops ops;
    // alpha·(A·B) as the first post-op; the factory declines alpha together with a bias, which oneDNN would
    // add before the post-ops.
    float alpha = ctx.attrs().get_float("alpha", 1.0f);
    if (alpha != 1.0f) ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_linear, alpha, 0.0f);
    TANDEM_CHECK_OR_RETURN(!activation_after_ || (act.kind != ActivationKind::kNone && !int8_ && !y_bf16),
                           kUnsupported, "the activation afterwards needs one and a float32 result");
    act_ = place_activation(act, activation_after_, ops);
    dnnl::primitive_attr attr;
    attr.set_post_ops(ops);
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    // int8: s32 accumulator * (A_scale * B_scale[n]) is the float product; oneDNN 2.x adds the bias to the
    // accumulator before the output scale (as for convolutions), so the bias is stored divided by it.
    std::vector<float> out_scales;
    if (int8_) {
      const float as = node_ctx.in(kInt8XScale).constant->data<float>()[0];
      const Tensor& bs = *node_ctx.in(kInt8WScale).constant;
      for (int64_t n = 0; n < bs.numel(); ++n) out_scales.push_back(as * bs.data<float>()[n]);
      attr.set_output_scales(1 << (rank - 1), out_scales);
    }
    auto desc = has_bias_ ? dnnl::matmul::desc(a_md, b_md, bias_md, y_md) : dnnl::matmul::desc(a_md, b_md, y_md);
    dnnl::matmul::primitive_desc pd(desc, attr, onednn_engine());

    call_.init(dnnl::matmul(pd), pd.impl_info_str());
    if (activation_after_) call_.impl += "+act_after";
    call_.args[DNNL_ARG_DST] = memory(pd.dst_desc(), onednn_engine(), nullptr);
    if (bf16_) {
      call_.impl += "+bf16";
      if (a_bf16_) {
        call_.args[DNNL_ARG_SRC] = memory(pd.src_desc(), onednn_engine(), nullptr);
      } else {
        a_.init(a, pd.src_desc());
        call_.args[DNNL_ARG_SRC] = a_.converted;
      }
      if (!const_b_) b_.init(b, pd.weights_desc());
    } else {
      call_.args[DNNL_ARG_SRC] = memory(pd.src_desc(), onednn_engine(), nullptr);
    }
    if (const_b_) {
      const Tensor* bt = int8_ ? node_ctx.in(kInt8W).constant : ctx.in(1).constant;
      memory b_user(plain_desc(b, b_dt), onednn_engine(), const_cast<void*>(bt->raw()));
      memory b_packed(pd.weights_desc(), onednn_engine());
      dnnl::stream s(onednn_engine());
      dnnl::reorder(b_user, b_packed).execute(s, b_user, b_packed);
      s.wait();
      call_.args[DNNL_ARG_WEIGHTS] = b_packed;
    } else if (bf16_) {
      call_.args[DNNL_ARG_WEIGHTS] = b_.converted;
    } else {
      call_.args[DNNL_ARG_WEIGHTS] = memory(pd.weights_desc(), onednn_engine(), nullptr);
    }
    if (has_bias_) {
      bias_ = ctx.in(2).constant->clone();
      for (size_t n = 0; n < out_scales.size(); ++n) bias_.data<float>()[n] /= out_scales[n];
      call_.args[DNNL_ARG_BIAS] = memory(bias_md, onednn_engine(), bias_.raw());
    }
    call_.add_scratchpad(pd.scratchpad_desc());
    return Status::ok();
  }

  Status run(std::span<const Tensor> in, std::span<Tensor> out) override {
    if (bf16_) {
      if (a_bf16_) {
        call_.bind(DNNL_ARG_SRC, in[0].raw());
      } else {
        a_.convert(in[0].raw(), call_.stream);
      }
      if (!const_b_) b_.convert(in[1].raw(), call_.stream);
    } else {
      call_.bind(DNNL_ARG_SRC, in[0].raw());
      if (!const_b_) call_.bind(DNNL_ARG_WEIGHTS, in[1].raw());
    }
    call_.bind(DNNL_ARG_DST, out[0].raw());
    call_.execute();
    if (activation_after_) act_.apply_inplace(out[0].data<float>(), out[0].numel());
    return Status::ok();
  }

  std::string impl_name() const override { return call_.impl; }

 private:
  // A run-time fp32 operand and the bf16 copy the product reads, allocated once at prepare.
  struct Bf16Operand {
    memory user, converted;
    dnnl::reorder to_bf16;
    void init(const Shape& shape, const memory::desc& bf16_desc) {
      user = memory(plain_f32_desc(shape), onednn_engine(), nullptr);
      converted = memory(bf16_desc, onednn_engine());
      to_bf16 = dnnl::reorder(user, converted);
    }
    void convert(const void* data, dnnl::stream& s) {
      user.set_data_handle(const_cast<void*>(data));
      execute_reorder(to_bf16, s, user, converted);
    }
  };

  OnednnCall call_;
  Bf16Operand a_, b_;
  Tensor bias_;
  Activation act_;  // applied after the product (activation_after_)
  bool has_bias_ = false, const_b_ = false, int8_ = false, bf16_ = false, a_bf16_ = false, activation_after_ = false;
};

}  // namespace

std::unique_ptr<Kernel> make_onednn_matmul(const OpContext& ctx, const std::string& tactic) {
  const Node& n = *ctx.node;
  bool matmul = n.domain.empty() && n.op_type == "MatMul";
  bool fused = n.domain == kTandemDomain && n.op_type == "FusedMatMul";
  if (n.domain == kTandemDomain && n.op_type == "FusedMatMulInt8") {
    // Per-column weight scales and the bias as the float op has them; no residual input.
    if (ctx.num_inputs() > kInt8Residual && ctx.has_input(kInt8Residual)) return nullptr;
    if (!ctx.in(kInt8W).constant || !ctx.in(kInt8XScale).constant || !ctx.in(kInt8WScale).constant) return nullptr;
    if (ctx.in(kInt8X).shape.size() < 2 || ctx.in(kInt8W).shape.size() != 2 || ctx.out(0).shape.size() > 12)
      return nullptr;
    if (ctx.has_input(kInt8Bias) && !ctx.in(kInt8Bias).constant) return nullptr;
    auto act = Activation::parse(n.attrs.get_string("activation", ""), n.attrs.get_floats("activation_params"));
    if (!act.is_ok() || !onednn_eltwise_chain(*act) || n.attrs.get_float("alpha", 1.0f) != 1.0f) return nullptr;
    return std::make_unique<OnednnMatMul>();
  }
  if (!matmul && !fused) return nullptr;
  const bool bf16_io = ctx.in(0).dtype == DType::kBFloat16 || ctx.out(0).dtype == DType::kBFloat16;
  if ((ctx.in(0).dtype != DType::kFloat32 && ctx.in(0).dtype != DType::kBFloat16) ||
      ctx.in(1).dtype != DType::kFloat32)
    return nullptr;
  if (bf16_io && !(bf16_compute(n) && onednn_native_bf16())) return nullptr;
  // 1-D operands change MatMul's shape rules; oneDNN supports up to 12 dims.
  if (ctx.in(0).shape.size() < 2 || ctx.in(1).shape.size() < 2 || ctx.out(0).shape.size() > 12) return nullptr;
  if (ctx.has_input(2)) {
    const OperandInfo& bias = ctx.in(2);
    if (!bias.constant || bias.shape.size() != 1 || bias.shape[0] != ctx.out(0).shape.back()) return nullptr;
  }
  if (fused && n.attrs.get_float("alpha", 1.0f) != 1.0f && ctx.has_input(2)) return nullptr;
  if (fused) {
    auto act = Activation::parse(n.attrs.get_string("activation", ""), n.attrs.get_floats("activation_params"));
    if (!act.is_ok() || !onednn_eltwise_chain(*act)) return nullptr;
  }
  // A node a bf16 stage marked: bf16 is allowed, not imposed (as for convolutions), so both are timed. So is the
  // activation after the product, for the activations whose oneDNN post-op is slow (as for convolutions).
  const bool bf16 = bf16_compute(n) && onednn_native_bf16();
  const bool act_after = fused && transcendental_activation(n) && ctx.out(0).dtype == DType::kFloat32;
  // One row against constant float weights (a classifier head): Tandem's matrix-vector kernel, untimed. It is
  // bound by streaming the weights, which a model has evicted by the time the head runs (MobileNetV3-L's heads:
  // 0.30 / 0.35 ms with oneDNN, 0.19 / 0.25 ms with it); timing both back to back finds the weights in cache
  // and the two equal (0.055 ms).
  if (!bf16 && tactic.empty())
    if (std::unique_ptr<Kernel> gemv = make_gemv_f32(ctx)) return gemv;
  if (bf16 || act_after || !tactic.empty()) {
    auto make = [bf16, act_after](const std::string& name, const OpContext&) -> std::unique_ptr<Kernel> {
      if (name == "onednn_fp32") return std::make_unique<OnednnMatMul>(false);
      if (name == "onednn_bf16") return bf16 ? std::make_unique<OnednnMatMul>(true) : nullptr;
      if (name == "onednn_fp32_act_after") return act_after ? std::make_unique<OnednnMatMul>(false, true) : nullptr;
      if (name == "onednn_bf16_act_after")
        return bf16 && act_after ? std::make_unique<OnednnMatMul>(true, true) : nullptr;
      return nullptr;
    };
    return make_tuned_kernel({"onednn_fp32", "onednn_bf16", "onednn_fp32_act_after", "onednn_bf16_act_after"}, make,
                             tactic);
  }
  return std::make_unique<OnednnMatMul>();
}

}  // namespace tandem
