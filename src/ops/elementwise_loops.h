// The elementwise core shared by every pointwise op: dtype sets and dispatch (half types compute in float),
// a broadcast plan built once in prepare(), and unary/binary/ternary loops that vectorise per contiguous run.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <type_traits>

#include "core/dtype.h"
#include "core/status.h"
#include "core/tensor.h"
#include "ops/op_registry.h"

namespace tandem::elementwise {

// ---- Element types ------------------------------------------------------------------------------------

// Storage tags for the 16-bit float types: they are loaded to float, computed on, and rounded back.
struct Float16 { uint16_t bits; };
struct BFloat16 { uint16_t bits; };

// Compute<T>: the type arithmetic happens in, and the load/store conversions (identity for most types).
template <typename T> struct Compute {
  using type = T;
  static T load(T v) { return v; }
  static T store(T v) { return v; }
};
template <> struct Compute<Float16> {
  using type = float;
  static float load(Float16 v) { return half_to_float(v.bits); }
  static Float16 store(float v) { return {float_to_half(v)}; }
};
template <> struct Compute<BFloat16> {
  using type = float;
  static float load(BFloat16 v) { return bfloat16_to_float(v.bits); }
  static BFloat16 store(float v) { return {float_to_bfloat16(v)}; }
};

// Sets of dtypes an op accepts, as a bit mask, so dispatch instantiates only meaningful combinations.
enum TypeSet : unsigned {
  kF32 = 1u << 0, kF64 = 1u << 1, kF16 = 1u << 2, kBF16 = 1u << 3,
  kSInt = 1u << 4,   // int8/16/32/64
  kUInt = 1u << 5,   // uint8/16/32/64
  kBoolT = 1u << 6,
  kFloatTypes = kF32 | kF64 | kF16 | kBF16,
  kIntTypes = kSInt | kUInt,
  kNumeric = kFloatTypes | kIntTypes,
  kAllTypes = kNumeric | kBoolT,
};

unsigned type_bit(DType t);  // 0 for types no elementwise op handles (string, undefined)
inline bool type_in(DType t, unsigned set) { return (type_bit(t) & set) != 0; }

// Calls f(T{}) with the storage type of `t` if `t` is in `Set`; returns false otherwise.
// (dtype.h's dispatch_numeric, extended with the half types and bool, restricted to what the op needs.)
template <unsigned Set, typename F>
bool dispatch(DType t, F&& f) {
  switch (t) {
    case DType::kFloat32: if constexpr ((Set & kF32) != 0) { f(float{}); return true; } break;
    case DType::kFloat64: if constexpr ((Set & kF64) != 0) { f(double{}); return true; } break;
    case DType::kFloat16: if constexpr ((Set & kF16) != 0) { f(Float16{}); return true; } break;
    case DType::kBFloat16: if constexpr ((Set & kBF16) != 0) { f(BFloat16{}); return true; } break;
    case DType::kInt8: if constexpr ((Set & kSInt) != 0) { f(int8_t{}); return true; } break;
    case DType::kInt16: if constexpr ((Set & kSInt) != 0) { f(int16_t{}); return true; } break;
    case DType::kInt32: if constexpr ((Set & kSInt) != 0) { f(int32_t{}); return true; } break;
    case DType::kInt64: if constexpr ((Set & kSInt) != 0) { f(int64_t{}); return true; } break;
    case DType::kUInt8: if constexpr ((Set & kUInt) != 0) { f(uint8_t{}); return true; } break;
    case DType::kUInt16: if constexpr ((Set & kUInt) != 0) { f(uint16_t{}); return true; } break;
    case DType::kUInt32: if constexpr ((Set & kUInt) != 0) { f(uint32_t{}); return true; } break;
    case DType::kUInt64: if constexpr ((Set & kUInt) != 0) { f(uint64_t{}); return true; } break;
    case DType::kBool: if constexpr ((Set & kBoolT) != 0) { f(bool{}); return true; } break;
    default: break;
  }
  return false;
}

// Integer arithmetic that wraps like the hardware instead of hitting signed-overflow UB
// (int16 * int16 promotes to int and can overflow; uint16 * uint16 too).
template <typename T>
using WrapType = std::conditional_t<(sizeof(T) < sizeof(unsigned)), unsigned, std::make_unsigned_t<T>>;
template <typename T> T wrap_add(T a, T b) {
  if constexpr (std::is_integral_v<T>) return static_cast<T>(static_cast<WrapType<T>>(a) + static_cast<WrapType<T>>(b));
  else return a + b;
}
template <typename T> T wrap_sub(T a, T b) {
  if constexpr (std::is_integral_v<T>) return static_cast<T>(static_cast<WrapType<T>>(a) - static_cast<WrapType<T>>(b));
  else return a - b;
}
template <typename T> T wrap_mul(T a, T b) {
  if constexpr (std::is_integral_v<T>) return static_cast<T>(static_cast<WrapType<T>>(a) * static_cast<WrapType<T>>(b));
  else return a * b;
}

// Float to integer without UB: NaN -> 0, out-of-range saturates.
template <typename To, typename From>
To saturate_cast(From v) {
  if constexpr (std::is_floating_point_v<From> && std::is_integral_v<To> && !std::is_same_v<To, bool>) {
    constexpr double lo = static_cast<double>(std::numeric_limits<To>::lowest());
    constexpr double hi = static_cast<double>(std::numeric_limits<To>::max());
    double d = static_cast<double>(v);
    if (!(d == d)) return To{0};
    if (d <= lo) return std::numeric_limits<To>::lowest();
    if (d >= hi) return std::numeric_limits<To>::max();
    return static_cast<To>(d);
  } else {
    return static_cast<To>(v);
  }
}

// Parallelise only loops long enough to pay for waking the thread team.
inline constexpr int64_t kParallelThreshold = int64_t{1} << 15;
inline constexpr int64_t kChunk = int64_t{1} << 14;

// ---- Broadcast plan -----------------------------------------------------------------------------------

inline constexpr int kMaxOperands = 3;
inline constexpr int kMaxDims = 16;

// How each input walks a row-major output. Built once in prepare(): size-1 output dims are dropped and
// neighbouring dims merged whenever every operand steps through them as one, so same-shape operands become
// one flat run, [N,C,H,W] + [C,1,1] becomes runs of H*W against a scalar, [..,C] + [C] runs of C.
struct BroadcastPlan {
  int num_inputs = 0;
  int rank = 1;  // collapsed, >= 1
  int64_t numel = 0;
  std::array<int64_t, kMaxDims> dims{};
  std::array<std::array<int64_t, kMaxDims>, kMaxOperands> strides{};  // element strides, 0 on broadcast

