// Tests of the data-movement ops (Transpose, Concat, Split, Slice, Gather*, ScatterND, Tile, Pad, Trilu):
// ONNX's node-test cases ported in, and each kernel against a plain per-element loop over shapes and dtypes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <numeric>

#include "ops/broadcast.h"
#include "single_op.h"

namespace tandem {
namespace {

using testing::run_single_op;
using testing::SingleOp;
using testing::op_spec;

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

Tensor ints(std::vector<int64_t> v) { return Tensor::from_vector<int64_t>({static_cast<int64_t>(v.size())}, v); }

// Distinct bytes per element, so any misplaced element shows; float32 gets i itself for readable failures.
Tensor iota(DType t, Shape shape) {
  Tensor x = Tensor::make(t, std::move(shape));
  for (int64_t i = 0; i < x.numel(); ++i) {
    if (t == DType::kFloat32) {
      x.data<float>()[i] = static_cast<float>(i);
      continue;
    }
    uint64_t v = (static_cast<uint64_t>(i) + 1) * 0x9E3779B97F4A7C15ull;
    std::memcpy(static_cast<uint8_t*>(x.raw()) + i * static_cast<int64_t>(dtype_size(t)), &v, dtype_size(t));
  }
  return x;
}

const uint8_t* elem(const Tensor& t, int64_t i) {
  return static_cast<const uint8_t*>(t.raw()) + i * static_cast<int64_t>(dtype_size(t.dtype()));
}

// Multi-index of linear index i in `shape`.
std::vector<int64_t> unravel(int64_t i, const Shape& shape) {
  std::vector<int64_t> c(shape.size());
  for (size_t k = shape.size(); k-- > 0;) {
    c[k] = i % shape[k];
    i /= shape[k];
  }
  return c;
}

int64_t ravel(const std::vector<int64_t>& c, const Shape& shape) {
  int64_t i = 0;
  for (size_t k = 0; k < shape.size(); ++k) i = i * shape[k] + c[k];
  return i;
}

// Checks every output element against the input element `source` names (-1: expect `fill` bytes).
template <typename F>
void expect_gathered(const Tensor& out, const Tensor& in, F source, const void* fill = nullptr) {
  size_t es = dtype_size(in.dtype());
  ASSERT_EQ(out.dtype(), in.dtype());
  for (int64_t i = 0; i < out.numel(); ++i) {
    int64_t s = source(unravel(i, out.shape()));
    const void* want = s < 0 ? fill : elem(in, s);
    ASSERT_NE(want, nullptr) << "element " << i;
    ASSERT_EQ(std::memcmp(elem(out, i), want, es), 0) << "element " << i << " of " << shape_to_string(out.shape());
  }
}

Result<Tensor> run1(const SingleOp& s) {
  TANDEM_ASSIGN_OR_RETURN(std::vector<Tensor> outs, run_single_op(s));
  return outs[0];
}

Shape shape_of_result(const Result<Tensor>& r) { return r.is_ok() ? r->shape() : Shape{-999}; }

const std::vector<DType> kWidths = {DType::kUInt8, DType::kFloat16, DType::kFloat32, DType::kInt64};

// ---- Transpose

void check_transpose(DType t, const Shape& shape, const std::vector<int64_t>& perm, const char* loop = nullptr) {
  Tensor x = iota(t, shape);
  SingleOp op = op_spec("Transpose", {x}, 13);
  op.attrs.set_ints("perm", perm);
  auto y = run1(op);
  ASSERT_TRUE(y.is_ok()) << y.status().to_string();
  expect_gathered(*y, x, [&](const std::vector<int64_t>& c) {
    std::vector<int64_t> ic(shape.size());
    for (size_t k = 0; k < perm.size(); ++k) ic[static_cast<size_t>(perm[k])] = c[k];
    return ravel(ic, shape);
  });
  if (loop) {
    auto k = OpRegistry::global().find("", "Transpose")->create();
    Graph g;
    g.opsets[""] = 13;
    Value* v = g.value("x");
    v->dtype = t;
    v->shape = shape;
    Node* n = g.add_node("Transpose", "t", {v}, {g.value("y")});
    n->attrs = op.attrs;
    OpContext ctx = make_op_context(g, *n);
    ASSERT_TRUE(OpRegistry::global().find("", "Transpose")->infer(ctx).is_ok());
    ASSERT_TRUE(k->prepare(ctx).is_ok());
    EXPECT_EQ(k->impl_name(), std::string("reference:") + loop);
  }
}

TEST(TensorOps, TransposeAllPermutationsOfRank4) {
  std::vector<int64_t> perm = {0, 1, 2, 3};
  do {
    for (DType t : kWidths) check_transpose(t, {2, 3, 4, 5}, perm);
  } while (std::next_permutation(perm.begin(), perm.end()));
}

TEST(TensorOps, TransposeFastPaths) {
  for (DType t : kWidths) {
    check_transpose(t, {67, 131}, {1, 0}, "tiles");                 // 2-D
    check_transpose(t, {2, 48, 33, 35}, {0, 2, 3, 1}, "tiles");      // NCHW -> NHWC
    check_transpose(t, {2, 33, 35, 48}, {0, 3, 1, 2}, "tiles");      // NHWC -> NCHW
    check_transpose(t, {2, 12, 50, 64}, {0, 2, 1, 3}, "rows");       // [B,N,H,D] -> [B,H,N,D]
    check_transpose(t, {3, 1, 7, 1, 5, 2}, {5, 3, 1, 0, 4, 2});       // generic, with unit dims
  }
  check_transpose(DType::kFloat32, {300, 2}, {1, 0});
  check_transpose(DType::kFloat32, {4, 0, 3}, {2, 0, 1});
  check_transpose(DType::kFloat32, {}, {});
}

TEST(TensorOps, TransposeDefaultReversesAndRejectsBadPerm) {
  auto y = run1(op_spec("Transpose", {iota(DType::kFloat32, {2, 3, 4})}, 13));
  ASSERT_TRUE(y.is_ok());
  EXPECT_EQ(y->shape(), (Shape{4, 3, 2}));
  SingleOp bad = op_spec("Transpose", {iota(DType::kFloat32, {2, 3, 4})});
  bad.attrs.set_ints("perm", {0, 0, 1});
  auto r = run1(bad);
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("'perm'"), std::string::npos);
}

// ---- Concat, Split

TEST(TensorOps, ConcatAxes) {
  for (DType t : kWidths) {
    Tensor a = iota(t, {2, 3, 4}), b = iota(t, {2, 1, 4}), c = iota(t, {2, 0, 4});
    SingleOp op = op_spec("Concat", {a, c, b}, 13);
    op.attrs.set_int("axis", -2);
    auto y = run1(op);
    ASSERT_TRUE(y.is_ok()) << y.status().to_string();
    ASSERT_EQ(y->shape(), (Shape{2, 4, 4}));
    size_t es = dtype_size(t);
    for (int64_t i = 0; i < y->numel(); ++i) {
      auto cc = unravel(i, y->shape());
      const uint8_t* want = cc[1] < 3 ? elem(a, ravel(cc, a.shape())) : elem(b, ravel({cc[0], 0, cc[2]}, b.shape()));
      ASSERT_EQ(std::memcmp(elem(*y, i), want, es), 0);
    }
  }
  SingleOp bad = op_spec("Concat", {iota(DType::kFloat32, {2, 3}), iota(DType::kFloat32, {3, 3})});
  bad.attrs.set_int("axis", 1);
  EXPECT_EQ(run1(bad).status().code(), Code::kInvalidArgument);
}

TEST(TensorOps, SplitForms) {
  Tensor x = iota(DType::kFloat32, {2, 6});
  auto check = [&](const SingleOp& op, const std::vector<int64_t>& lens) {
    auto outs = run_single_op(op);
    ASSERT_TRUE(outs.is_ok()) << outs.status().to_string();
    int64_t at = 0;
    for (size_t k = 0; k < lens.size(); ++k) {
      const Tensor& o = (*outs)[k];
      ASSERT_EQ(o.shape(), (Shape{2, lens[k]}));
      for (int64_t i = 0; i < o.numel(); ++i)
        EXPECT_EQ(o.data<float>()[i], static_cast<float>(i / lens[k] * 6 + at + i % lens[k]));
      at += lens[k];
    }
  };
  SingleOp equal = op_spec("Split", {x}, 13, 3);
  equal.attrs.set_int("axis", 1);
  check(equal, {2, 2, 2});
  SingleOp var = op_spec("Split", {x, ints({2, 4})}, 13, 2);
  var.attrs.set_int("axis", -1);
  check(var, {2, 4});
  SingleOp old = op_spec("Split", {x}, 11, 2);
  old.attrs.set_int("axis", 1);
  old.attrs.set_ints("split", {5, 1});
  check(old, {5, 1});
  SingleOp n18 = op_spec("Split", {iota(DType::kFloat32, {2, 7})}, 18, 3);
  n18.attrs.set_int("axis", 1);
  n18.attrs.set_int("num_outputs", 3);
  auto o18 = run_single_op(n18);
  ASSERT_TRUE(o18.is_ok());
  EXPECT_EQ((*o18)[2].shape(), (Shape{2, 1}));
  auto zero = run_single_op(op_spec("Split", {iota(DType::kFloat32, {0}), ints({0, 0, 0})}, 13, 3));
  ASSERT_TRUE(zero.is_ok());
  EXPECT_EQ((*zero)[2].shape(), Shape{0});
  SingleOp uneven = op_spec("Split", {x}, 13, 4);
  uneven.attrs.set_int("axis", 1);
  EXPECT_EQ(run_single_op(uneven).status().code(), Code::kInvalidArgument);
}

// ---- Slice

// Python's slice.indices(n): the semantics ONNX specifies, written out independently of the kernel.
std::vector<int64_t> python_slice(int64_t start, int64_t stop, int64_t step, int64_t n) {
  auto adjust = [&](int64_t v, int64_t lower, int64_t upper) {
    if (v < 0) {
      v = v < -n ? lower : v + n;
      return std::max(v, lower);
    }
    return std::min(v, upper);
  };
  int64_t lower = step > 0 ? 0 : -1, upper = step > 0 ? n : n - 1;
  start = adjust(start, lower, upper);
  stop = adjust(stop, lower, upper);
  std::vector<int64_t> idx;
  for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) idx.push_back(i);
  return idx;
}

