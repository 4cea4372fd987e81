// The process-wide memory limit and the running total of what is allocated under it.
#include "core/memory_limit.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace tandem {
namespace {

std::atomic<uint64_t> g_limit{0};  // 0: the default
std::atomic<uint64_t> g_in_use{0};

std::string limit_hint() {
  return "the memory limit is " + format_bytes(memory_limit()) + " (raise it with --max-memory)";
}

}  // namespace

uint64_t default_memory_limit() {
  static const uint64_t kDefault = [] {
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    if (pages <= 0 || page <= 0) return uint64_t{4} << 30;  // unknown: a conservative 4 GiB
    return static_cast<uint64_t>(pages) * static_cast<uint64_t>(page) / 2;
  }();
  return kDefault;
}

uint64_t memory_limit() {
  const uint64_t set = g_limit.load(std::memory_order_relaxed);
  return set ? set : default_memory_limit();
}

void set_memory_limit(uint64_t bytes) { g_limit.store(bytes, std::memory_order_relaxed); }

Result<uint64_t> parse_memory_size(const std::string& text) {
  size_t i = 0;
  uint64_t value = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    const uint64_t digit = static_cast<uint64_t>(text[i] - '0');
    if (value > (UINT64_MAX - digit) / 10) i = text.size() + 1;  // overflow: reported below
    else value = value * 10 + digit;
    ++i;
  }
  int shift = 0;
  if (i < text.size()) {
    switch (std::toupper(static_cast<unsigned char>(text[i]))) {
      case 'K': shift = 10; break;
      case 'M': shift = 20; break;
      case 'G': shift = 30; break;
      case 'T': shift = 40; break;
      default: shift = -1;
    }
    ++i;
    if (i < text.size() && std::toupper(static_cast<unsigned char>(text[i])) == 'I') ++i;  // "GiB"
    if (i < text.size() && std::toupper(static_cast<unsigned char>(text[i])) == 'B') ++i;
  }
  const bool digits = !text.empty() && std::isdigit(static_cast<unsigned char>(text[0]));
  if (!digits || shift < 0 || i != text.size() || value == 0 || (shift && value > (UINT64_MAX >> shift)))
    return Status(Code::kInvalidArgument,
                  "'" + text + "' is not a memory size (a positive number of bytes, or with K, M, G or T: '8G')");
  return value << shift;
}

std::string format_bytes(uint64_t bytes) {
  const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024.0 && u < 6) {
    v /= 1024.0;
    ++u;
  }
  return u == 0 ? std::to_string(bytes) + " bytes" : format("%.1f %s", v, units[u]);
}

Status check_size_within_limit(uint64_t bytes, const std::string& what) {
  if (bytes <= memory_limit()) return Status::ok();
  return Status(Code::kResourceExhausted, what + " needs " + format_bytes(bytes) + "; " + limit_hint());
}

Status reserve_memory(uint64_t bytes, const std::string& what) {
  const uint64_t limit = memory_limit();
  uint64_t used = g_in_use.load(std::memory_order_relaxed);
  do {
    if (bytes > limit || used > limit - bytes)
      return Status(Code::kResourceExhausted, what + " needs " + format_bytes(bytes) + " with " + format_bytes(used) +
                                                " already in use; " + limit_hint());
  } while (!g_in_use.compare_exchange_weak(used, used + bytes, std::memory_order_relaxed));
  return Status::ok();
}

void release_memory(uint64_t bytes) { g_in_use.fetch_sub(bytes, std::memory_order_relaxed); }

uint64_t memory_in_use() { return g_in_use.load(std::memory_order_relaxed); }

Result<std::shared_ptr<void>> allocate_counted(size_t bytes, const std::string& what) {
  // 64-byte alignment: a full cache line and an AVX-512 vector, so kernels may use aligned loads.
  if (bytes > SIZE_MAX - 63) return Status(Code::kResourceExhausted, what + " is too large to allocate");
  const size_t rounded = std::max<size_t>((bytes + 63) / 64 * 64, 64);
  TANDEM_RETURN_IF_ERROR(reserve_memory(rounded, what));
  void* p = std::aligned_alloc(64, rounded);
  if (!p) {
    release_memory(rounded);
    return Status(Code::kResourceExhausted, what + ": the system could not allocate " + format_bytes(rounded));
  }
  std::memset(p, 0, rounded);
  return std::shared_ptr<void>(p, [rounded](void* q) {
    std::free(q);
    release_memory(rounded);
  });
}

}  // namespace tandem
