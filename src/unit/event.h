// Events order work across streams, as cudaEventRecord / cudaStreamWaitEvent do: record() on a stream marks
// "everything enqueued on it so far"; a wait() on another stream (or the host) holds back what is enqueued
// after it until that point is reached. Re-recording moves the mark, and a wait always refers to the latest
// record made before it. An event also carries the error of the stream that recorded it, so a failure flows
// to every stream and host that waits downstream instead of leaving them blocked.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>

#include "core/status.h"

namespace tandem {

class Event {
 public:
  Event() = default;
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  // Host side: blocks until the latest record made before this call has completed; returns its error, if any.
  Status synchronize() const;
  // Whether the latest record has completed (without blocking).
  bool query() const;

  // Stream side (used by Stream implementations). A record is a generation: issue() at enqueue time,
  // complete() when the stream reaches it.
  uint64_t issue();
  void complete(uint64_t generation, const Status& status);
  uint64_t issued() const;
  // Blocks until `generation` has completed; returns the status it completed with.
  Status wait_for(uint64_t generation) const;

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  uint64_t issued_ = 0, completed_ = 0;
  Status status_;  // of the latest completion; errors are sticky
};

}  // namespace tandem
