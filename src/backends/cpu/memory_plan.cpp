// Greedy arena planner (the same idea as TFLite's and ONNX Runtime's: size-ordered first fit over lifetimes).
#include "backends/cpu/memory_plan.h"

#include <algorithm>
#include <numeric>

namespace tandem {

MemoryPlan plan_memory(const std::vector<BufferRequest>& requests) {
  constexpr size_t kAlign = 64;
  MemoryPlan plan;
  plan.offsets.assign(requests.size(), 0);
  std::vector<size_t> order(requests.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return requests[a].bytes > requests[b].bytes; });

  struct Placed { size_t offset, end; int first, last; };
  std::vector<Placed> placed;
  for (size_t idx : order) {
    const BufferRequest& r = requests[idx];
    size_t size = (r.bytes + kAlign - 1) / kAlign * kAlign;
    if (size == 0) size = kAlign;
    // Intervals already taken during this buffer's lifetime, by start address.
    std::vector<std::pair<size_t, size_t>> busy;
    for (const Placed& p : placed)
      if (p.first <= r.last_step && r.first_step <= p.last) busy.emplace_back(p.offset, p.end);
    std::sort(busy.begin(), busy.end());
    size_t offset = 0;
    for (const auto& [start, end] : busy) {
      if (offset + size <= start) break;
      offset = std::max(offset, end);
    }
    plan.offsets[idx] = offset;
    placed.push_back({offset, offset + size, r.first_step, r.last_step});
    plan.total_bytes = std::max(plan.total_bytes, offset + size);
  }
  return plan;
}

}  // namespace tandem
