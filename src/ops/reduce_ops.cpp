// Reduce* ops (Sum, Mean, Max, Min, Prod, L1, L2, SumSquare, LogSum, LogSumExp) and the family's registry.
#include "ops/reduce_ops.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include "ops/broadcast.h"

namespace tandem {
namespace {

enum class ReduceKind { kSum, kMean, kMax, kMin, kProd, kL1, kL2, kSumSquare, kLogSum, kLogSumExp };

// Which dims are reduced and the output shape. Axes come from the `axes` attribute, or from input 1
// (ReduceSum from opset 13, the others from opset 18); no axes means all, unless noop_with_empty_axes.
struct ReducePlan {
  std::vector<bool> reduced;  // per input dim
  Shape out_shape;
  bool noop = false;  // empty axes with noop_with_empty_axes: the output is the input
};

Result<ReducePlan> plan_reduction(const OpContext& ctx) {
  const Shape& s = ctx.in(0).shape;
  const auto rank = static_cast<int64_t>(s.size());
  const bool keepdims = ctx.attrs().get_int("keepdims", 1) != 0;
  std::vector<int64_t> axes;
  bool noop_if_empty = false;
  if (ctx.has_input(1)) {
    const Tensor* t = ctx.in(1).constant;
    if (!t) return Status(Code::kUnsupported, "input 'axes' must be constant");
    if (dtype_is_float(t->dtype()) || dtype_size(t->dtype()) == 0)
      return Status(Code::kInvalidArgument, format("input 'axes' must be int64, got %s", dtype_name(t->dtype())));
    axes = t->to_int_vector();
    noop_if_empty = ctx.attrs().get_int("noop_with_empty_axes", 0) != 0;
  } else {
    axes = ctx.attrs().get_ints("axes");
    noop_if_empty = ctx.attrs().get_int("noop_with_empty_axes", 0) != 0 && !ctx.attrs().has("axes");
  }
  ReducePlan p;
  p.noop = axes.empty() && noop_if_empty;
  p.reduced.assign(s.size(), axes.empty() && !noop_if_empty);
  for (int64_t a : axes) {
    TANDEM_ASSIGN_OR_RETURN(const int64_t axis, normalize_axis(a, rank));
    if (p.reduced[static_cast<size_t>(axis)])
      return Status(Code::kInvalidArgument,
                    format("axes %s name axis %lld twice", shape_to_string(axes).c_str(), static_cast<long long>(a)));
    p.reduced[static_cast<size_t>(axis)] = true;
  }
  for (size_t d = 0; d < s.size(); ++d) {
    if (!p.reduced[d]) {
      p.out_shape.push_back(s[d]);
    } else if (keepdims) {
      p.out_shape.push_back(1);
    }
  }
  return p;
}

Status infer_reduce(OpContext& ctx) {
  const DType t = ctx.in(0).dtype;
  bool numeric = dispatch_numeric(t, [](auto) {});
  if (!numeric)
    return Status(Code::kUnsupported,
                  format("%s on dtype %s is not supported", ctx.node->op_type.c_str(), dtype_name(t)));
  TANDEM_ASSIGN_OR_RETURN(ReducePlan p, plan_reduction(ctx));
  ctx.set_output(0, t, p.out_shape);
  return Status::ok();
}

// The fold of one reduction: init, step (one input element), combine (two partial accumulators), finish.
template <ReduceKind K, typename T>
struct ReduceOp {
  static T init() {
    if constexpr (K == ReduceKind::kMax) return std::numeric_limits<T>::lowest();
    if constexpr (K == ReduceKind::kMin) return std::numeric_limits<T>::max();
    if constexpr (K == ReduceKind::kProd) return T(1);
    return T(0);
  }
  static T step(T acc, T x) {
    if constexpr (K == ReduceKind::kMax) return std::max(acc, x);
    if constexpr (K == ReduceKind::kMin) return std::min(acc, x);
    if constexpr (K == ReduceKind::kProd) return static_cast<T>(acc * x);
    if constexpr (K == ReduceKind::kL1) {
      if constexpr (std::is_signed_v<T>) return static_cast<T>(acc + (x < 0 ? -x : x));
    }
    if constexpr (K == ReduceKind::kL2 || K == ReduceKind::kSumSquare) return static_cast<T>(acc + x * x);
    return static_cast<T>(acc + x);
  }
  static T combine(T a, T b) {
    if constexpr (K == ReduceKind::kMax) return std::max(a, b);
    if constexpr (K == ReduceKind::kMin) return std::min(a, b);
    if constexpr (K == ReduceKind::kProd) return static_cast<T>(a * b);
    return static_cast<T>(a + b);
  }
  static T finish(T acc, int64_t n) {
    if constexpr (K == ReduceKind::kMean) return static_cast<T>(acc / static_cast<T>(n == 0 ? 1 : n));
    if constexpr (K == ReduceKind::kL2) return static_cast<T>(std::sqrt(static_cast<double>(acc)));
    if constexpr (K == ReduceKind::kLogSum) return static_cast<T>(std::log(static_cast<double>(acc)));
    return acc;
  }
};

// Eight independent partial accumulators let the compiler vectorise a contiguous fold without -ffast-math.
template <ReduceKind K, typename T>
T fold_contiguous(const T* x, int64_t n) {
  using Op = ReduceOp<K, T>;
  T acc[8];
  for (T& a : acc) a = Op::init();
  int64_t k = 0;
  for (; k + 8 <= n; k += 8)
    for (int j = 0; j < 8; ++j) acc[j] = Op::step(acc[j], x[k + j]);
  for (; k < n; ++k) acc[0] = Op::step(acc[0], x[k]);
  for (int j = 1; j < 8; ++j) acc[0] = Op::combine(acc[0], acc[j]);
  return acc[0];
}

// Dims with the same role merged and size-1 dims dropped: a reduction over one group is [outer, R, inner].
struct DimGroup {
  int64_t size;
  int64_t stride;  // input element stride of the group's last dim
  bool reduced;
};

std::vector<DimGroup> merge_dims(const Shape& s, const std::vector<bool>& reduced) {
  std::vector<DimGroup> g;
  const std::vector<int64_t> strides = contiguous_strides(s);
  for (size_t d = 0; d < s.size(); ++d) {
    if (s[d] == 1) continue;
    if (!g.empty() && g.back().reduced == reduced[d]) {
      g.back().size *= s[d];
      g.back().stride = strides[d];
    } else {
      g.push_back({s[d], strides[d], reduced[d]});
    }
  }
  return g;
}

template <ReduceKind K>
class ReduceKernel final : public Kernel {
 public:
  Status prepare(const OpContext& ctx) override {
    TANDEM_ASSIGN_OR_RETURN(ReducePlan p, plan_reduction(ctx));
    dtype_ = ctx.in(0).dtype;
    count_ = 1;
    for (size_t d = 0; d < p.reduced.size(); ++d)
      if (p.reduced[d]) count_ *= ctx.in(0).shape[d];
    noop_ = p.noop;
    const std::vector<DimGroup> g = merge_dims(ctx.in(0).shape, p.reduced);
    size_t n_reduced = 0;
    for (const DimGroup& d : g) {
      n_reduced += d.reduced ? 1 : 0;
      (d.reduced ? reduced_ : kept_).push_back(d);
    }
    if (reduced_.size() > kMaxGroups)
      return Status(Code::kUnsupported, format("%zu separate groups of reduced axes are not supported (at most %zu)",
                                               reduced_.size(), kMaxGroups));
    // A single reduced group gives the [outer, R, inner] fast paths; several fall back to an odometer.
    single_group_ = n_reduced <= 1;
    outer_ = 1, inner_ = 1;
    bool after = false;
    for (const DimGroup& d : g) {
      if (d.reduced) {
        after = true;
      } else {
        (after ? inner_ : outer_) *= d.size;
      }
    }
    out_numel_ = shape_numel(ctx.out(0).shape);
    return Status::ok();
  }

