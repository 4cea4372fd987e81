// ThreadStream: a bounded FIFO of tasks consumed by one worker thread.
#include "unit/thread_stream.h"

#include <chrono>
#include <exception>

namespace tandem {

double trace_clock() {
  static const auto epoch = std::chrono::steady_clock::now();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch).count();
}

ThreadStream::ThreadStream(std::string name, std::function<Status()> on_start, size_t capacity)
    : name_(std::move(name)), on_start_(std::move(on_start)), ring_(capacity) {
  trace_clock();  // fix the epoch before any stream starts
  worker_ = std::thread([this] { worker_main(); });
}

ThreadStream::~ThreadStream() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  not_empty_.notify_all();
  worker_.join();
}

void ThreadStream::push(const Task& t) {
  std::unique_lock<std::mutex> lock(mu_);
  not_full_.wait(lock, [&] { return size_ < ring_.size(); });
  ring_[(head_ + size_) % ring_.size()] = t;
  ++size_;
  lock.unlock();
  not_empty_.notify_one();
}

void ThreadStream::launch(TaskFn fn, void* ctx, const char* label, int64_t frame) {
  Task t;
  t.kind = Task::Kind::kRun;
  t.fn = fn;
  t.ctx = ctx;
  t.label = label;
  t.frame = frame;
  push(t);
}

void ThreadStream::record(Event& event) {
  Task t;
  t.kind = Task::Kind::kRecord;
  t.record_event = &event;
  t.generation = event.issue();  // at enqueue time: a later wait() refers to this record
  push(t);
}

void ThreadStream::wait(const Event& event) {
  Task t;
  t.kind = Task::Kind::kWait;
  t.event = &event;
  t.generation = event.issued();  // the latest record made before this call, as cudaStreamWaitEvent
  push(t);
}

Status ThreadStream::synchronize() {
  record(sync_event_);
  return sync_event_.synchronize();
}

StreamStats ThreadStream::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void ThreadStream::reset_stats() {
  std::lock_guard<std::mutex> lock(mu_);
  stats_ = {};
}

void ThreadStream::set_trace(TraceBuffer* trace) {
  std::lock_guard<std::mutex> lock(mu_);
  trace_ = trace;
}

void ThreadStream::worker_main() {
  if (on_start_) error_ = on_start_().with_context(name_);
  for (;;) {
    Task t;
    {
      std::unique_lock<std::mutex> lock(mu_);
      not_empty_.wait(lock, [&] { return size_ > 0 || stopping_; });
      if (size_ == 0) return;  // stopping, and everything queued has run
      t = ring_[head_];
      head_ = (head_ + 1) % ring_.size();
      --size_;
    }
    not_full_.notify_one();
    execute(t);
  }
}

void ThreadStream::execute(const Task& t) {
  TraceBuffer* trace;
  {
    std::lock_guard<std::mutex> lock(mu_);
    trace = trace_;
  }
  switch (t.kind) {
    case Task::Kind::kRun: {
      if (!error_.is_ok()) return;  // after a failure the stream only passes its error on
      const double t0 = trace_clock();
      TaskEnv env{trace, t.frame};
      Status st;
      try {
        st = t.fn(t.ctx, env);
      } catch (const std::exception& e) {
        st = Status(Code::kInternal, std::string("exception: ") + e.what());
      } catch (...) {
        st = Status(Code::kInternal, "unknown exception");
      }
      const double t1 = trace_clock();
      if (!st.is_ok()) error_ = st.with_context(format("%s: %s (frame %lld)", name_.c_str(), t.label,
                                                        static_cast<long long>(t.frame)));
      if (trace) trace->add({t.label, t.frame, t0, t1, TraceEvent::Kind::kRun});
      std::lock_guard<std::mutex> lock(mu_);
      stats_.busy_seconds += t1 - t0;
      ++stats_.tasks;
      return;
    }
    case Task::Kind::kRecord:
      t.record_event->complete(t.generation, error_);
      return;
    case Task::Kind::kWait: {
      const double t0 = trace_clock();
      Status st = t.event->wait_for(t.generation);
      const double t1 = trace_clock();
      if (!st.is_ok() && error_.is_ok()) error_ = st;
      if (trace && t1 - t0 > 1e-6) trace->add({"wait", -1, t0, t1, TraceEvent::Kind::kWait});
      std::lock_guard<std::mutex> lock(mu_);
      stats_.wait_seconds += t1 - t0;
      return;
    }
  }
}

}  // namespace tandem
