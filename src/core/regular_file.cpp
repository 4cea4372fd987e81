// Bounded reads of regular files with POSIX calls (pread: no stream state, exact byte counts).
#include "core/regular_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/memory_limit.h"

namespace tandem {

Result<RegularFile> RegularFile::open(const std::string& path, const std::string& what) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    const Code code = errno == ENOENT ? Code::kNotFound : Code::kIoError;
    return Status(code, "cannot open " + what + " '" + path + "': " + std::strerror(errno));
  }
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return Status(Code::kIoError, "cannot read " + what + " '" + path + "': " + std::strerror(err));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    const char* kind = S_ISDIR(st.st_mode) ? "a directory" : S_ISFIFO(st.st_mode) ? "a FIFO"
                       : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)               ? "a device"
                       : S_ISSOCK(st.st_mode)                                      ? "a socket"
                                                                                   : "not a regular file";
    return Status(Code::kInvalidArgument, what + " '" + path + "' is " + kind + ", not a regular file");
  }
  return RegularFile(fd, static_cast<uint64_t>(st.st_size), path, what);
}

RegularFile::RegularFile(RegularFile&& other) noexcept
    : fd_(other.fd_), size_(other.size_), path_(std::move(other.path_)), what_(std::move(other.what_)) {
  other.fd_ = -1;
}

RegularFile& RegularFile::operator=(RegularFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    size_ = other.size_;
    path_ = std::move(other.path_);
    what_ = std::move(other.what_);
    other.fd_ = -1;
  }
  return *this;
}

RegularFile::~RegularFile() {
  if (fd_ >= 0) ::close(fd_);
}

Status RegularFile::read_at(uint64_t offset, void* dst, size_t n) const {
  if (offset > size_ || n > size_ - offset)
    return Status(Code::kInvalidArgument, format("%s '%s' is too short: %zu bytes at offset %llu, but it has %llu",
                                                 what_.c_str(), path_.c_str(), n,
                                                 static_cast<unsigned long long>(offset),
                                                 static_cast<unsigned long long>(size_)));
  char* out = static_cast<char*>(dst);
  size_t done = 0;
  while (done < n) {
    const ssize_t got = ::pread(fd_, out + done, n - done, static_cast<off_t>(offset + done));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return Status(Code::kIoError, "cannot read " + what_ + " '" + path_ + "': " + std::strerror(errno));
    if (got == 0)  // shrank since it was opened
      return Status(Code::kIoError, what_ + " '" + path_ + "' ended early while it was being read");
    done += static_cast<size_t>(got);
  }
  return Status::ok();
}

Result<std::string> read_regular_file(const std::string& path, uint64_t max_bytes, const std::string& what) {
  TANDEM_ASSIGN_OR_RETURN(RegularFile file, RegularFile::open(path, what));
  if (file.size() > max_bytes)
    return Status(Code::kResourceExhausted, what + " '" + path + "' has " + format_bytes(file.size()) +
                                                ", over the " + format_bytes(max_bytes) + " such a file may have");
  TANDEM_RETURN_IF_ERROR(check_size_within_limit(file.size(), what + " '" + path + "'"));
  std::string bytes(static_cast<size_t>(file.size()), '\0');
  TANDEM_RETURN_IF_ERROR(file.read_at(0, bytes.data(), bytes.size()));
  return bytes;
}

}  // namespace tandem