  Status run(std::span<const Tensor> in, std::span<Tensor> out) override {
    if (noop_) {
      if (out[0].raw() != in[0].raw() && in[0].nbytes() != 0) std::memcpy(out[0].raw(), in[0].raw(), in[0].nbytes());
      return Status::ok();
    }
    dispatch_numeric(dtype_, [&](auto tag) {
      using T = decltype(tag);
      run_typed<T>(in[0].data<T>(), out[0].data<T>());
    });
    return Status::ok();
  }

 private:
  template <typename T>
  void run_typed(const T* x, T* y) const {
    using Op = ReduceOp<K, T>;
    const int64_t R = count_, I = inner_, O = outer_;
    const bool big = out_numel_ * R > (1 << 15);
    if (single_group_ && K != ReduceKind::kLogSumExp && I == 1) {
#pragma omp parallel for if (big) schedule(static)
      for (int64_t o = 0; o < O; ++o) y[o] = Op::finish(fold_contiguous<K, T>(x + o * R, R), R);
      return;
    }
    if (single_group_ && K != ReduceKind::kLogSumExp) {
      // Accumulate runs of inner elements at a time: contiguous, so the loop over i vectorises. Blocks of the
      // inner dim are tasks of their own so a reduction over C of one NCHW image still uses every thread.
      constexpr int64_t kBlock = 1024;
      const int64_t blocks = (I + kBlock - 1) / kBlock;
#pragma omp parallel for if (big) schedule(static)
      for (int64_t t = 0; t < O * blocks; ++t) {
        const int64_t o = t / blocks, i0 = (t % blocks) * kBlock, w = std::min(kBlock, I - i0);
        T* yo = y + o * I + i0;
        const T* xo = x + o * R * I + i0;
        for (int64_t i = 0; i < w; ++i) yo[i] = Op::init();
        for (int64_t r = 0; r < R; ++r)
          for (int64_t i = 0; i < w; ++i) yo[i] = Op::step(yo[i], xo[r * I + i]);
        for (int64_t i = 0; i < w; ++i) yo[i] = Op::finish(yo[i], R);
      }
      return;
    }
#pragma omp parallel for if (big) schedule(static)
    for (int64_t q = 0; q < out_numel_; ++q) y[q] = reduce_one<T>(x + base_offset(q));
  }

