// Ops that produce tensors from attributes or shapes: Constant, ConstantOfShape, Range, Expand.
#include <algorithm>
#include <cmath>

#include "ops/broadcast.h"
#include "ops/shape_ops.h"
#include "ops/tensor_copy.h"

namespace tandem {
namespace {

// ---- Constant: one of value / value_float(s) / value_int(s). Strings and sparse tensors are not held.

Result<Tensor> constant_value(const Attributes& attrs) {
  for (const char* name : {"sparse_value", "value_string", "value_strings"}) {
    if (attrs.has(name)) return Status(Code::kUnsupported, format("attribute '%s' is not supported", name));
  }
  if (const Tensor* t = attrs.get_tensor("value")) {
    TANDEM_RETURN_IF_ERROR(check_fixed_size(t->dtype(), "attribute 'value'"));
    return *t;
  }
  if (const Attribute* a = attrs.find("value_float"); a && a->kind == Attribute::Kind::kFloat)
    return Tensor::scalar<float>(a->f);
  if (const Attribute* a = attrs.find("value_int"); a && a->kind == Attribute::Kind::kInt)
    return Tensor::scalar<int64_t>(a->i);
  if (const Attribute* a = attrs.find("value_floats"); a && a->kind == Attribute::Kind::kFloats)
    return Tensor::from_vector<float>({static_cast<int64_t>(a->floats.size())}, a->floats);
  if (const Attribute* a = attrs.find("value_ints"); a && a->kind == Attribute::Kind::kInts)
    return Tensor::from_vector<int64_t>({static_cast<int64_t>(a->ints.size())}, a->ints);
  return Status(Code::kInvalidArgument, "Constant needs one of the attributes 'value', 'value_float(s)', 'value_int(s)'");
}

Status infer_constant(OpContext& ctx) {
  TANDEM_ASSIGN_OR_RETURN(Tensor value, constant_value(ctx.attrs()));
  ctx.set_output(0, value.dtype(), value.shape());
  return Status::ok();
}

class ConstantKernel : public Kernel {
 public:
  Status prepare(const OpContext& ctx) override {
    TANDEM_ASSIGN_OR_RETURN(value_, constant_value(ctx.attrs()));
    return Status::ok();
  }
  Status run(std::span<const Tensor> in, std::span<Tensor> out) override {
    (void)in;
    copy_unless_aliased(value_, out[0]);
    return Status::ok();
  }

 private:
  Tensor value_;
};

// ---- ConstantOfShape: the output fills a shape given by value with the one element of attribute 'value'.

Result<Tensor> fill_value(const Attributes& attrs) {
  const Tensor* t = attrs.get_tensor("value");
  if (!t) return Tensor::scalar<float>(0.0f);
  TANDEM_RETURN_IF_ERROR(check_fixed_size(t->dtype(), "attribute 'value'"));
  if (t->numel() != 1)
    return Status(Code::kInvalidArgument,
                  format("attribute 'value' must hold one element, got shape %s", shape_to_string(t->shape()).c_str()));
  return *t;
}

Status infer_constant_of_shape(OpContext& ctx) {
  TANDEM_ASSIGN_OR_RETURN(Tensor value, fill_value(ctx.attrs()));
  TANDEM_ASSIGN_OR_RETURN(std::vector<int64_t> shape, constant_ints(ctx, 0, "input"));
  for (int64_t d : shape)
    TANDEM_CHECK_OR_RETURN(d >= 0, kInvalidArgument, "input 'input' %s has a negative dimension",
                           shape_to_string(shape).c_str());
  ctx.set_output(0, value.dtype(), shape);
  return Status::ok();
}

class ConstantOfShapeKernel : public Kernel {
 public:
  Status prepare(const OpContext& ctx) override {
    TANDEM_ASSIGN_OR_RETURN(value_, fill_value(ctx.attrs()));
    return Status::ok();
  }
  Status run(std::span<const Tensor> in, std::span<Tensor> out) override {
    (void)in;
    fill_elements(out[0].raw(), out[0].numel(), value_.raw(), dtype_size(value_.dtype()));
    return Status::ok();
  }

