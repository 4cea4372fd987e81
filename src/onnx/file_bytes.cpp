// Whole-file reads with errors that name the file.
#include "onnx/file_bytes.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sys/stat.h>

namespace tandem {

Result<std::string> read_file_bytes(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0)
    return Status(Code::kNotFound, "cannot open '" + path + "': " + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) return Status(Code::kInvalidArgument, "'" + path + "' is a directory, not a file");
  std::ifstream f(path, std::ios::binary);
  if (!f) return Status(Code::kIoError, "cannot open '" + path + "': " + std::strerror(errno));
  std::string bytes(static_cast<size_t>(st.st_size), '\0');
  if (!f.read(bytes.data(), static_cast<std::streamsize>(bytes.size())))
    return Status(Code::kIoError, "cannot read '" + path + "'");
  return bytes;
}

}  // namespace tandem
