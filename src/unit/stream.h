// A stream: an ordered queue of work on one compute unit, with events to order work across streams (the
// cudaStream_t of the interface). The pipeline is written once against this class; a CPU unit runs it on a
// worker thread pinned to its cores, a CUDA unit would map it onto a cudaStream_t.
//
// Enqueueing never allocates: tasks are a function pointer and a context prepared once by the caller, held in
// a fixed-capacity ring (enqueue blocks while it is full).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "unit/event.h"

namespace tandem {

// Seconds on a steady clock shared by every stream, so traces of different units line up.
double trace_clock();

struct TraceEvent {
  const char* label = "";  // static or owned by the task's context (stage / layer names)
  int64_t frame = -1;
  double begin = 0, end = 0;
  enum class Kind : uint8_t { kRun, kWait, kLayer } kind = Kind::kRun;
};

// Per-stream trace storage, written only by the stream's own thread; reserved up front so recording does
// not allocate. Full buffers drop further events and count them.
class TraceBuffer {
 public:
  void reserve(size_t n) { events_.reserve(n); }
  void add(const TraceEvent& e) {
    if (events_.size() < events_.capacity()) events_.push_back(e);
    else ++dropped_;
  }
  const std::vector<TraceEvent>& events() const { return events_; }
  size_t dropped() const { return dropped_; }
  void clear() {
    events_.clear();
    dropped_ = 0;
  }

 private:
  std::vector<TraceEvent> events_;
  size_t dropped_ = 0;
};

// What a running task can see: the trace of its stream (null when not tracing).
struct TaskEnv {
  TraceBuffer* trace = nullptr;
  int64_t frame = -1;
};
using TaskFn = Status (*)(void* ctx, TaskEnv& env);

struct StreamStats {
  double busy_seconds = 0;  // inside tasks
  double wait_seconds = 0;  // blocked on events of other streams
  int64_t tasks = 0;
};

class Stream {
 public:
  virtual ~Stream() = default;
  virtual const std::string& name() const = 0;
  // Runs fn(ctx) after everything enqueued before. `label` and `frame` name it in traces and errors.
  virtual void launch(TaskFn fn, void* ctx, const char* label, int64_t frame) = 0;
  virtual void record(Event& event) = 0;
  virtual void wait(const Event& event) = 0;
  // Host: waits until everything enqueued so far has run; returns the stream's first error.
  virtual Status synchronize() = 0;

  // Accounting since the last reset (read after synchronize()).
  virtual StreamStats stats() const = 0;
  virtual void reset_stats() = 0;
  // Tracing: null disables it. The buffer must outlive the work enqueued while it is set.
  virtual void set_trace(TraceBuffer* trace) = 0;
};

}  // namespace tandem
