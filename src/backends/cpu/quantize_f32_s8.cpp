// QuantizeLinear / DequantizeLinear with one scale and a zero point of 0 (symmetric int8, the only form
// calibration and the int8 pass produce): the vectorised quantizer of src/quant instead of the reference
// loop's per-element division and rounding calls. Other forms (per axis, uint8, zero points) keep the
// reference kernel.
#include "backends/cpu/cpu_kernels.h"
#include "quant/quantize_kernels.h"

namespace tandem {
namespace {

bool symmetric_int8(const OpContext& ctx, DType quantized) {
  if (!ctx.in(1).constant || ctx.in(1).dtype != DType::kFloat32 || ctx.in(1).constant->numel() != 1) return false;
  if (!ctx.has_input(2)) return false;  // no zero point: uint8 output
  const OperandInfo& zp = ctx.in(2);
  return zp.constant && zp.dtype == quantized && zp.constant->numel() == 1 && zp.constant->int_at(0) == 0;
}

class QuantizeS8 final : public Kernel {
 public:
  explicit QuantizeS8(bool dequantize) : dequantize_(dequantize) {}
  Status prepare(const OpContext& ctx) override {
    scale_ = ctx.in(1).constant->data<float>()[0];
    return Status::ok();
  }
  Status run(std::span<const Tensor> in, std::span<Tensor> out) override {
    if (dequantize_) dequantize_s8_to_f32(in[0].data<int8_t>(), out[0].data<float>(), in[0].numel(), scale_);
    else quantize_f32_to_s8(in[0].data<float>(), out[0].data<int8_t>(), in[0].numel(), scale_);
    return Status::ok();
  }
  std::string impl_name() const override { return dequantize_ ? "dequantize_s8_f32" : "quantize_f32_s8"; }

 private:
  bool dequantize_;
  float scale_ = 1;
};

}  // namespace

std::unique_ptr<Kernel> make_quantize_s8(const OpContext& ctx) {
  const Node& n = *ctx.node;
  if (!n.domain.empty()) return nullptr;
  if (n.op_type == "QuantizeLinear" && ctx.in(0).dtype == DType::kFloat32 && symmetric_int8(ctx, DType::kInt8))
    return std::make_unique<QuantizeS8>(false);
  if (n.op_type == "DequantizeLinear" && ctx.in(0).dtype == DType::kInt8 && symmetric_int8(ctx, DType::kInt8))
    return std::make_unique<QuantizeS8>(true);
  return nullptr;
}

}  // namespace tandem
