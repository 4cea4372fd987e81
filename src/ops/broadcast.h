// Shape arithmetic shared by many ops: numpy broadcasting and axis normalisation.
#pragma once

#include <vector>

#include "core/status.h"
#include "core/tensor.h"

namespace tandem {

// Multidirectional (numpy) broadcast of two shapes; an error names both shapes.
Result<Shape> broadcast_shapes(const Shape& a, const Shape& b);
// Element strides of a tensor of shape `in` read as shape `out` (right-aligned; 0 on broadcast dims).
std::vector<int64_t> broadcast_strides(const Shape& in, const Shape& out);
// Maps axis in [-rank, rank) to [0, rank); an error says which axis and rank.
Result<int64_t> normalize_axis(int64_t axis, int64_t rank);
// Row-major strides of a shape.
std::vector<int64_t> contiguous_strides(const Shape& shape);

}  // namespace tandem