void check_slice(DType t, const Shape& shape, std::vector<int64_t> starts, std::vector<int64_t> ends,
                 std::vector<int64_t> axes, std::vector<int64_t> steps) {
  Tensor x = iota(t, shape);
  auto y = run1(op_spec("Slice", {x, ints(starts), ints(ends), ints(axes), ints(steps)}, 13));
  ASSERT_TRUE(y.is_ok()) << y.status().to_string();
  std::vector<std::vector<int64_t>> pick(shape.size());
  for (size_t d = 0; d < shape.size(); ++d)
    for (int64_t i = 0; i < shape[d]; ++i) pick[d].push_back(i);
  for (size_t i = 0; i < axes.size(); ++i) {
    auto a = static_cast<size_t>(axes[i] < 0 ? axes[i] + static_cast<int64_t>(shape.size()) : axes[i]);
    pick[a] = python_slice(starts[i], ends[i], steps[i], shape[a]);
  }
  Shape want;
  for (const auto& p : pick) want.push_back(static_cast<int64_t>(p.size()));
  ASSERT_EQ(y->shape(), want);
  expect_gathered(*y, x, [&](const std::vector<int64_t>& c) {
    std::vector<int64_t> ic(c.size());
    for (size_t d = 0; d < c.size(); ++d) ic[d] = pick[d][static_cast<size_t>(c[d])];
    return ravel(ic, shape);
  });
}

