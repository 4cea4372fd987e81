// Streams and events: in-order execution, cross-stream ordering by record/wait (cudaEventRecord /
// cudaStreamWaitEvent semantics), error propagation, and CPU streams pinned to their unit's cores.
#include <gtest/gtest.h>

#include <omp.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include "backends/cpu/cpu_unit.h"
#include "unit/thread_stream.h"

namespace tandem {
namespace {

void sleep_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

struct Shared {
  std::atomic<int> value{0};
  int seen = -1;
};

Status slow_write(void* ctx, TaskEnv&) {
  sleep_ms(60);
  static_cast<Shared*>(ctx)->value = 1;
  return Status::ok();
}
Status read_value(void* ctx, TaskEnv&) {
  auto* s = static_cast<Shared*>(ctx);
  s->seen = s->value;
  return Status::ok();
}

// Stream B reads what stream A writes after a delay. With B waiting on A's event it must see the write;
// without the wait (the control) it runs at once and sees the old value, so the wait is what orders them.
TEST(Streams, EventOrdersWorkAcrossStreams) {
  for (bool with_wait : {true, false}) {
    Shared shared;
    ThreadStream a("a", nullptr), b("b", nullptr);
    Event written;
    a.launch(&slow_write, &shared, "write", 0);
    a.record(written);
    if (with_wait) b.wait(written);
    b.launch(&read_value, &shared, "read", 0);
    ASSERT_TRUE(b.synchronize().is_ok());
    ASSERT_TRUE(a.synchronize().is_ok());
    EXPECT_EQ(shared.seen, with_wait ? 1 : 0) << (with_wait ? "B must wait for A" : "control: no wait, no order");
  }
}

Status append(void* ctx, TaskEnv& env) {
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  static_cast<std::vector<int64_t>*>(ctx)->push_back(env.frame);
  return Status::ok();
}

TEST(Streams, RunInOrderAndWaitRefersToTheLatestRecordBeforeIt) {
  std::vector<int64_t> order;
  ThreadStream s("s", nullptr);
  for (int i = 0; i < 50; ++i) s.launch(&append, &order, "append", i);
  ASSERT_TRUE(s.synchronize().is_ok());
  ASSERT_EQ(order.size(), 50u);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(order[static_cast<size_t>(i)], i);

  // A wait enqueued before a second record is satisfied by the first one.
  ThreadStream a("a", nullptr), b("b", nullptr);
  Event e;
  a.record(e);
  b.wait(e);  // refers to record #1
  Shared shared;
  a.launch(&slow_write, &shared, "later", 1);
  a.record(e);  // record #2, after the slow write
  b.launch(&read_value, &shared, "read", 1);
  ASSERT_TRUE(b.synchronize().is_ok());
  EXPECT_EQ(shared.seen, 0) << "B waited for record #1 only";
  ASSERT_TRUE(a.synchronize().is_ok());
}

Status fail(void*, TaskEnv&) { return Status(Code::kInternal, "stage exploded"); }
Status throw_exception(void*, TaskEnv&) { throw std::runtime_error("out of range"); }

TEST(Streams, FailuresReachWaitingStreamsAndTheHost) {
  for (TaskFn bad : {&fail, &throw_exception}) {
    ThreadStream a("a", nullptr), b("b", nullptr);
    Event e;
    Shared shared;
    a.launch(bad, nullptr, "bad stage", 7);
    a.launch(&read_value, &shared, "skipped", 8);  // a failed stream runs nothing more
    a.record(e);
    b.wait(e);
    b.launch(&read_value, &shared, "also skipped", 7);
    Status sb = b.synchronize();
    EXPECT_FALSE(sb.is_ok());
    EXPECT_NE(sb.message().find("bad stage (frame 7)"), std::string::npos) << sb.to_string();
    EXPECT_FALSE(e.synchronize().is_ok());
    EXPECT_FALSE(a.synchronize().is_ok());
    EXPECT_EQ(shared.seen, -1) << "nothing after the failure ran";
  }
}

struct AffinityProbe {
  std::vector<int> stream_cores;
  std::set<std::vector<int>> team_cores;
  int team_size = 0;
};

Status probe_affinity(void* ctx, TaskEnv&) {
  auto* p = static_cast<AffinityProbe*>(ctx);
  p->stream_cores = current_thread_cores();
  std::mutex mu;
#pragma omp parallel
  {
    std::vector<int> c = current_thread_cores();
    std::lock_guard<std::mutex> lock(mu);
    p->team_cores.insert(c);
    p->team_size = omp_get_num_threads();
  }
  return Status::ok();
}

// A CPU unit's stream thread and the OpenMP team it starts (the threads oneDNN's kernels run on) keep to the
// unit's cores, and the team has one thread per core.
TEST(CpuUnitStreams, KeepToTheirCores) {
  std::vector<int> all = current_thread_cores();
  ASSERT_FALSE(all.empty());
  std::vector<std::vector<int>> groups{{all.front()}};
  if (all.size() >= 2) groups.push_back({all.back()});
  if (all.size() >= 2) groups.push_back(all);
  for (const std::vector<int>& cores : groups) {
    CpuUnit unit({"u", "cpu", cores});
    auto stream = unit.create_stream("u");
    AffinityProbe probe;
    stream->launch(&probe_affinity, &probe, "probe", 0);
    ASSERT_TRUE(stream->synchronize().is_ok());
    EXPECT_EQ(probe.stream_cores, cores);
    ASSERT_EQ(probe.team_cores.size(), 1u);
    EXPECT_EQ(*probe.team_cores.begin(), cores);
    EXPECT_EQ(probe.team_size, static_cast<int>(cores.size()));
  }
  EXPECT_EQ(current_thread_cores(), all) << "pinning a unit's stream leaves the caller's thread alone";
}

}  // namespace
}  // namespace tandem
