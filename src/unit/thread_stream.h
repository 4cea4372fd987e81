// The host-thread implementation of Stream: one worker thread runs the queue in order. A CPU unit gives it a
// start hook that pins the thread (and so the OpenMP team it starts) to the unit's cores.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "unit/stream.h"

namespace tandem {

class ThreadStream final : public Stream {
 public:
  // `on_start` runs first on the worker thread (affinity, thread counts); if it fails, every task the stream is
  // given fails with its error (a unit that cannot pin its cores must not run unpinned).
  ThreadStream(std::string name, std::function<Status()> on_start, size_t capacity = 1024);
  ~ThreadStream() override;  // runs what is queued, then joins

  const std::string& name() const override { return name_; }
  void launch(TaskFn fn, void* ctx, const char* label, int64_t frame) override;
  void record(Event& event) override;
  void wait(const Event& event) override;
  Status synchronize() override;
  StreamStats stats() const override;
  void reset_stats() override;
  void set_trace(TraceBuffer* trace) override;

 private:
  struct Task {
    enum class Kind : uint8_t { kRun, kRecord, kWait } kind = Kind::kRun;
    TaskFn fn = nullptr;
    void* ctx = nullptr;
    const Event* event = nullptr;   // kWait
    Event* record_event = nullptr;  // kRecord
    uint64_t generation = 0;
    const char* label = "";
    int64_t frame = -1;
  };
  void push(const Task& t);
  void worker_main();
  void execute(const Task& t);

  std::string name_;
  std::function<Status()> on_start_;
  mutable std::mutex mu_;
  std::condition_variable not_empty_, not_full_;
  std::vector<Task> ring_;
  size_t head_ = 0, size_ = 0;
  bool stopping_ = false;
  Event sync_event_;
  // Worker-thread state (read by the host only after a synchronize()).
  Status error_;
  StreamStats stats_;
  TraceBuffer* trace_ = nullptr;
  std::thread worker_;
};

}  // namespace tandem
