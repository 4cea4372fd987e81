// Event: generations issued at record time and completed in order by the recording stream.
#include "unit/event.h"

namespace tandem {

uint64_t Event::issue() {
  std::lock_guard<std::mutex> lock(mu_);
  return ++issued_;
}

uint64_t Event::issued() const {
  std::lock_guard<std::mutex> lock(mu_);
  return issued_;
}

void Event::complete(uint64_t generation, const Status& status) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (generation > completed_) completed_ = generation;
    if (!status.is_ok() && status_.is_ok()) status_ = status;
  }
  cv_.notify_all();
}

Status Event::wait_for(uint64_t generation) const {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return completed_ >= generation; });
  return status_;
}

Status Event::synchronize() const {
  uint64_t target;
  {
    std::lock_guard<std::mutex> lock(mu_);
    target = issued_;
  }
  return wait_for(target);
}

bool Event::query() const {
  std::lock_guard<std::mutex> lock(mu_);
  return completed_ >= issued_;
}

}  // namespace tandem
