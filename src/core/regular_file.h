// Reading files that come from outside: only regular files (a FIFO or a device such as /dev/zero could block or
// never end), never more bytes than a limit, and every read bounded by the size the file really has.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/status.h"

namespace tandem {

class RegularFile {
 public:
  // Opens without blocking (a FIFO would wait for a writer) and refuses anything but a regular file.
  // `what` names the file's role in errors ("engine file", "external data of initializer 'w'").
  static Result<RegularFile> open(const std::string& path, const std::string& what);

  RegularFile(RegularFile&& other) noexcept;
  RegularFile& operator=(RegularFile&& other) noexcept;
  RegularFile(const RegularFile&) = delete;
  RegularFile& operator=(const RegularFile&) = delete;
  ~RegularFile();

  uint64_t size() const { return size_; }
  const std::string& path() const { return path_; }
  // Reads exactly `n` bytes at `offset`; an error if they are not all inside the file.
  Status read_at(uint64_t offset, void* dst, size_t n) const;

 private:
  RegularFile(int fd, uint64_t size, std::string path, std::string what)
      : fd_(fd), size_(size), path_(std::move(path)), what_(std::move(what)) {}
  int fd_ = -1;
  uint64_t size_ = 0;
  std::string path_, what_;
};

// The whole of a regular file of at most `max_bytes`.
Result<std::string> read_regular_file(const std::string& path, uint64_t max_bytes, const std::string& what);

// Limits on the files Tandem reads whole. Protobuf cannot parse a message over 2 GiB, so neither can a model or a
// tensor file be larger (larger models keep their weights in external data files); plans and calibration caches
// are text of a few kilobytes.
inline constexpr uint64_t kMaxProtobufFileBytes = (uint64_t{2} << 30) - 1;
inline constexpr uint64_t kMaxTextFileBytes = uint64_t{64} << 20;

}  // namespace tandem