  // Input offset of the first element reduced into output element q (kept dims in output order).
  int64_t base_offset(int64_t q) const {
    int64_t off = 0;
    for (size_t k = kept_.size(); k-- > 0;) {
      off += (q % kept_[k].size) * kept_[k].stride;
      q /= kept_[k].size;
    }
    return off;
  }

  // Visits every reduced element of one output element, walking the reduced groups as an odometer.
  template <typename F>
  void for_each_reduced(F&& f) const {
    if (count_ == 0) return;
    int64_t idx[kMaxGroups] = {};
    const size_t n = reduced_.size();
    int64_t off = 0;
    for (int64_t k = 0; k < count_; ++k) {
      f(off);
      for (size_t d = n; d-- > 0;) {
        off += reduced_[d].stride;
        if (++idx[d] < reduced_[d].size) break;
        off -= reduced_[d].stride * reduced_[d].size;
        idx[d] = 0;
      }
    }
  }

  template <typename T>
  T reduce_one(const T* x) const {
    using Op = ReduceOp<K, T>;
    if constexpr (K == ReduceKind::kLogSumExp) {
      // log(sum(exp(x))) = m + log(sum(exp(x - m))) with m the max, so large inputs do not overflow.
      if (count_ == 0) return static_cast<T>(-std::numeric_limits<double>::infinity());
      T m = x[0];
      for_each_reduced([&](int64_t off) { m = std::max(m, x[off]); });
      double sum = 0;
      for_each_reduced([&](int64_t off) { sum += std::exp(static_cast<double>(x[off]) - static_cast<double>(m)); });
      return static_cast<T>(static_cast<double>(m) + std::log(sum));
    } else {
      T acc = Op::init();
      for_each_reduced([&](int64_t off) { acc = Op::step(acc, x[off]); });
      return Op::finish(acc, count_);
    }
  }

  static constexpr size_t kMaxGroups = 16;
  DType dtype_ = DType::kFloat32;
  bool noop_ = false;
  int64_t count_ = 1, outer_ = 1, inner_ = 1, out_numel_ = 0;
  bool single_group_ = true;
  std::vector<DimGroup> kept_, reduced_;
};

template <ReduceKind K>
void add_reduce(OpRegistry& r, const char* name) {
  // Input 1 (axes) decides the output shape where an opset defines it (ReduceSum 13, the rest 18).
  r.add(onnx_schema(name, infer_reduce, make_reduce_kernel<ReduceKernel<K>>, {1}));
}

}  // namespace

void register_reduce_ops(OpRegistry& r) {
  add_reduce<ReduceKind::kSum>(r, "ReduceSum");
  add_reduce<ReduceKind::kMean>(r, "ReduceMean");
  add_reduce<ReduceKind::kMax>(r, "ReduceMax");
  add_reduce<ReduceKind::kMin>(r, "ReduceMin");
  add_reduce<ReduceKind::kProd>(r, "ReduceProd");
  add_reduce<ReduceKind::kL1>(r, "ReduceL1");
  add_reduce<ReduceKind::kL2>(r, "ReduceL2");
  add_reduce<ReduceKind::kSumSquare>(r, "ReduceSumSquare");
  add_reduce<ReduceKind::kLogSum>(r, "ReduceLogSum");
  add_reduce<ReduceKind::kLogSumExp>(r, "ReduceLogSumExp");
  register_softmax_ops(r);
  register_layer_norm_ops(r);
  register_arg_ops(r);
}

}  // namespace tandem
