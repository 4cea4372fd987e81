// The arena planner against the plain quadratic greedy it replaced (same offsets for the same requests), and
// the property that matters: buffers alive at the same time never share bytes.
#include <gtest/gtest.h>

#include <algorithm>
#include <climits>
#include <numeric>
#include <random>

#include "backends/cpu/memory_plan.h"

namespace tandem {
namespace {

// The definition: largest first, each at the lowest offset free over its whole lifetime, by scanning every
// buffer placed before it.
MemoryPlan plan_by_scanning(const std::vector<BufferRequest>& requests) {
  MemoryPlan plan;
  plan.offsets.assign(requests.size(), 0);
  std::vector<size_t> order(requests.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return requests[a].bytes > requests[b].bytes; });
  std::vector<size_t> done;
  for (size_t idx : order) {
    const BufferRequest& r = requests[idx];
    const size_t size = std::max<size_t>((r.bytes + 63) / 64 * 64, 64);
    std::vector<std::pair<size_t, size_t>> busy;
    for (size_t p : done) {
      const BufferRequest& q = requests[p];
      if (q.first_step <= r.last_step && r.first_step <= q.last_step)
        busy.emplace_back(plan.offsets[p], plan.offsets[p] + std::max<size_t>((q.bytes + 63) / 64 * 64, 64));
    }
    std::sort(busy.begin(), busy.end());
    size_t offset = 0;
    for (const auto& [start, end] : busy) {
      if (offset + size <= start) break;
      offset = std::max(offset, end);
    }
    plan.offsets[idx] = offset;
    plan.total_bytes = std::max(plan.total_bytes, offset + size);
    done.push_back(idx);
  }
  return plan;
}

std::vector<BufferRequest> random_requests(std::mt19937& rng, int count, int steps) {
  std::vector<BufferRequest> out;
  for (int i = 0; i < count; ++i) {
    BufferRequest r;
    r.bytes = rng() % 5 == 0 ? 0 : 1 + rng() % 100000;
    r.first_step = static_cast<int>(rng() % (steps + 1)) - 1;  // -1: a graph input
    const int kind = static_cast<int>(rng() % 10);
    r.last_step = kind == 0 ? INT_MAX                                            // a graph output
                  : kind == 1 ? r.first_step                                    // never read
                              : r.first_step + static_cast<int>(rng() % 8);  // read a few steps later
    out.push_back(r);
  }
  return out;
}

TEST(MemoryPlan, SameOffsetsAsScanningAndNoOverlapInTime) {
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    const int steps = 1 + static_cast<int>(rng() % 60);
    const std::vector<BufferRequest> requests = random_requests(rng, 1 + static_cast<int>(rng() % 80), steps);
    const MemoryPlan plan = plan_memory(requests), want = plan_by_scanning(requests);
    ASSERT_EQ(plan.offsets, want.offsets) << "round " << round;
    ASSERT_EQ(plan.total_bytes, want.total_bytes);
    for (size_t a = 0; a < requests.size(); ++a)
      for (size_t b = a + 1; b < requests.size(); ++b) {
        const BufferRequest &ra = requests[a], &rb = requests[b];
        if (ra.last_step < rb.first_step || rb.last_step < ra.first_step) continue;
        const size_t ea = plan.offsets[a] + std::max<size_t>(ra.bytes, 1), eb = plan.offsets[b] + std::max<size_t>(rb.bytes, 1);
        EXPECT_TRUE(ea <= plan.offsets[b] || eb <= plan.offsets[a]) << "buffers " << a << " and " << b;
      }
  }
}

TEST(MemoryPlan, ManyBuffersAliveAtOnceNeverShareBytes) {
  // A node reading 3000 tensors that are all alive at once: past the planner's overlap bound buffers go on top.
  std::mt19937 rng(3);
  std::vector<BufferRequest> fan;
  const int n = 3000;
  for (int i = 0; i < n; ++i) fan.push_back({1 + rng() % 5000, i, n});
  fan.push_back({4096, n, INT_MAX});
  const MemoryPlan plan = plan_memory(fan);
  std::vector<std::pair<size_t, size_t>> ranges;
  for (int i = 0; i < n; ++i) ranges.emplace_back(plan.offsets[i], plan.offsets[i] + fan[i].bytes);
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i) EXPECT_LE(ranges[i - 1].second, ranges[i].first);
}

TEST(MemoryPlan, LongChainStaysSmall) {
  // x -> n0 -> n1 -> ... -> y: two buffers suffice whatever the length, and planning 200000 of them is quick.
  std::vector<BufferRequest> chain;
  const int n = 200000;
  chain.push_back({4096, -1, 0});
  for (int s = 0; s < n; ++s) chain.push_back({4096, s, s + 1 == n ? INT_MAX : s + 1});
  const MemoryPlan plan = plan_memory(chain);
  EXPECT_EQ(plan.total_bytes, 2u * 4096);
}

}  // namespace
}  // namespace tandem
