// 2-D float32 convolution (plain, grouped, depthwise, dilated, strided) through oneDNN, with bias, residual
// sum (FusedConv's Z) and activation fused as post-ops. Weights are reordered once into oneDNN's preferred
// blocked layout at build time. Activations are plain NCHW between kernels, or NHWC where a FusedConv reads or
// writes channels-last tensors (src_layout / dst_layout); when oneDNN's fastest implementation wants a blocked
// layout (nChw8c/16c: direct JIT and depthwise kernels, several times faster than the im2col+GEMM path it
// otherwise takes on plain NCHW), the kernel reorders in and out itself.
#include <algorithm>
#include <cstring>
#include <string>

#include "backends/cpu/cpu_kernels.h"
#include "backends/cpu/onednn_common.h"
#include "ops/fused_int8.h"
#include "ops/nn_conv.h"

namespace tandem {
namespace {

using dnnl::memory;

class OnednnConv final : public Kernel {
 public:
  explicit OnednnConv(const OnednnConvOptions& options)
      : blocked_io_(options.blocked_io || options.winograd != Winograd::kNone),
        bf16_(options.bf16),
        winograd_(options.winograd),
        activation_after_(options.activation_after) {}

  Status prepare(const OpContext& ctx) override {
    try {
      return prepare_or_throw(ctx);
    } catch (const dnnl::error& e) {
      return Status(Code::kUnsupported, std::string("oneDNN convolution: ") + e.what());
    }
  }

