// AveragePool, MaxPool (with Indices), GlobalAveragePool and GlobalMaxPool against plain loops written here, and
// their channels-last form (Tandem's `layout`="NHWC") against the channels-first result transposed.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>

#include "single_op.h"

namespace tandem {
namespace {

using testing::expect_error;
using testing::random_tensor;
using testing::run_single_op;
using testing::SingleOp;

struct PoolCase {
  Shape x;
  std::vector<int64_t> kernel, strides, dilations, pads;  // empty = defaults
  bool ceil_mode = false;
  bool count_include_pad = false;
};

struct PoolResult {
  Shape shape;
  std::vector<double> avg, max;
  std::vector<int64_t> argmax;  // row-major flat index into x
};

// One output element at a time over every kernel tap, skipping taps outside the input.
PoolResult naive_pool(const Tensor& x, const PoolCase& c) {
  const size_t rank = c.x.size() - 2;
  auto at = [](const std::vector<int64_t>& v, size_t i, int64_t def) { return v.empty() ? def : v[i]; };
  PoolResult r;
  r.shape = {c.x[0], c.x[1]};
  for (size_t d = 0; d < rank; ++d) {
    const int64_t s = at(c.strides, d, 1), pb = at(c.pads, d, 0), in = c.x[d + 2];
    const int64_t span = in + pb + at(c.pads, d + rank, 0) - ((c.kernel[d] - 1) * at(c.dilations, d, 1) + 1);
    int64_t out = (c.ceil_mode ? (span + s - 1) / s : span / s) + 1;
    if (c.ceil_mode && (out - 1) * s >= in + pb) --out;
    r.shape.push_back(out);
  }
  const int64_t in_size = shape_numel(Shape(c.x.begin() + 2, c.x.end()));
  const int64_t taps = shape_numel(c.kernel);
  for (int64_t i = 0; i < shape_numel(r.shape); ++i) {
    int64_t rem = i;
    std::vector<int64_t> o(rank);
    for (size_t d = rank; d-- > 0;) {
      o[d] = rem % r.shape[d + 2];
      rem /= r.shape[d + 2];
    }
    double sum = 0, best = -std::numeric_limits<double>::infinity();
    int64_t valid = 0, padded = 0, best_index = -1;
    for (int64_t t = 0; t < taps; ++t) {
      int64_t trem = t, off = 0, stride = 1;
      bool inside = true, in_padded = true;
      for (size_t d = rank; d-- > 0;) {
        const int64_t k = trem % c.kernel[d];
        trem /= c.kernel[d];
        const int64_t pos = o[d] * at(c.strides, d, 1) - at(c.pads, d, 0) + k * at(c.dilations, d, 1);
        inside = inside && pos >= 0 && pos < c.x[d + 2];
        in_padded = in_padded && pos < c.x[d + 2] + at(c.pads, d + rank, 0);
        off += pos * stride;
        stride *= c.x[d + 2];
      }
      padded += in_padded ? 1 : 0;
      if (!inside) continue;
      const double v = x.float_at(rem * in_size + off);
      sum += v;
      ++valid;
      if (v > best) {
        best = v;
        best_index = rem * in_size + off;
      }
    }
    r.avg.push_back(sum / static_cast<double>(c.count_include_pad ? padded : valid));
    r.max.push_back(best);
    r.argmax.push_back(best_index);
  }
  return r;
}

SingleOp pool_op(const std::string& type, const PoolCase& c, const Tensor& x) {
  SingleOp op{.op_type = type, .opset = 12, .inputs = {x}};
  op.attrs.set_ints("kernel_shape", c.kernel);
  if (!c.strides.empty()) op.attrs.set_ints("strides", c.strides);
  if (!c.dilations.empty()) op.attrs.set_ints("dilations", c.dilations);
  if (!c.pads.empty()) op.attrs.set_ints("pads", c.pads);
  if (c.ceil_mode) op.attrs.set_int("ceil_mode", 1);
  if (c.count_include_pad) op.attrs.set_int("count_include_pad", 1);
  return op;
}

const std::vector<PoolCase>& pool_cases() {
  static const std::vector<PoolCase> cases = {
      {.x = {2, 3, 11}, .kernel = {3}, .strides = {2}, .pads = {1, 1}},
      {.x = {1, 2, 9, 8}, .kernel = {3, 2}, .strides = {2, 3}, .pads = {1, 0, 2, 1}, .count_include_pad = true},
      {.x = {1, 2, 8, 8}, .kernel = {3, 3}, .strides = {2, 2}, .pads = {1, 1, 1, 1}, .ceil_mode = true},
      {.x = {1, 2, 7, 7}, .kernel = {3, 3}, .strides = {2, 2}, .ceil_mode = true, .count_include_pad = true},
      {.x = {1, 1, 10, 9}, .kernel = {2, 3}, .strides = {1, 2}, .dilations = {3, 2}, .pads = {2, 1, 0, 1}},
      {.x = {1, 2, 5, 6, 4}, .kernel = {2, 3, 2}, .strides = {1, 2, 2}, .pads = {0, 1, 1, 1, 1, 0}},
      {.x = {2, 16, 40, 40}, .kernel = {3, 3}, .strides = {1, 1}, .pads = {1, 1, 1, 1}},  // threaded
  };
  return cases;
}

TEST(NnPool, AverageAndMaxMatchPlainLoops) {
  for (size_t i = 0; i < pool_cases().size(); ++i) {
    SCOPED_TRACE("case " + std::to_string(i));
    const PoolCase& c = pool_cases()[i];
    const Tensor x = random_tensor(c.x, static_cast<uint32_t>(i));
    const PoolResult expected = naive_pool(x, c);
    if (c.dilations.empty()) {  // AveragePool has no dilations before opset 19
      auto avg = run_single_op(pool_op("AveragePool", c, x));
      ASSERT_TRUE(avg.is_ok()) << avg.status().to_string();
      ASSERT_EQ(avg.value()[0].shape(), expected.shape);
      for (size_t j = 0; j < expected.avg.size(); ++j)
        ASSERT_NEAR(avg.value()[0].float_at(static_cast<int64_t>(j)), expected.avg[j], 1e-6) << j;
    }
    SingleOp max_op = pool_op("MaxPool", c, x);
    max_op.num_outputs = 2;
    auto max = run_single_op(max_op);
    ASSERT_TRUE(max.is_ok()) << max.status().to_string();
    ASSERT_EQ(max.value()[0].shape(), expected.shape);
    ASSERT_EQ(max.value()[1].dtype(), DType::kInt64);
    for (size_t j = 0; j < expected.max.size(); ++j) {
      ASSERT_EQ(max.value()[0].float_at(static_cast<int64_t>(j)), expected.max[j]) << j;
      ASSERT_EQ(max.value()[1].int_at(static_cast<int64_t>(j)), expected.argmax[j]) << j;
    }
  }
}

TEST(NnPool, MaxPoolIndicesColumnMajorAndBytes) {
  // 1x1x3x4 with a 2x2 window at stride 2: maxima at (1,1) and (2,3) of a [3,4] plane.
  const Tensor x = Tensor::from_vector<float>({1, 1, 3, 4}, {0, 1, 2, 3, 4, 9, 5, 6, 7, 8, 1, 10});
  SingleOp op{.op_type = "MaxPool", .opset = 12, .inputs = {x}, .num_outputs = 2};
  op.attrs.set_ints("kernel_shape", {2, 2});
  op.attrs.set_ints("strides", {2, 2});
  op.attrs.set_int("storage_order", 1);
  auto r = run_single_op(op);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r.value()[1].to_int_vector(), (std::vector<int64_t>{1 * 3 + 1, 3 * 3 + 1}));  // w * H + h
  for (DType t : {DType::kUInt8, DType::kInt8}) {
    const Tensor xb = t == DType::kUInt8 ? Tensor::from_vector<uint8_t>({1, 1, 2, 3}, {3, 200, 7, 9, 1, 255})
                                         : Tensor::from_vector<int8_t>({1, 1, 2, 3}, {-3, -100, 7, -9, -1, 5});
    SingleOp bop{.op_type = "MaxPool", .opset = 12, .inputs = {xb}};
    bop.attrs.set_ints("kernel_shape", {2, 2});
    bop.attrs.set_ints("pads", {0, 0, 0, 1});
    auto y = run_single_op(bop);
    ASSERT_TRUE(y.is_ok()) << y.status().to_string();
    EXPECT_EQ(y.value()[0].dtype(), t);
    EXPECT_EQ(y.value()[0].to_int_vector(),
              t == DType::kUInt8 ? (std::vector<int64_t>{200, 255, 255}) : (std::vector<int64_t>{-1, 7, 7}));
  }
}

TEST(NnPool, AutoPadSame) {
  // in 7, kernel 4, stride 2: SAME_UPPER pads [1, 2], SAME_LOWER [2, 1], as explicit pads give.
  const Tensor x = random_tensor({1, 1, 7, 7}, 9);
  for (const auto& [mode, pads] : std::vector<std::pair<std::string, std::vector<int64_t>>>{
           {"SAME_UPPER", {1, 1, 2, 2}}, {"SAME_LOWER", {2, 2, 1, 1}}, {"VALID", {0, 0, 0, 0}}}) {
    SCOPED_TRACE(mode);
    PoolCase c{.x = {1, 1, 7, 7}, .kernel = {4, 4}, .strides = {2, 2}, .pads = pads};
    SingleOp op = pool_op("MaxPool", c, x);
    op.attrs.erase("pads");
    op.attrs.set_string("auto_pad", mode);
    auto y = run_single_op(op);
    ASSERT_TRUE(y.is_ok()) << y.status().to_string();
    const PoolResult expected = naive_pool(x, c);
    ASSERT_EQ(y.value()[0].shape(), expected.shape);
    for (size_t j = 0; j < expected.max.size(); ++j)
      ASSERT_EQ(y.value()[0].float_at(static_cast<int64_t>(j)), expected.max[j]);
  }
}

TEST(NnPool, GlobalPools) {
  for (const Shape& s : {Shape{2, 3, 5, 4}, Shape{1, 2, 7}, Shape{1, 40, 30, 30}}) {
    SCOPED_TRACE(shape_to_string(s));
    const Tensor x = random_tensor(s, 3);
    const int64_t planes = s[0] * s[1], inner = x.numel() / planes;
    Shape out = s;
    std::fill(out.begin() + 2, out.end(), 1);
    auto avg = run_single_op({.op_type = "GlobalAveragePool", .opset = 1, .inputs = {x}});
    auto max = run_single_op({.op_type = "GlobalMaxPool", .opset = 1, .inputs = {x}});
    ASSERT_TRUE(avg.is_ok() && max.is_ok());
    ASSERT_EQ(avg.value()[0].shape(), out);
    ASSERT_EQ(max.value()[0].shape(), out);
    for (int64_t p = 0; p < planes; ++p) {
      double sum = 0, best = -INFINITY;
      for (int64_t i = 0; i < inner; ++i) {
        sum += x.float_at(p * inner + i);
        best = std::max(best, x.float_at(p * inner + i));
      }
      EXPECT_NEAR(avg.value()[0].float_at(p), sum / static_cast<double>(inner), 1e-6);
      EXPECT_EQ(max.value()[0].float_at(p), best);
    }
  }
}

TEST(NnPool, RejectsBadInput) {
  const Tensor x = random_tensor({1, 1, 5, 5}, 1);
  expect_error({.op_type = "MaxPool", .inputs = {x}}, Code::kInvalidArgument, "kernel_shape");
  SingleOp op{.op_type = "AveragePool", .inputs = {x}};
  op.attrs.set_ints("kernel_shape", {2, 2});
  op.attrs.set_string("auto_pad", "SAME_SIDEWAYS");
  expect_error(op, Code::kUnsupported, "auto_pad");
  op.attrs.erase("auto_pad");
  op.attrs.set_ints("pads", {1, 1});
  expect_error(op, Code::kInvalidArgument, "pads");
  op.op_type = "MaxPool";
  op.attrs.erase("pads");
  op.attrs.set_int("storage_order", 2);
  expect_error(op, Code::kInvalidArgument, "storage_order");
  op.attrs.erase("storage_order");
  op.attrs.set_ints("kernel_shape", {6, 6});
  expect_error(op, Code::kInvalidArgument, "exceeds");
  op.inputs = {Tensor::make(DType::kInt32, {1, 1, 4, 4})};
  op.attrs.set_ints("kernel_shape", {2, 2});
  expect_error(op, Code::kUnsupported, "int32");
  expect_error({.op_type = "GlobalAveragePool", .inputs = {random_tensor({3, 4}, 1)}}, Code::kInvalidArgument, "[3,4]");
}

// [N, C, H, W] -> [N, H, W, C], any element type.
Tensor to_nhwc(const Tensor& t) {
  const int64_t n = t.dim(0), c = t.dim(1), hw = t.dim(2) * t.dim(3);
  const size_t e = dtype_size(t.dtype());
  Tensor r = Tensor::make(t.dtype(), {n, t.dim(2), t.dim(3), c});
  const auto* src = static_cast<const char*>(t.raw());
  auto* dst = static_cast<char*>(r.raw());
  for (int64_t b = 0; b < n; ++b)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t p = 0; p < hw; ++p)
        std::memcpy(dst + static_cast<size_t>((b * hw + p) * c + ch) * e,
                    src + static_cast<size_t>((b * c + ch) * hw + p) * e, e);
  return r;
}