TEST(TensorOps, SliceNodeTestCases) {
  Shape s = {20, 10, 5};
  check_slice(DType::kFloat32, s, {0, 0}, {3, 10}, {0, 1}, {1, 1});
  check_slice(DType::kFloat32, s, {0, 0, 3}, {20, 10, 4}, {0, 1, 2}, {1, 1, 1});
  check_slice(DType::kFloat32, s, {1}, {1000}, {1}, {1});
  check_slice(DType::kFloat32, s, {0}, {-1}, {1}, {1});
  check_slice(DType::kFloat32, s, {20, 10, 4}, {0, 0, 1}, {0, 1, 2}, {-1, -3, -2});
  check_slice(DType::kFloat32, s, {0, 0, 3}, {20, 10, 4}, {0, -2, -1}, {1, 1, 1});
  check_slice(DType::kFloat32, s, {1000}, {1000}, {1}, {1});
}

TEST(TensorOps, SliceClampsHugeValuesAndNegativeSteps) {
  for (DType t : kWidths) {
    check_slice(t, {7, 9}, {kMax, 0}, {kMin, kMax}, {0, 1}, {-1, 2});
    check_slice(t, {7, 9}, {-100, 8}, {100, -100}, {0, 1}, {3, -4});
    check_slice(t, {7, 9}, {kMin, -1}, {kMax, kMin}, {0, 1}, {kMax, kMin});
    check_slice(t, {64, 300}, {5, 299}, {60, 0}, {0, 1}, {1, -1});
  }
  // No defaults for axes/steps, and opset 1 attributes.
  auto y = run1(op_spec("Slice", {iota(DType::kFloat32, {20, 10, 5}), ints({0, 0, 3}), ints({20, 10, 4})}, 13));
  ASSERT_TRUE(y.is_ok());
  EXPECT_EQ(y->shape(), (Shape{20, 10, 1}));
  SingleOp old = op_spec("Slice", {iota(DType::kFloat32, {4, 6})}, 1);
  old.attrs.set_ints("starts", {1});
  old.attrs.set_ints("ends", {-1});
  old.attrs.set_ints("axes", {1});
  auto o = run1(old);
  ASSERT_TRUE(o.is_ok()) << o.status().to_string();
  EXPECT_EQ(o->shape(), (Shape{4, 4}));
  EXPECT_EQ(run1(op_spec("Slice", {iota(DType::kFloat32, {4}), ints({0}), ints({4}), ints({0}), ints({0})}))
                .status()
                .code(),
            Code::kInvalidArgument);
}