  Status prepare_or_throw(const OpContext& node_ctx) {
    // FusedConvInt8: int8 X and W; the geometry and the rest come from the float op's view of the node.
    int8_ = node_ctx.node->op_type == "FusedConvInt8";
    // bf16 dataflow (bf16_dataflow.cpp): X arrives, or Y leaves, as bf16 itself; only the bf16 kernel takes it.
    // The geometry comes from the float view.
    const bool x_bf16 = node_ctx.in(0).dtype == DType::kBFloat16, y_bf16 = node_ctx.out(0).dtype == DType::kBFloat16;
    OpContext ctx = int8_ ? int8_as_float_context(node_ctx, nullptr) : node_ctx;
    if (x_bf16) ctx.inputs[0].dtype = DType::kFloat32;
    const Shape& w = ctx.in(1).shape;
    TANDEM_ASSIGN_OR_RETURN(ConvGeometry g, conv_geometry(ctx));
    TANDEM_CHECK_OR_RETURN(g.window.rank() == 2, kUnsupported, "only 2-D convolutions");
    const WindowGeometry& win = g.window;
    memory::dims strides = {win.strides[0], win.strides[1]};
    memory::dims dil = {win.dilations[0] - 1, win.dilations[1] - 1};  // oneDNN counts dilation from 0
    memory::dims pad_l = {win.pad_begin[0], win.pad_begin[1]}, pad_r(2);
    // Right padding as oneDNN wants it: whatever makes the output size exact.
    for (size_t i = 0; i < 2; ++i)
      pad_r[i] = (win.out[i] - 1) * win.strides[i] + (win.kernel[i] - 1) * win.dilations[i] + 1 - win.in[i] - pad_l[i];
    TANDEM_ASSIGN_OR_RETURN(Activation act, Activation::parse(ctx.attrs().get_string("activation", ""),
                                                              ctx.attrs().get_floats("activation_params")));
    has_bias_ = ctx.has_input(2);
    has_sum_ = ctx.has_input(3);
    // Y_scale: the destination is int8, requantised by oneDNN as it stores (saturating, nearest-even).
    const bool requantized = int8_ && node_ctx.has_input(kInt8YScale);
    TANDEM_CHECK_OR_RETURN(!requantized || (!has_sum_ && node_ctx.in(kInt8YScale).constant), kUnsupported,
                           "an int8 destination needs a constant Y_scale and no residual");

    memory::dims wdims;
    if (g.group == 1) {
      wdims = memory::dims(w.begin(), w.end());
    } else {
      wdims = {g.group, w[0] / g.group, w[1], w[2], w[3]};
    }
    auto any = memory::format_tag::any;
    // The user-side layouts: NCHW, or NHWC where the node reads or writes channels-last tensors.
    auto user_desc = [](int64_t n, int64_t c, const std::vector<int64_t>& hw, bool channels_last,
                        memory::data_type dt) {
      return memory::desc({n, c, hw[0], hw[1]}, dt, channels_last ? memory::format_tag::nhwc : memory::format_tag::nchw);
    };
    // A non-negative int8 source (x_unsigned: e.g. after ReLU; values 0..127) is read as u8: without VNNI,
    // oneDNN's s8 x s8 path halves the weights to keep vpmaddubsw's s16 sums from saturating (7-bit weights,
    // ~1 % error measured), while u8 0..127 x s8 cannot saturate and keeps all 8 bits.
    x_unsigned_ = int8_ && node_ctx.attrs().get_int("x_unsigned", 0) != 0;
    // bf16 (a bf16 stage marked the node): the float source is converted by the input reorder and the weights
    // when they are packed; the products accumulate in fp32 and the destination stays fp32.
    TANDEM_CHECK_OR_RETURN(!bf16_ || (!int8_ && onednn_native_bf16()), kUnsupported,
                           "bf16 convolution needs a float node and native bf16");
    TANDEM_CHECK_OR_RETURN(bf16_ || (!x_bf16 && !y_bf16), kUnsupported, "bf16 tensors need the bf16 kernel");
    TANDEM_CHECK_OR_RETURN(!y_bf16 || !has_sum_, kUnsupported, "a residual needs an fp32 destination");
    TANDEM_CHECK_OR_RETURN(winograd_ == Winograd::kNone || (!int8_ && !bf16_ && !x_bf16 && !y_bf16), kUnsupported,
                           "Winograd is float32 only");
    const memory::data_type src_dt =
        x_bf16 ? memory::data_type::bf16
               : !int8_ ? memory::data_type::f32 : (x_unsigned_ ? memory::data_type::u8 : memory::data_type::s8);
    const memory::data_type wei_dt = int8_ ? memory::data_type::s8 : memory::data_type::f32;
    const memory::data_type math_dt = bf16_ ? memory::data_type::bf16 : src_dt;
    memory::desc src_plain = user_desc(g.batch, g.in_channels, win.in, g.src_channels_last, src_dt);
    // A bf16 Y with the activation applied afterwards: oneDNN writes fp32 into a staging buffer, and the
    // activation's pass rounds to bf16 on its way to Y (as oneDNN's post-op would: activation, then rounding).
    const bool stage_fp32 = y_bf16 && activation_after_;
    const memory::data_type dst_dt = requantized                ? memory::data_type::s8
                                     : y_bf16 && !stage_fp32 ? memory::data_type::bf16
                                                               : memory::data_type::f32;
    memory::desc dst_md = user_desc(g.batch, g.out_channels, win.out, g.dst_channels_last, dst_dt);
    memory::desc src_md = blocked_io_ ? memory::desc(src_plain.dims(), math_dt, any)
                          : bf16_     ? user_desc(g.batch, g.in_channels, win.in, g.src_channels_last, math_dt)
                                      : src_plain;
    memory::desc dst_choice = blocked_io_ ? memory::desc(dst_md.dims(), dst_dt, any) : dst_md;
    memory::desc w_any(wdims, bf16_ ? memory::data_type::bf16 : wei_dt, any);
    memory::desc b_md({w[0]}, memory::data_type::f32, memory::format_tag::a);

    dnnl::post_ops ops;
    // The residual Z is staged into the destination before the convolution and accumulated by a `sum`
    // post-op, which works in any layout (a binary post-op would pin the destination to Z's plain layout).
    if (has_sum_) ops.append_sum(1.0f);
    TANDEM_CHECK_OR_RETURN(!activation_after_ || (act.kind != ActivationKind::kNone && !requantized), kUnsupported,
                           "the activation afterwards needs one and a float destination");
    if (stage_fp32) act_staging_ = Tensor::make(DType::kFloat32, node_ctx.out(0).shape);
    act_ = place_activation(act, activation_after_, ops);
    // The output scales give the float result and the activation applies to it (most activations are not
    // scale-invariant); only then is it divided by Y_scale, as the QuantizeLinear this replaces did.
    if (requantized)
      ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_linear,
                         1.0f / node_ctx.in(kInt8YScale).constant->data<float>()[0], 0.0f);
    dnnl::primitive_attr attr;
    attr.set_post_ops(ops);
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    // int8: s32 accumulator * (X_scale * W_scale[o]) = the float result. oneDNN 2.x adds the bias to the
    // accumulator before the output scale, so the bias is stored divided by that scale.
    std::vector<float> out_scales;
    if (int8_) {
      const float xs = node_ctx.in(kInt8XScale).constant->data<float>()[0];
      const Tensor& ws = *node_ctx.in(kInt8WScale).constant;
      for (int64_t o = 0; o < ws.numel(); ++o) out_scales.push_back(xs * ws.data<float>()[o]);
      attr.set_output_scales(1 << 1, out_scales);
    }