// Runs `op` as given (channels-first) and again on X transposed with layout=NHWC; the second must be the first
// transposed. The reference walks the same taps in the same order either way, so max is exact and an average
// differs at most by rounding.
void expect_channels_last_matches(SingleOp op) {
  auto first = run_single_op(op);
  ASSERT_TRUE(first.is_ok()) << first.status().to_string();
  const Tensor expected = to_nhwc(first.value()[0]);
  op.inputs[0] = to_nhwc(op.inputs[0]);
  op.attrs.set_string("layout", "NHWC");
  auto last = run_single_op(op);
  ASSERT_TRUE(last.is_ok()) << last.status().to_string();
  const Tensor& y = last.value()[0];
  ASSERT_EQ(y.shape(), expected.shape());
  ASSERT_EQ(y.dtype(), expected.dtype());
  const bool exact = op.op_type.find("Max") != std::string::npos;
  for (int64_t j = 0; j < y.numel(); ++j) {
    if (exact) {
      ASSERT_EQ(y.float_at(j), expected.float_at(j)) << j;
    } else {
      ASSERT_NEAR(y.float_at(j), expected.float_at(j), 1e-6 * std::max(1.0, std::fabs(expected.float_at(j)))) << j;
    }
  }
}

TEST(NnPoolChannelsLast, WindowsMatchChannelsFirst) {
  for (size_t i = 0; i < pool_cases().size(); ++i) {
    const PoolCase& c = pool_cases()[i];
    if (c.x.size() != 4) continue;
    SCOPED_TRACE("case " + std::to_string(i));
    const Tensor x = random_tensor(c.x, static_cast<uint32_t>(i));
    if (c.dilations.empty()) expect_channels_last_matches(pool_op("AveragePool", c, x));
    expect_channels_last_matches(pool_op("MaxPool", c, x));
  }
  // Distinct N, C, H and W, so a swapped axis cannot go unnoticed; storage_order only changes Indices.
  const PoolCase c{.x = {2, 3, 9, 7}, .kernel = {3, 2}, .strides = {2, 1}, .pads = {1, 0, 0, 1}};
  const Tensor x = random_tensor(c.x, 21);
  expect_channels_last_matches(pool_op("AveragePool", c, x));
  SingleOp op = pool_op("MaxPool", c, x);
  op.attrs.set_int("storage_order", 1);
  expect_channels_last_matches(op);
  for (const char* mode : {"SAME_UPPER", "SAME_LOWER", "VALID"}) {
    SCOPED_TRACE(mode);
    for (const char* type : {"MaxPool", "AveragePool"}) {
      SingleOp a = pool_op(type, {.x = c.x, .kernel = {4, 3}, .strides = {2, 2}}, x);
      a.attrs.set_string("auto_pad", mode);
      expect_channels_last_matches(a);
    }
  }
}

