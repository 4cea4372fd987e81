// ArgMax and ArgMin: int64 index of the extreme value along one axis (first or last on ties).
#include <algorithm>

#include "ops/broadcast.h"
#include "ops/reduce_ops.h"

namespace tandem {
namespace {

struct ArgGeometry {
  int64_t outer = 1, n = 1, inner = 1;
  Shape out_shape;
};

Result<ArgGeometry> arg_geometry(const OpContext& ctx) {
  const Shape& s = ctx.in(0).shape;
  const auto rank = static_cast<int64_t>(s.size());
  if (rank == 0) return Status(Code::kInvalidArgument, "input 'data' must have rank >= 1, got a scalar");
  TANDEM_ASSIGN_OR_RETURN(const int64_t axis, normalize_axis(ctx.attrs().get_int("axis", 0), rank));
  const auto a = static_cast<size_t>(axis);
  if (s[a] == 0)
    return Status(Code::kInvalidArgument, format("cannot take the index of an empty axis %lld of %s",
                                                 static_cast<long long>(axis), shape_to_string(s).c_str()));
  ArgGeometry g;
  g.outer = dims_product(s, 0, a);
  g.n = s[a];
  g.inner = dims_product(s, a + 1, s.size());
  g.out_shape = s;
  if (ctx.attrs().get_int("keepdims", 1) != 0) {
    g.out_shape[a] = 1;
  } else {
    g.out_shape.erase(g.out_shape.begin() + axis);
  }
  return g;
}

Status infer_arg(OpContext& ctx) {
  const DType t = ctx.in(0).dtype;
  if (!dispatch_numeric(t, [](auto) {}))
    return Status(Code::kUnsupported,
                  format("%s on dtype %s is not supported", ctx.node->op_type.c_str(), dtype_name(t)));
  TANDEM_ASSIGN_OR_RETURN(ArgGeometry g, arg_geometry(ctx));
  ctx.set_output(0, DType::kInt64, g.out_shape);
  return Status::ok();
}

// `better(a, b)`: a replaces the current best b. Strict comparison keeps the first index on ties,
// non-strict (select_last_index) the last.
template <bool kMax, bool kLast, typename T>
inline bool better(T a, T b) {
  if constexpr (kMax) return kLast ? a >= b : a > b;
  return kLast ? a <= b : a < b;
}

// Up to kBlock columns of an [n, inner] slab, scanned row by row so the inner loop is contiguous.
constexpr int64_t kBlock = 64;

template <bool kMax, bool kLast, typename T>
void arg_columns(const T* x, int64_t* y, int64_t n, int64_t inner, int64_t width) {
  T best[kBlock];
  for (int64_t i = 0; i < width; ++i) {
    best[i] = x[i];
    y[i] = 0;
  }
  for (int64_t k = 1; k < n; ++k) {
    const T* row = x + k * inner;
    for (int64_t i = 0; i < width; ++i) {
      if (better<kMax, kLast>(row[i], best[i])) {
        best[i] = row[i];
        y[i] = k;
      }
    }
  }
}

template <bool kMax>
class ArgKernel final : public Kernel {
 public:
  Status prepare(const OpContext& ctx) override {
    TANDEM_ASSIGN_OR_RETURN(g_, arg_geometry(ctx));
    last_ = ctx.attrs().get_int("select_last_index", 0) != 0;
    dtype_ = ctx.in(0).dtype;
    return Status::ok();
  }

  Status run(std::span<const Tensor> in, std::span<Tensor> out) override {
    dispatch_numeric(dtype_, [&](auto tag) {
      using T = decltype(tag);
      if (last_) {
        run_typed<true>(in[0].data<T>(), out[0].data<int64_t>());
      } else {
        run_typed<false>(in[0].data<T>(), out[0].data<int64_t>());
      }
    });
    return Status::ok();
  }

 private:
  template <bool kLast, typename T>
  void run_typed(const T* x, int64_t* y) const {
    const int64_t outer = g_.outer, n = g_.n, inner = g_.inner;
    const int64_t blocks = (inner + kBlock - 1) / kBlock;
#pragma omp parallel for if (outer * n * inner > (1 << 15)) schedule(static)
    for (int64_t t = 0; t < outer * blocks; ++t) {
      const int64_t o = t / blocks, i0 = (t % blocks) * kBlock;
      arg_columns<kMax, kLast>(x + o * n * inner + i0, y + o * inner + i0, n, inner, std::min(kBlock, inner - i0));
    }
  }

  ArgGeometry g_;
  bool last_ = false;
  DType dtype_ = DType::kFloat32;
};

}  // namespace

void register_arg_ops(OpRegistry& r) {
  r.add(onnx_schema("ArgMax", infer_arg, make_reduce_kernel<ArgKernel<true>>));
  r.add(onnx_schema("ArgMin", infer_arg, make_reduce_kernel<ArgKernel<false>>));
}

}  // namespace tandem
