// Tests of the shape ops (Shape, Size, Reshape, Flatten, Squeeze, Unsqueeze, Identity, Constant,
// ConstantOfShape, Range, Expand, Dropout), with ONNX's node-test cases ported in.
#include <gtest/gtest.h>

#include <cstring>
#include <limits>

#include "single_op.h"

namespace tandem {
namespace {

using testing::run_single_op;
using testing::SingleOp;
using testing::op_spec;

Tensor ints(std::vector<int64_t> v) { return Tensor::from_vector<int64_t>({static_cast<int64_t>(v.size())}, v); }

// Element i holds i (in the dtype's integer sense for ints, i for floats): enough to see bytes move.
Tensor iota(DType t, Shape shape) {
  Tensor x = Tensor::make(t, std::move(shape));
  for (int64_t i = 0; i < x.numel(); ++i) {
    auto* p = static_cast<uint8_t*>(x.raw()) + i * static_cast<int64_t>(dtype_size(t));
    if (t == DType::kFloat32) {
      x.data<float>()[i] = static_cast<float>(i);
    } else if (t == DType::kBool) {
      *p = static_cast<uint8_t>(i % 2);
    } else {
      uint64_t v = static_cast<uint64_t>(i) * 0x9E3779B97F4A7C15ull;
      std::memcpy(p, &v, dtype_size(t));
    }
  }
  return x;
}

bool same_bytes(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() && std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0;
}

Result<Tensor> run1(SingleOp spec) {
  TANDEM_ASSIGN_OR_RETURN(std::vector<Tensor> outs, run_single_op(spec));
  return outs[0];
}

Shape shape_of(Result<Tensor> r) { return r.is_ok() ? r->shape() : Shape{-999}; }

TEST(ShapeOps, ShapeWithStartEnd) {
  Tensor x = iota(DType::kFloat32, {3, 4, 5});
  struct Case { int64_t start, end; std::vector<int64_t> want; };
  std::vector<Case> cases = {{0, 3, {3, 4, 5}}, {0, 10, {3, 4, 5}}, {-10, 3, {3, 4, 5}}, {0, 1, {3}}, {0, -1, {3, 4}},
                             {1, 3, {4, 5}},    {1, 2, {4}},        {1, -1, {4}},        {-1, 3, {5}}, {2, 1, {}}};
  for (const Case& c : cases) {
    SingleOp op = op_spec("Shape", {x}, 15);
    op.attrs.set_int("start", c.start);
    op.attrs.set_int("end", c.end);
    auto y = run1(op);
    ASSERT_TRUE(y.is_ok()) << y.status().to_string();
    EXPECT_EQ(y->dtype(), DType::kInt64);
    EXPECT_EQ(y->to_int_vector(), c.want) << c.start << ":" << c.end;
  }
}

TEST(ShapeOps, Size) {
  auto y = run1(op_spec("Size", {iota(DType::kUInt8, {3, 4, 5})}));
  ASSERT_TRUE(y.is_ok());
  EXPECT_EQ(y->shape(), Shape{});
  EXPECT_EQ(y->int_at(0), 60);
}

TEST(ShapeOps, ReshapeCases) {
  Tensor x = iota(DType::kFloat32, {2, 3, 4});
  struct Case { std::vector<int64_t> shape; Shape want; };
  std::vector<Case> cases = {{{2, 3, 2, 2}, {2, 3, 2, 2}}, {{2, -1, 2}, {2, 6, 2}}, {{-1, 2, 3, 4}, {1, 2, 3, 4}},
                             {{24}, {24}},                 {{2, 12}, {2, 12}},     {{2, 0, 1, -1}, {2, 3, 1, 4}},
                             {{2, 0, 4, 1}, {2, 3, 4, 1}}};
  for (const Case& c : cases) {
    auto y = run1(op_spec("Reshape", {x, ints(c.shape)}, 14));
    ASSERT_TRUE(y.is_ok()) << y.status().to_string();
    EXPECT_EQ(y->shape(), c.want);
    EXPECT_EQ(std::memcmp(y->raw(), x.raw(), x.nbytes()), 0);
  }
}

TEST(ShapeOps, ReshapeAllowZeroAndErrors) {
  SingleOp op = op_spec("Reshape", {iota(DType::kFloat32, {0, 3, 4}), ints({3, 4, 0})}, 14);
  op.attrs.set_int("allowzero", 1);
  EXPECT_EQ(shape_of(run1(op)), (Shape{3, 4, 0}));
  auto two_minus = run1(op_spec("Reshape", {iota(DType::kFloat32, {2, 3}), ints({-1, -1})}));
  EXPECT_EQ(two_minus.status().code(), Code::kInvalidArgument);
  auto bad_count = run1(op_spec("Reshape", {iota(DType::kFloat32, {2, 3}), ints({4, 2})}));
  EXPECT_EQ(bad_count.status().code(), Code::kInvalidArgument);
  EXPECT_NE(bad_count.status().message().find("[2,3]"), std::string::npos) << bad_count.status().message();
  SingleOp old = op_spec("Reshape", {iota(DType::kInt64, {2, 3})}, 4);
  old.attrs.set_ints("shape", {3, -1});
  EXPECT_EQ(shape_of(run1(old)), (Shape{3, 2}));
}

TEST(ShapeOps, ReshapeNeedsConstantShape) {
  Graph g;
  g.opsets[""] = 17;
  Value* x = g.value("x");
  x->dtype = DType::kFloat32;
  x->has_shape = true;
  x->shape = {2, 3};
  Value* s = g.value("s");
  s->dtype = DType::kInt64;
  s->has_shape = true;
  s->shape = {1};
  Node* n = g.add_node("Reshape", "r", {x, s}, {g.value("y")});
  OpContext ctx = make_op_context(g, *n);
  Status st = OpRegistry::global().find("", "Reshape")->infer(ctx);
  EXPECT_EQ(st.code(), Code::kUnsupported);
  EXPECT_NE(st.message().find("'shape'"), std::string::npos) << st.message();
}

TEST(ShapeOps, Flatten) {
  Tensor x = iota(DType::kFloat16, {2, 3, 4, 5});
  std::vector<std::pair<int64_t, Shape>> cases = {{0, {1, 120}},  {1, {2, 60}},  {2, {6, 20}},  {3, {24, 5}},
                                                  {4, {120, 1}},  {-1, {24, 5}}, {-2, {6, 20}}, {-3, {2, 60}},
                                                  {-4, {1, 120}}};
  for (const auto& [axis, want] : cases) {
    SingleOp op = op_spec("Flatten", {x});
    op.attrs.set_int("axis", axis);
    EXPECT_EQ(shape_of(run1(op)), want) << axis;
  }
  EXPECT_EQ(shape_of(run1(op_spec("Flatten", {x}))), (Shape{2, 60}));
  SingleOp bad = op_spec("Flatten", {x});
  bad.attrs.set_int("axis", 5);
  auto r = run1(bad);
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("'axis'"), std::string::npos);
}

TEST(ShapeOps, SqueezeBothOpsets) {
  Tensor x = iota(DType::kInt8, {1, 3, 1, 5});
  EXPECT_EQ(shape_of(run1(op_spec("Squeeze", {x, ints({0})}, 13))), (Shape{3, 1, 5}));
  EXPECT_EQ(shape_of(run1(op_spec("Squeeze", {x, ints({-2})}, 13))), (Shape{1, 3, 5}));
  EXPECT_EQ(shape_of(run1(op_spec("Squeeze", {x}, 13))), (Shape{3, 5}));
  EXPECT_EQ(shape_of(run1(op_spec("Squeeze", {x, ints({})}, 13))), (Shape{3, 5}));
  SingleOp old = op_spec("Squeeze", {x}, 11);
  old.attrs.set_ints("axes", {0, 2});
  EXPECT_EQ(shape_of(run1(old)), (Shape{3, 5}));
  auto bad = run1(op_spec("Squeeze", {x, ints({1})}, 13));
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
}

TEST(ShapeOps, UnsqueezeBothOpsets) {
  Tensor x = iota(DType::kBool, {3, 4, 5});
  struct Case { std::vector<int64_t> axes; Shape want; };
  std::vector<Case> cases = {{{0}, {1, 3, 4, 5}},          {{1}, {3, 1, 4, 5}},          {{2}, {3, 4, 1, 5}},
                             {{-1}, {3, 4, 5, 1}},         {{2, 4, 5}, {3, 4, 1, 5, 1, 1}}, {{1, 4}, {3, 1, 4, 5, 1}},
                             {{5, 4, 2}, {3, 4, 1, 5, 1, 1}}};
  for (const Case& c : cases) {
    auto y = run1(op_spec("Unsqueeze", {x, ints(c.axes)}, 13));
    EXPECT_EQ(shape_of(y), c.want);
    SingleOp old = op_spec("Unsqueeze", {x}, 11);
    old.attrs.set_ints("axes", c.axes);
    EXPECT_EQ(shape_of(run1(old)), c.want);
  }
  EXPECT_EQ(run1(op_spec("Unsqueeze", {x, ints({1, 1})}, 13)).status().code(),
            Code::kInvalidArgument);
}

TEST(ShapeOps, IdentityEveryDtype) {
  for (DType t : {DType::kFloat32, DType::kFloat64, DType::kFloat16, DType::kBool, DType::kInt8, DType::kUInt8,
                  DType::kInt16, DType::kInt32, DType::kInt64}) {
    Tensor x = iota(t, {2, 3});
    auto y = run1(op_spec("Identity", {x}, 16));
    ASSERT_TRUE(y.is_ok()) << dtype_name(t);
    EXPECT_TRUE(same_bytes(*y, x)) << dtype_name(t);
  }
  auto s = run1(op_spec("Identity", {Tensor::view(DType::kString, {1}, nullptr)}));
  EXPECT_EQ(s.status().code(), Code::kUnsupported);
}

TEST(ShapeOps, AliasingOpsRunInPlace) {
  // When the planner gives output and input one buffer, run() must leave it untouched.
  for (const char* op : {"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Dropout"}) {
    const OpSchema* s = OpRegistry::global().find("", op);
    ASSERT_NE(s, nullptr) << op;
    auto k = s->create();
    EXPECT_TRUE(k->output_aliases_input()) << op;
    Tensor x = iota(DType::kFloat32, {2, 3});
    Tensor before = x.clone();
    std::vector<Tensor> in = {x};
    std::vector<Tensor> out = {x.reshaped({6})};
    EXPECT_TRUE(k->run(in, out).is_ok());
    EXPECT_EQ(std::memcmp(x.raw(), before.raw(), x.nbytes()), 0) << op;
  }
}

TEST(ShapeOps, ConstantForms) {
  SingleOp op = op_spec("Constant", {}, 13, 1);
  Attribute a;
  a.kind = Attribute::Kind::kTensor;
  a.t = iota(DType::kFloat32, {5, 5});
  op.attrs.set("value", a);
  auto y = run1(op);
  ASSERT_TRUE(y.is_ok()) << y.status().to_string();
  EXPECT_TRUE(same_bytes(*y, a.t));

  SingleOp f = op_spec("Constant", {}, 13);
  f.attrs.set_float("value_float", 2.5f);
  auto yf = run1(f);
  ASSERT_TRUE(yf.is_ok());
  EXPECT_EQ(yf->shape(), Shape{});
  EXPECT_EQ(yf->data<float>()[0], 2.5f);

  SingleOp is = op_spec("Constant", {}, 13);
  is.attrs.set_ints("value_ints", {4, -5, 6});
  auto yi = run1(is);
  ASSERT_TRUE(yi.is_ok());
  EXPECT_EQ(yi->dtype(), DType::kInt64);
  EXPECT_EQ(yi->to_int_vector(), (std::vector<int64_t>{4, -5, 6}));

  SingleOp fs = op_spec("Constant", {}, 13);
  fs.attrs.set_floats("value_floats", {1.0f, 2.0f});
  EXPECT_EQ(shape_of(run1(fs)), Shape{2});

  SingleOp i = op_spec("Constant", {}, 13);
  i.attrs.set_int("value_int", 7);
  EXPECT_EQ(run1(i)->int_at(0), 7);

  for (const char* name : {"sparse_value", "value_string"}) {
    SingleOp bad = op_spec("Constant", {}, 13);
    bad.attrs.set_string(name, "x");
    auto r = run1(bad);
    EXPECT_EQ(r.status().code(), Code::kUnsupported);
    EXPECT_NE(r.status().message().find(name), std::string::npos) << r.status().message();
  }
}

TEST(ShapeOps, ConstantOfShape) {
  auto zeros = run1(op_spec("ConstantOfShape", {ints({10, 6})}, 9));
  ASSERT_TRUE(zeros.is_ok());
  EXPECT_EQ(zeros->dtype(), DType::kFloat32);
  EXPECT_EQ(zeros->shape(), (Shape{10, 6}));
  EXPECT_EQ(zeros->float_at(59), 0.0);

  SingleOp op = op_spec("ConstantOfShape", {ints({4, 3, 2})}, 9);
  Attribute a;
  a.kind = Attribute::Kind::kTensor;
  a.t = Tensor::from_vector<int32_t>({1}, {7});
  op.attrs.set("value", a);
  auto y = run1(op);
  ASSERT_TRUE(y.is_ok());
  EXPECT_EQ(y->dtype(), DType::kInt32);
  for (int64_t i = 0; i < y->numel(); ++i) EXPECT_EQ(y->int_at(i), 7);

  op.inputs = {ints({0})};
  EXPECT_EQ(shape_of(run1(op)), Shape{0});
  op.inputs = {ints({})};
  EXPECT_EQ(shape_of(run1(op)), Shape{});
  op.inputs = {ints({2, -1})};
  EXPECT_EQ(run1(op).status().code(), Code::kInvalidArgument);
}

TEST(ShapeOps, Range) {
  auto f = run1(op_spec("Range", {Tensor::scalar<float>(1), Tensor::scalar<float>(5), Tensor::scalar<float>(2)}, 11));
  ASSERT_TRUE(f.is_ok()) << f.status().to_string();
  EXPECT_EQ(f->shape(), Shape{2});
  EXPECT_EQ(f->data<float>()[1], 3.0f);
  auto i = run1(op_spec("Range", {Tensor::scalar<int32_t>(10), Tensor::scalar<int32_t>(6), Tensor::scalar<int32_t>(-3)}, 11));
  ASSERT_TRUE(i.is_ok());
  EXPECT_EQ(i->to_int_vector(), (std::vector<int64_t>{10, 7}));
  auto empty = run1(op_spec("Range", {Tensor::scalar<int64_t>(5), Tensor::scalar<int64_t>(1),
                                                    Tensor::scalar<int64_t>(1)}));
  EXPECT_EQ(shape_of(empty), Shape{0});
  auto zero = run1(op_spec("Range", {Tensor::scalar<int64_t>(0), Tensor::scalar<int64_t>(1),
                                                   Tensor::scalar<int64_t>(0)}));
  EXPECT_EQ(zero.status().code(), Code::kInvalidArgument);
}

TEST(ShapeOps, Expand) {
  Tensor x = Tensor::from_vector<float>({3, 1}, {1, 2, 3});
  auto y = run1(op_spec("Expand", {x, ints({2, 1, 6})}, 13));
  ASSERT_TRUE(y.is_ok());
  ASSERT_EQ(y->shape(), (Shape{2, 3, 6}));
  for (int64_t i = 0; i < y->numel(); ++i) EXPECT_EQ(y->data<float>()[i], static_cast<float>(i / 6 % 3 + 1));
  EXPECT_EQ(shape_of(run1(op_spec("Expand", {x, ints({3, 4})}))), (Shape{3, 4}));
  // Every element width, on a shape big enough to use threads.
  for (DType t : {DType::kBool, DType::kInt16, DType::kInt32, DType::kInt64}) {
    Tensor v = iota(t, {1, 300, 1});
    auto e = run1(op_spec("Expand", {v, ints({4, 1, 70})}));
    ASSERT_TRUE(e.is_ok());
    size_t es = dtype_size(t);
    for (int64_t i = 0; i < e->numel(); ++i)
      ASSERT_EQ(std::memcmp(static_cast<const uint8_t*>(e->raw()) + i * es,
                            static_cast<const uint8_t*>(v.raw()) + (i / 70 % 300) * es, es), 0);
  }
  EXPECT_EQ(run1(op_spec("Expand", {x, ints({2, 2})})).status().code(), Code::kInvalidArgument);
}

TEST(ShapeOps, DropoutIsIdentityAtInference) {
  Tensor x = iota(DType::kFloat32, {3, 4, 5});
  SingleOp op = op_spec("Dropout", {x, Tensor::scalar<float>(0.1f)}, 13, 2);
  auto outs = run_single_op(op);
  ASSERT_TRUE(outs.is_ok()) << outs.status().to_string();
  EXPECT_TRUE(same_bytes((*outs)[0], x));
  EXPECT_EQ((*outs)[1].dtype(), DType::kBool);
  for (int64_t i = 0; i < 60; ++i) EXPECT_EQ((*outs)[1].int_at(i), 1);

  // Opset 7-9 masks have the data's type.
  SingleOp old = op_spec("Dropout", {x}, 7, 2);
  old.attrs.set_float("ratio", 0.2f);
  auto o = run_single_op(old);
  ASSERT_TRUE(o.is_ok());
  EXPECT_EQ((*o)[1].dtype(), DType::kFloat32);
  EXPECT_EQ((*o)[1].float_at(7), 1.0);

  Tensor yes = Tensor::scalar<bool>(true);
  SingleOp zero = op_spec("Dropout", {x, Tensor::scalar<float>(0.0f), yes}, 13, 2);
  EXPECT_TRUE(run_single_op(zero).is_ok());
  SingleOp train = op_spec("Dropout", {x, Tensor::scalar<float>(0.5f), yes}, 13);
  auto t = run_single_op(train);
  EXPECT_EQ(t.status().code(), Code::kUnsupported);
  EXPECT_NE(t.status().message().find("training_mode"), std::string::npos);
}

}  // namespace
}  // namespace tandem