TEST(NnPoolChannelsLast, BytesAndDoubles) {
  const PoolCase c{.x = {1, 3, 5, 4}, .kernel = {2, 2}, .pads = {0, 0, 1, 1}};
  expect_channels_last_matches(pool_op("MaxPool", c, random_tensor<uint8_t>(c.x, 4, 0.0, 2.5)));
  expect_channels_last_matches(pool_op("MaxPool", c, random_tensor<int8_t>(c.x, 5)));
  expect_channels_last_matches(pool_op("MaxPool", c, random_tensor<double>(c.x, 6)));
  expect_channels_last_matches(pool_op("AveragePool", c, random_tensor<double>(c.x, 7)));
}

TEST(NnPoolChannelsLast, GlobalPoolsMatchChannelsFirst) {
  for (const Shape& s : {Shape{2, 3, 5, 4}, Shape{1, 40, 30, 30}}) {
    SCOPED_TRACE(shape_to_string(s));
    for (const char* type : {"GlobalAveragePool", "GlobalMaxPool"}) {
      expect_channels_last_matches({.op_type = type, .opset = 1, .inputs = {random_tensor(s, 3)}});
      expect_channels_last_matches({.op_type = type, .opset = 1, .inputs = {random_tensor<double>(s, 4)}});
    }
  }
  SingleOp op{.op_type = "GlobalAveragePool", .opset = 1, .inputs = {random_tensor({2, 4, 3, 5}, 1)}};
  op.attrs.set_string("layout", "NHWC");
  auto y = run_single_op(op);
  ASSERT_TRUE(y.is_ok()) << y.status().to_string();
  EXPECT_EQ(y.value()[0].shape(), (Shape{2, 1, 1, 5}));
}

