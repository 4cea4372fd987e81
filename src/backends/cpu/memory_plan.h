// Liveness-based arena planning: buffers whose lifetimes do not overlap share memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace tandem {

struct BufferRequest {
  size_t bytes = 0;
  int first_step = 0;  // step that writes it (-1: written before step 0, e.g. graph inputs)
  int last_step = 0;   // last step that reads it (INT32_MAX-like: lives to the end)
};

struct MemoryPlan {
  std::vector<size_t> offsets;  // one per request, 64-byte aligned
  size_t total_bytes = 0;
};

// Greedy best-fit by decreasing size: each buffer takes the lowest offset free over its whole lifetime.
MemoryPlan plan_memory(const std::vector<BufferRequest>& requests);

}  // namespace tandem