    // Winograd F(2x2,3x3) / F(4x4,3x3) does 2.25-4x fewer multiplications than a direct 3x3 convolution and
    // runs 1.4-2.9x faster here (ResNet's 3x3 layers, one core), to within ~2e-6 of the direct result; oneDNN
    // offers it on nChw16c only, so it comes with reorders in and out, and the tactic search weighs those.
    const auto alg =
        winograd_ != Winograd::kNone ? dnnl::algorithm::convolution_winograd : dnnl::algorithm::convolution_direct;
    auto desc = has_bias_ ? dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference, alg, src_md, w_any,
                                                            b_md, dst_choice, strides, dil, pad_l, pad_r)
                          : dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference, alg, src_md, w_any,
                                                            dst_choice, strides, dil, pad_l, pad_r);
    dnnl::convolution_forward::primitive_desc pd(desc, attr, onednn_engine());
    if (winograd_ != Winograd::kNone) {  // the asked-for form, not just the first oneDNN offers
      const char* form = winograd_ == Winograd::kF2x3 ? "wino_2x3" : "wino_4x3";
      while (std::string(pd.impl_info_str()).find(form) == std::string::npos)
        TANDEM_CHECK_OR_RETURN(pd.next_impl(), kUnsupported, "oneDNN offers no %s convolution here", form);
    }

    // Pack the constant weights once into the layout the chosen implementation wants.
    const Tensor* wt = ctx.in(1).constant;
    if (int8_) wt = node_ctx.in(kInt8W).constant;
    memory::desc w_user(wdims, wei_dt, g.group == 1 ? memory::format_tag::oihw : memory::format_tag::goihw);
    memory w_src(w_user, onednn_engine(), const_cast<void*>(wt->raw()));
    memory w_packed(pd.weights_desc(), onednn_engine());
    dnnl::stream s(onednn_engine());
    dnnl::reorder(w_src, w_packed).execute(s, w_src, w_packed);
    s.wait();