 private:
  Tensor value_;
};

// ---- Range: max(ceil((limit - start) / delta), 0) elements start, start + delta, ...

Result<int64_t> range_count(const Tensor& start, const Tensor& limit, const Tensor& delta) {
  if (start.numel() != 1 || limit.numel() != 1 || delta.numel() != 1)
    return Status(Code::kInvalidArgument, "Range inputs must be scalars");
  if (dtype_is_float(start.dtype())) {
    double s = start.float_at(0), l = limit.float_at(0), d = delta.float_at(0);
    const double n = std::ceil((l - s) / d);
    if (d == 0.0 || !std::isfinite(s) || !std::isfinite(l) || !std::isfinite(d) || !(n < 0x1p62))
      return Status(Code::kInvalidArgument, format("Range(%g, %g, %g) has no finite length", s, l, d));
    return std::max<int64_t>(static_cast<int64_t>(n), 0);
  }
  int64_t s = start.int_at(0), l = limit.int_at(0), d = delta.int_at(0);
  if (d == 0) return Status(Code::kInvalidArgument, "Range delta is 0");
  // Integer ceil division, exact where doubles would round; in 128 bits, as limit - start may not fit in 64.
  const __int128 diff = static_cast<__int128>(l) - s;
  const __int128 n = diff / d + ((diff % d != 0 && ((diff < 0) == (d < 0))) ? 1 : 0);
  if (n > (__int128{1} << 62))
    return Status(Code::kInvalidArgument, format("Range(%lld, %lld, %lld) has over 2^62 elements",
                                                 static_cast<long long>(s), static_cast<long long>(l),
                                                 static_cast<long long>(d)));
  return std::max<int64_t>(static_cast<int64_t>(n), 0);
}

Status infer_range(OpContext& ctx) {
  DType t = ctx.in(0).dtype;
  TANDEM_CHECK_OR_RETURN(t == DType::kFloat32 || t == DType::kFloat64 || t == DType::kInt16 || t == DType::kInt32 ||
                             t == DType::kInt64,
                         kUnsupported, "Range of dtype %s is not supported", dtype_name(t));
  for (int i = 0; i < 3; ++i) {
    TANDEM_CHECK_OR_RETURN(ctx.has_input(i) && ctx.in(i).constant, kUnsupported, "input %d of Range must be constant", i);
    TANDEM_CHECK_OR_RETURN(ctx.in(i).dtype == t, kInvalidArgument, "Range inputs mix %s and %s", dtype_name(t),
                           dtype_name(ctx.in(i).dtype));
  }
  TANDEM_ASSIGN_OR_RETURN(int64_t n, range_count(*ctx.in(0).constant, *ctx.in(1).constant, *ctx.in(2).constant));
  ctx.set_output(0, t, {n});
  return Status::ok();
}

class RangeKernel : public Kernel {
 public:
  Status run(std::span<const Tensor> in, std::span<Tensor> out) override {
    Tensor& y = out[0];
    dispatch_numeric(y.dtype(), [&](auto tag) {
      using T = decltype(tag);
      T start = *in[0].data<T>();
      T delta = *in[2].data<T>();
      T* p = y.data<T>();
      for (int64_t i = 0; i < y.numel(); ++i) p[i] = static_cast<T>(start + static_cast<T>(i) * delta);
    });
    return Status::ok();
  }
};

// ---- Expand: numpy broadcast of the input against a shape, both ways (the shape may have 1s).

Status infer_expand(OpContext& ctx) {
  TANDEM_RETURN_IF_ERROR(check_fixed_size(ctx.in(0).dtype, "input 'input'"));
  TANDEM_ASSIGN_OR_RETURN(std::vector<int64_t> shape, constant_ints(ctx, 1, "shape"));
  TANDEM_ASSIGN_OR_RETURN(Shape out, broadcast_shapes(ctx.in(0).shape, shape));
  ctx.set_output(0, ctx.in(0).dtype, out);
  return Status::ok();
}

class ExpandKernel : public StridedCopyKernel {
 public:
  Status prepare(const OpContext& ctx) override {
    const Shape& out = ctx.out(0).shape;
    return copy_.plan(out, broadcast_strides(ctx.in(0).shape, out), 0, dtype_size(ctx.in(0).dtype));
  }
};

}  // namespace

void register_shape_generator_ops(OpRegistry& r) {
  r.add(onnx_schema("Constant", infer_constant, make_kernel<ConstantKernel>));
  r.add(onnx_schema("ConstantOfShape", infer_constant_of_shape, make_kernel<ConstantOfShapeKernel>, {0}));
  r.add(onnx_schema("Range", infer_range, make_kernel<RangeKernel>, {0, 1, 2}));
  r.add(onnx_schema("Expand", infer_expand, make_kernel<ExpandKernel>, {1}));
}

}  // namespace tandem