TEST(NnPoolChannelsLast, RejectsBadLayout) {
  SingleOp op{.op_type = "MaxPool", .opset = 12, .inputs = {random_tensor({1, 5, 2}, 1)}};
  op.attrs.set_ints("kernel_shape", {2});
  op.attrs.set_string("layout", "NHWC");
  expect_error(op, Code::kInvalidArgument, "'layout'='NHWC' needs a 4-D X");
  op.op_type = "AveragePool";
  expect_error(op, Code::kInvalidArgument, "'layout'='NHWC' needs a 4-D X");
  op.inputs = {random_tensor({1, 6, 6, 3}, 1)};
  op.attrs.set_ints("kernel_shape", {2, 2});
  op.attrs.set_string("layout", "NCWH");
  expect_error(op, Code::kInvalidArgument, "'layout'='NCWH' must be NCHW or NHWC");
  // Indices are flat channels-first positions: not offered channels-last.
  op.op_type = "MaxPool";
  op.attrs.set_string("layout", "NHWC");
  op.num_outputs = 2;
  expect_error(op, Code::kUnsupported, "Indices");
  SingleOp global{.op_type = "GlobalMaxPool", .opset = 1, .inputs = {random_tensor({1, 2, 3, 4, 5}, 1)}};
  global.attrs.set_string("layout", "NHWC");
  expect_error(global, Code::kInvalidArgument, "needs a 4-D X");
  global.inputs = {random_tensor({1, 2, 3, 4}, 1)};
  global.attrs.set_string("layout", "nhwc");
  expect_error(global, Code::kInvalidArgument, "must be NCHW or NHWC");
}

}  // namespace
}  // namespace tandem