    call_.init(dnnl::convolution_forward(pd), pd.impl_info_str());
    if (bf16_) call_.impl += "+bf16";
    if (activation_after_) call_.impl += "+act_after";
    if (pd.src_desc() != src_plain) {
      src_blocked_ = memory(pd.src_desc(), onednn_engine());
      src_user_ = memory(src_plain, onednn_engine(), nullptr);
      src_reorder_ = dnnl::reorder(src_user_, src_blocked_);
      call_.impl += "+reorder_in";
    }
    if (pd.dst_desc() != dst_md) {
      dst_blocked_ = memory(pd.dst_desc(), onednn_engine());
      dst_user_ = memory(dst_md, onednn_engine(), nullptr);
      dst_reorder_ = dnnl::reorder(dst_blocked_, dst_user_);
      if (has_sum_) dst_reorder_back_ = dnnl::reorder(dst_user_, dst_blocked_);
      call_.impl += "+reorder_out";
    }
    call_.args[DNNL_ARG_SRC] = src_blocked_ ? src_blocked_ : memory(pd.src_desc(), onednn_engine(), nullptr);
    call_.args[DNNL_ARG_WEIGHTS] = w_packed;
    call_.args[DNNL_ARG_DST] = dst_blocked_ ? dst_blocked_ : memory(pd.dst_desc(), onednn_engine(), nullptr);
    if (has_bias_) {
      bias_ = ctx.in(2).constant->clone();
      for (size_t o = 0; o < out_scales.size(); ++o) bias_.data<float>()[o] /= out_scales[o];
      call_.args[DNNL_ARG_BIAS] = memory(pd.bias_desc(), onednn_engine(), bias_.raw());
    }
    residual_input_ = int8_ ? kInt8Residual : 3;
    call_.add_scratchpad(pd.scratchpad_desc());
    return Status::ok();
  }

  Status run(std::span<const Tensor> in, std::span<Tensor> out) override {
    if (src_blocked_) {
      src_user_.set_data_handle(const_cast<void*>(in[0].raw()));
      execute_reorder(src_reorder_, call_.stream, src_user_, src_blocked_);
    } else {
      call_.bind(DNNL_ARG_SRC, in[0].raw());
    }
    void* y = act_staging_.defined() ? act_staging_.raw() : out[0].raw();
    if (!dst_blocked_) call_.bind(DNNL_ARG_DST, y);
    if (has_sum_) stage_residual(in[static_cast<size_t>(residual_input_)], out[0]);
    call_.execute();
    if (dst_blocked_) {
      dst_user_.set_data_handle(y);
      execute_reorder(dst_reorder_, call_.stream, dst_blocked_, dst_user_);
    }
    if (act_staging_.defined()) {
      act_.apply_to_bf16(act_staging_.data<float>(), static_cast<uint16_t*>(out[0].raw()), out[0].numel());
    } else if (activation_after_) {
      act_.apply_inplace(out[0].data<float>(), out[0].numel());
    }
    return Status::ok();
  }

  std::string impl_name() const override { return call_.impl; }

 private:
  void stage_residual(const Tensor& z, Tensor& out) {
    if (dst_blocked_) {
      dst_user_.set_data_handle(const_cast<void*>(z.raw()));
      execute_reorder(dst_reorder_back_, call_.stream, dst_user_, dst_blocked_);
    } else if (out.raw() != z.raw()) {
      std::memcpy(out.raw(), z.raw(), out.nbytes());
    }
  }

  OnednnCall call_;
  Activation act_;     // applied after the convolution (activation_after_)
  Tensor act_staging_;  // its fp32 input when Y is bf16
  Tensor bias_;
  bool blocked_io_ = true;
  bool has_bias_ = false, has_sum_ = false, int8_ = false, x_unsigned_ = false, bf16_ = false,
       activation_after_ = false;
  Winograd winograd_ = Winograd::kNone;
  int residual_input_ = 3;
  // Blocked-layout staging buffers, allocated once at prepare (empty when oneDNN takes plain NCHW).
  memory src_user_, src_blocked_, dst_user_, dst_blocked_;
  dnnl::reorder src_reorder_, dst_reorder_, dst_reorder_back_;
};

}  // namespace

std::unique_ptr<Kernel> make_onednn_conv(const OnednnConvOptions& options) {
  return std::make_unique<OnednnConv>(options);
}

}  // namespace tandem