// ---- Gather family

TEST(TensorOps, Gather) {
  for (DType t : kWidths) {
    Tensor x = iota(t, {5, 4, 3, 2});
    for (int64_t axis : {0, 1, -1}) {
      Tensor idx = Tensor::from_vector<int32_t>({2, 2}, {0, -1, 1, 0});
      SingleOp op = op_spec("Gather", {x, idx}, 13);
      op.attrs.set_int("axis", axis);
      auto y = run1(op);
      ASSERT_TRUE(y.is_ok()) << y.status().to_string();
      size_t a = static_cast<size_t>(axis < 0 ? axis + 4 : axis);
      expect_gathered(*y, x, [&](const std::vector<int64_t>& c) {
        std::vector<int64_t> ic(c.begin(), c.begin() + static_cast<int64_t>(a));
        int64_t i = idx.int_at(c[a] * 2 + c[a + 1]);
        ic.push_back(i < 0 ? i + x.dim(static_cast<int64_t>(a)) : i);
        ic.insert(ic.end(), c.begin() + static_cast<int64_t>(a) + 2, c.end());
        return ravel(ic, x.shape());
      });
    }
  }
  auto scalar = run1(op_spec("Gather", {iota(DType::kFloat32, {10}), Tensor::scalar<int64_t>(-10)}));
  ASSERT_TRUE(scalar.is_ok());
  EXPECT_EQ(scalar->shape(), Shape{});
  EXPECT_EQ(scalar->data<float>()[0], 0.0f);
  auto oob = run1(op_spec("Gather", {iota(DType::kFloat32, {10}), ints({3, 10})}));
  EXPECT_EQ(oob.status().code(), Code::kInvalidArgument);
}

