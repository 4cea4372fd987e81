// Accounting under the memory limit (tandem/memory_limit.h): every owning allocation of tensors, engine arenas and
// pipeline buffers is checked and counted here.
#pragma once

#include <cstdint>
#include <memory>
#include <new>
#include <string>

#include "core/status.h"
#include "tandem/memory_limit.h"

namespace tandem {

// "1.5 GiB", for messages.
std::string format_bytes(uint64_t bytes);

// An error unless one object of `bytes` could fit under the limit; `what` names it in the message.
Status check_size_within_limit(uint64_t bytes, const std::string& what);

// The running total every owning allocation is counted in: reserve before allocating (an error when the total
// would pass the limit), release after freeing.
Status reserve_memory(uint64_t bytes, const std::string& what);
void release_memory(uint64_t bytes);
uint64_t memory_in_use();

// Zero-filled, 64-byte aligned storage of at least `bytes` (rounded up to 64, at least 64), counted against the
// limit until the last owner drops it: tensor storage, engine arenas and pipeline slots. An error names `what`.
Result<std::shared_ptr<void>> allocate_counted(size_t bytes, const std::string& what);

// What an allocation that cannot return an error throws instead (Tensor::make): a std::bad_alloc, so that code
// catching that catches this, with the reason as its message.
class OutOfMemory : public std::bad_alloc {
 public:
  explicit OutOfMemory(std::string message) : message_(std::move(message)) {}
  const char* what() const noexcept override { return message_.c_str(); }

 private:
  std::string message_;
};

}  // namespace tandem
