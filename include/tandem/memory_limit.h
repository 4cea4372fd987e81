// The memory limit: the most bytes Tandem holds at once in tensors, engine arenas and pipeline buffers, so that
// a file declaring a huge tensor, or a model whose shapes grow without bound, is an error before it allocates
// (ONNX Runtime's arena max_mem, TensorRT's memory pool limits). Process-wide, like the allocator it guards; the
// CLI's --max-memory sets it.
#pragma once

#include <cstdint>
#include <string>

#include "tandem/status.h"

namespace tandem {

// Half of the machine's physical memory: room for the model and its buffers, with the rest left to the OS and
// the application around Tandem.
uint64_t default_memory_limit();
uint64_t memory_limit();
// 0 restores the default.
void set_memory_limit(uint64_t bytes);
// "8G", "512M", "64K" or plain bytes (binary units), as --max-memory takes them; an error names the text.
Result<uint64_t> parse_memory_size(const std::string& text);

}  // namespace tandem
