// Which ops a channels-last region can hold and how their operands change with the layout: the op-level half of
// channels_last_regions (the region building and rewriting is in channels_last_regions.cpp).
#pragma once

#include <cstdint>
#include <vector>

#include "ir/graph.h"

namespace tandem::channels_last {

// What an op is to a region: how its inputs and attributes change when it runs on NHWC data.
enum class Kind { kNone, kConv, kPool, kUnary, kBroadcast, kResize, kConcat, kSplit, kReduce, kQdqPerAxis };

// Where an NCHW axis lands in NHWC ([N, H, W, C]); also the Transpose perm from NHWC back to NCHW.
inline constexpr int64_t kNhwcAxis[4] = {0, 3, 1, 2};
inline const std::vector<int64_t> kPermToNhwc = {0, 2, 3, 1};
inline const std::vector<int64_t> kPermToNchw = {0, 3, 1, 2};

inline Shape to_nhwc(const Shape& s) { return {s[0], s[2], s[3], s[1]}; }

bool is_scalar_value(const Value* v);
int64_t normalized_axis(int64_t axis, int64_t rank);
// The axes a Reduce node reads, or false when they are not known at build time.
bool reduce_axes(const Node* n, std::vector<int64_t>& axes, bool& from_input);

// What `n` can be inside a region (kNone: it ends one).
Kind classify(const Graph& g, const Node* n);
// The inputs whose layout follows the region's (the others are weights, scales, shapes).
std::vector<int> data_inputs(const Node* n, Kind kind);
// `t` (rank <= 4, numpy-broadcastable against an NCHW map) as the same operand of the NHWC map.
Tensor permuted_operand(const Tensor& t);

}  // namespace tandem::channels_last