TEST(TensorOps, GatherElements) {
  Tensor x = Tensor::from_vector<float>({3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  SingleOp op = op_spec("GatherElements", {x, Tensor::from_vector<int64_t>({2, 3}, {-1, -2, 0, -2, 0, 0})}, 13);
  op.attrs.set_int("axis", 0);
  auto y = run1(op);
  ASSERT_TRUE(y.is_ok()) << y.status().to_string();
  EXPECT_EQ(std::vector<float>(y->data<float>(), y->data<float>() + 6), (std::vector<float>{7, 5, 3, 4, 2, 3}));
  SingleOp last = op_spec("GatherElements", {x, Tensor::from_vector<int64_t>({2, 2}, {0, 0, 1, 0})}, 13);
  last.attrs.set_int("axis", 1);
  auto z = run1(last);
  ASSERT_TRUE(z.is_ok());
  EXPECT_EQ(std::vector<float>(z->data<float>(), z->data<float>() + 4), (std::vector<float>{1, 1, 5, 4}));
  SingleOp bad = op_spec("GatherElements", {x, Tensor::from_vector<int64_t>({1, 1}, {3})}, 13);
  EXPECT_EQ(run1(bad).status().code(), Code::kInvalidArgument);
}

TEST(TensorOps, GatherND) {
  auto a = run1(op_spec("GatherND", {Tensor::from_vector<int32_t>({2, 2}, {0, 1, 2, 3}),
                                  Tensor::from_vector<int64_t>({2, 2}, {0, 0, 1, 1})}, 13));
  ASSERT_TRUE(a.is_ok()) << a.status().to_string();
  EXPECT_EQ(a->to_int_vector(), (std::vector<int64_t>{0, 3}));
  auto b = run1(op_spec("GatherND", {iota(DType::kFloat32, {2, 2, 2}), Tensor::from_vector<int64_t>({2, 1, 2}, {0, 1, 1, 0})}, 13));
  ASSERT_TRUE(b.is_ok());
  EXPECT_EQ(b->shape(), (Shape{2, 1, 2}));
  EXPECT_EQ(std::vector<float>(b->data<float>(), b->data<float>() + 4), (std::vector<float>{2, 3, 4, 5}));
  SingleOp batch = op_spec("GatherND", {iota(DType::kFloat32, {2, 2, 2}), Tensor::from_vector<int64_t>({2, 1}, {1, 0})}, 13);
  batch.attrs.set_int("batch_dims", 1);
  auto c = run1(batch);
  ASSERT_TRUE(c.is_ok()) << c.status().to_string();
  EXPECT_EQ(std::vector<float>(c->data<float>(), c->data<float>() + 4), (std::vector<float>{2, 3, 4, 5}));
}

TEST(TensorOps, ScatterND) {
  Tensor data = iota(DType::kFloat32, {4, 4, 4});
  Tensor idx = Tensor::from_vector<int64_t>({2, 1}, {0, 2});
  Tensor upd = Tensor::make(DType::kFloat32, {2, 4, 4});
  for (int64_t i = 0; i < 32; ++i) upd.data<float>()[i] = 1000.0f + static_cast<float>(i);
  auto y = run1(op_spec("ScatterND", {data, idx, upd}, 16));
  ASSERT_TRUE(y.is_ok()) << y.status().to_string();
  for (int64_t i = 0; i < 64; ++i) {
    int64_t plane = i / 16;
    float want = plane == 0 ? 1000.0f + static_cast<float>(i) : plane == 2 ? 1016.0f + static_cast<float>(i - 32)
                                                                           : static_cast<float>(i);
    ASSERT_EQ(y->data<float>()[i], want) << i;
  }
  SingleOp add = op_spec("ScatterND", {data, Tensor::from_vector<int64_t>({2, 1}, {0, 0}), upd}, 16);
  add.attrs.set_string("reduction", "add");
  auto z = run1(add);
  ASSERT_TRUE(z.is_ok()) << z.status().to_string();
  EXPECT_EQ(z->data<float>()[1], 1.0f + 1001.0f + 1017.0f);
  SingleOp bad = op_spec("ScatterND", {data, idx, upd}, 16);
  bad.attrs.set_string("reduction", "xor");
  auto r = run1(bad);
  EXPECT_EQ(r.status().code(), Code::kUnsupported);
  EXPECT_NE(r.status().message().find("'reduction'"), std::string::npos);
}

// ---- Tile, Pad, Trilu

TEST(TensorOps, Tile) {
  for (DType t : kWidths) {
    Tensor x = iota(t, {2, 3, 4, 5});
    auto y = run1(op_spec("Tile", {x, ints({7, 6, 4, 2})}, 13));
    ASSERT_TRUE(y.is_ok()) << y.status().to_string();
    ASSERT_EQ(y->shape(), (Shape{14, 18, 16, 10}));
    expect_gathered(*y, x, [&](const std::vector<int64_t>& c) {
      return ravel({c[0] % 2, c[1] % 3, c[2] % 4, c[3] % 5}, x.shape());
    });
  }
  EXPECT_EQ(shape_of_result(run1(op_spec("Tile", {iota(DType::kFloat32, {2, 2}), ints({0, 3})}))), (Shape{0, 6}));
}

int64_t reference_pad_source(const std::string& mode, int64_t o, int64_t b, int64_t n) {
  int64_t i = o - b;
  if (i >= 0 && i < n) return i;
  if (mode == "constant") return -1;
  if (mode == "edge") return std::clamp<int64_t>(i, 0, n - 1);
  while (i < 0 || i >= n) i = i < 0 ? -i : 2 * (n - 1) - i;  // reflect, bouncing off both ends
  return i;
}

void check_pad(DType t, const Shape& shape, const std::vector<int64_t>& pads, const std::string& mode) {
  Tensor x = iota(t, shape);
  Tensor value = iota(t, {});
  SingleOp op = op_spec("Pad", {x, ints(pads), value}, 13);
  op.attrs.set_string("mode", mode);
  auto y = run1(op);
  ASSERT_TRUE(y.is_ok()) << y.status().to_string();
  size_t r = shape.size();
  Shape want;
  for (size_t d = 0; d < r; ++d) want.push_back(shape[d] + pads[d] + pads[d + r]);
  ASSERT_EQ(y->shape(), want);
  expect_gathered(*y, x, [&](const std::vector<int64_t>& c) {
    std::vector<int64_t> ic(r);
    for (size_t d = 0; d < r; ++d) {
      ic[d] = reference_pad_source(mode, c[d], pads[d], shape[d]);
      if (ic[d] < 0) return int64_t{-1};
    }
    return ravel(ic, shape);
  }, value.raw());
}

TEST(TensorOps, PadModes) {
  for (DType t : kWidths) {
    check_pad(t, {1, 3, 4, 5}, {0, 0, 1, 3, 0, 0, 2, 4}, "constant");
    check_pad(t, {1, 3, 4, 5}, {0, 0, 1, 1, 0, 0, 1, 1}, "edge");
    check_pad(t, {1, 3, 4, 5}, {0, 0, 1, 1, 0, 0, 1, 1}, "reflect");
    check_pad(t, {2, 3, 4, 5}, {1, -1, 2, -2, -1, 2, 3, 2}, "constant");  // negative pads crop
    check_pad(t, {3, 70, 130}, {1, 2, 9, 2, 3, 7}, "reflect");
    check_pad(t, {3, 70, 130}, {1, 2, 9, 2, 3, 7}, "edge");
  }
}

TEST(TensorOps, PadOldOpsetsAndErrors) {
  SingleOp old = op_spec("Pad", {Tensor::from_vector<float>({2}, {1, 2})}, 2);
  old.attrs.set_ints("pads", {1, 2});
  old.attrs.set_float("value", 1.5f);
  auto y = run1(old);
  ASSERT_TRUE(y.is_ok()) << y.status().to_string();
  EXPECT_EQ(std::vector<float>(y->data<float>(), y->data<float>() + 5), (std::vector<float>{1.5f, 1, 2, 1.5f, 1.5f}));
  SingleOp bad = op_spec("Pad", {iota(DType::kFloat32, {2}), ints({1, 1})});
  bad.attrs.set_string("mode", "cubic");
  auto r = run1(bad);
  EXPECT_EQ(r.status().code(), Code::kUnsupported);
  EXPECT_NE(r.status().message().find("'mode'='cubic'"), std::string::npos);
}

TEST(TensorOps, Trilu) {
  Tensor x = iota(DType::kInt64, {2, 4, 5});
  for (int64_t upper : {0, 1}) {
    for (int64_t k : {-7, -1, 0, 2, 6}) {
      SingleOp op = op_spec("Trilu", {x, Tensor::scalar<int64_t>(k)}, 14);
      op.attrs.set_int("upper", upper);
      auto y = run1(op);
      ASSERT_TRUE(y.is_ok()) << y.status().to_string();
      for (int64_t i = 0; i < y->numel(); ++i) {
        auto c = unravel(i, x.shape());
        bool keep = upper ? c[2] - c[1] >= k : c[2] - c[1] <= k;
        ASSERT_EQ(y->int_at(i), keep ? x.int_at(i) : 0) << upper << " " << k << " " << i;
      }
    }
  }
}

}  // namespace
}  // namespace tandem