  static Result<BroadcastPlan> make(std::span<const Shape> inputs, const Shape& out);
  int64_t inner() const { return dims[static_cast<size_t>(rank - 1)]; }
  // True if input k advances along the innermost run (stride 1), false if it repeats one value (stride 0).
  bool inner_moves(int k) const { return strides[static_cast<size_t>(k)][static_cast<size_t>(rank - 1)] != 0; }
};

using Offsets = std::array<int64_t, kMaxOperands>;

// Calls fn(in_offsets, out_offset, n) for every run of n outputs along the innermost dim, where input k's
// elements are at in_offsets[k] + i * (inner_moves(k) ? 1 : 0). Parallel over fixed chunks of the output.
template <typename Fn>
void for_each_run(const BroadcastPlan& p, Fn&& fn) {
  const int64_t total = p.numel;
  if (total <= 0) return;
  const int last = p.rank - 1;
  const int64_t inner = p.dims[static_cast<size_t>(last)];
  const int64_t nchunks = (total + kChunk - 1) / kChunk;
#pragma omp parallel for if (total > kParallelThreshold) schedule(static)
  for (int64_t c = 0; c < nchunks; ++c) {
    const int64_t begin = c * kChunk;
    const int64_t end = std::min(total, begin + kChunk);
    std::array<int64_t, kMaxDims> idx{};
    Offsets off{};
    int64_t rem = begin;
    for (int d = last; d >= 0; --d) {
      const auto du = static_cast<size_t>(d);
      idx[du] = rem % p.dims[du];
      rem /= p.dims[du];
      for (int k = 0; k < p.num_inputs; ++k) off[static_cast<size_t>(k)] += idx[du] * p.strides[static_cast<size_t>(k)][du];
    }
    int64_t pos = begin;
    while (pos < end) {
      const int64_t n = std::min(inner - idx[static_cast<size_t>(last)], end - pos);
      fn(static_cast<const Offsets&>(off), pos, n);
      pos += n;
      for (int k = 0; k < p.num_inputs; ++k) off[static_cast<size_t>(k)] += n * p.strides[static_cast<size_t>(k)][static_cast<size_t>(last)];
      idx[static_cast<size_t>(last)] += n;
      // Carry into the outer dims (odometer), rewinding each input's offset for the dims that wrapped.
      for (int d = last; d > 0 && idx[static_cast<size_t>(d)] == p.dims[static_cast<size_t>(d)]; --d) {
        const auto du = static_cast<size_t>(d);
        idx[du] = 0;
        ++idx[du - 1];
        for (int k = 0; k < p.num_inputs; ++k) {
          const auto& s = p.strides[static_cast<size_t>(k)];
          off[static_cast<size_t>(k)] += s[du - 1] - p.dims[du] * s[du];
        }
      }
    }
  }
}

// ---- Loops ------------------------------------------------------------------------------------------

// out[i] = op(in[i]) over a contiguous range. `Out` may differ from `In` (comparisons, Cast).
template <typename In, typename Out, typename Op>
void unary_loop(const Op& op, const In* in, Out* out, int64_t n) {
  using CIn = Compute<In>;
  using COut = Compute<Out>;
  const int64_t nchunks = (n + kChunk - 1) / kChunk;
#pragma omp parallel for if (n > kParallelThreshold) schedule(static)
  for (int64_t c = 0; c < nchunks; ++c) {
    const int64_t end = std::min(n, (c + 1) * kChunk);
    for (int64_t i = c * kChunk; i < end; ++i) out[i] = COut::store(op(CIn::load(in[i])));
  }
}

// Result storage type of a binary op on T: bool for predicates, T otherwise.
template <typename Op, typename T>
using BinaryOut = std::conditional_t<
    std::is_same_v<decltype(std::declval<const Op&>()(typename Compute<T>::type{}, typename Compute<T>::type{})), bool>,
    bool, T>;

// out = op(a, b) with broadcasting; each run takes one of four loops (both move, one repeats, both repeat)
// so the common cases are plain vectorisable loops.
template <typename T, typename Op>
void binary_loop(const Op& op, const BroadcastPlan& p, const void* a_raw, const void* b_raw, void* o_raw) {
  using C = Compute<T>;
  using O = BinaryOut<Op, T>;
  using CO = Compute<O>;
  const T* a = static_cast<const T*>(a_raw);
  const T* b = static_cast<const T*>(b_raw);
  O* o = static_cast<O*>(o_raw);
  const bool ma = p.inner_moves(0), mb = p.inner_moves(1);
  for_each_run(p, [&](const Offsets& off, int64_t pos, int64_t n) {
    const T* pa = a + off[0];
    const T* pb = b + off[1];
    O* po = o + pos;
    if (ma && mb) {
      for (int64_t i = 0; i < n; ++i) po[i] = CO::store(op(C::load(pa[i]), C::load(pb[i])));
    } else if (ma) {
      const auto bv = C::load(*pb);
      for (int64_t i = 0; i < n; ++i) po[i] = CO::store(op(C::load(pa[i]), bv));
    } else if (mb) {
      const auto av = C::load(*pa);
      for (int64_t i = 0; i < n; ++i) po[i] = CO::store(op(av, C::load(pb[i])));
    } else {
      const O v = CO::store(op(C::load(*pa), C::load(*pb)));
      for (int64_t i = 0; i < n; ++i) po[i] = v;
    }
  });
}

// Copies `in` broadcast to the plan's output shape (element size only matters).
template <typename T>
void broadcast_copy(const BroadcastPlan& p, const void* in_raw, void* o_raw) {
  const T* in = static_cast<const T*>(in_raw);
  T* o = static_cast<T*>(o_raw);
  const bool moves = p.inner_moves(0);
  for_each_run(p, [&](const Offsets& off, int64_t pos, int64_t n) {
    if (moves) std::copy(in + off[0], in + off[0] + n, o + pos);
    else std::fill(o + pos, o + pos + n, in[off[0]]);
  });
}

// Storage type with the same size, for ops that only move elements (Where, broadcast copies).
template <size_t Size> struct BitsOf;
template <> struct BitsOf<1> { using type = uint8_t; };
template <> struct BitsOf<2> { using type = uint16_t; };
template <> struct BitsOf<4> { using type = uint32_t; };
template <> struct BitsOf<8> { using type = uint64_t; };

// ---- Shared inference ---------------------------------------------------------------------------------

// "input 0 of Add has dtype string, which it does not support"
Status unsupported_dtype(const OpContext& ctx, int input, DType t);
// Checks that inputs [first, last] present have one dtype; returns it.
Result<DType> common_dtype(const OpContext& ctx, int first, int last);
// Broadcast shape of all present inputs in [first, last].
Result<Shape> broadcast_inputs(const OpContext& ctx, int first, int last);
// Shapes of present inputs [first, last] (omitted ones skipped), for BroadcastPlan::make.
std::vector<Shape> input_shapes(const OpContext& ctx, int first, int last);
const std::string& op_name(const OpContext& ctx);

}  // namespace tandem::elementwise
