// The memory limit: the most bytes Tandem holds at once in tensors, engine arenas and pipeline buffers, so that
// a file declaring a huge tensor, or a model whose shapes grow without bound, is an error before it allocates
// (ONNX Runtime's arena max_mem, TensorRT's memory pool limits). Process-wide, like the allocator it guards.
#pragma once

#include <cstdint>
#include <memory>
#include <new>
#include <string>

#include "core/status.h"

namespace tandem {

// Half of the machine's physical memory: room for the model and its buffers, with the rest left to the OS and
// the application around Tandem.
uint64_t default_memory_limit();
uint64_t memory_limit();
// 0 restores the default.
void set_memory_limit(uint64_t bytes);
// "8G", "512M", "64K" or plain bytes (binary units), as --max-memory takes them; an error names the text.
Result<uint64_t> parse_memory_size(const std::string& text);
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
