// External data: parsing the location/offset/length entries and confining the file to the model's folder.
#include "onnx/external_data.h"

#include <onnx/onnx_pb.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

namespace tandem {
namespace {

// A decimal count with nothing else around it ("12", not "12abc", "-1" or "0x10").
bool parse_count(const std::string& s, uint64_t* out) {
  if (s.empty() || s.size() > 19) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *out = v;
  return true;
}

Result<std::string> real_path(const std::string& path, const std::string& where) {
  char* resolved = ::realpath(path.c_str(), nullptr);
  if (!resolved)
    return Status(errno == ENOENT ? Code::kNotFound : Code::kIoError,
                  where + ": external data file '" + path + "': " + std::strerror(errno));
  std::string out(resolved);
  std::free(resolved);
  return out;
}

}  // namespace

Result<ExternalData> open_external_data(const onnx::TensorProto& proto, const std::string& base_dir,
                                        uint64_t nbytes, const std::string& where) {
  std::string location;
  uint64_t offset = 0, length = 0;
  bool has_length = false;
  for (const auto& kv : proto.external_data()) {
    if (kv.key() == "location") {
      location = kv.value();
    } else if (kv.key() == "offset") {
      TANDEM_CHECK_OR_RETURN(parse_count(kv.value(), &offset), kInvalidModel,
                             "%s: external data offset '%s' is not a byte count", where.c_str(), kv.value().c_str());
    } else if (kv.key() == "length") {
      TANDEM_CHECK_OR_RETURN(parse_count(kv.value(), &length), kInvalidModel,
                             "%s: external data length '%s' is not a byte count", where.c_str(), kv.value().c_str());
      has_length = true;
    }
  }
  TANDEM_CHECK_OR_RETURN(!location.empty(), kInvalidModel, "%s: external data without a location", where.c_str());
  TANDEM_CHECK_OR_RETURN(!base_dir.empty(), kInvalidModel,
                         "%s: external data file '%s', but a model read from memory has no folder to read it from",
                         where.c_str(), location.c_str());
  TANDEM_CHECK_OR_RETURN(location.find('\0') == std::string::npos && location[0] != '/' &&
                             location.find("..") == std::string::npos,
                         kInvalidModel, "%s: external data location '%s' leaves the model's folder", where.c_str(),
                         location.c_str());
  TANDEM_CHECK_OR_RETURN(!has_length || length == nbytes, kInvalidModel,
                         "%s: external data length %llu does not match the %llu bytes of the tensor", where.c_str(),
                         static_cast<unsigned long long>(length), static_cast<unsigned long long>(nbytes));
  // Symbolic links are followed first and the result must still be inside the folder: a link in the model's
  // folder to /etc/passwd would otherwise read that file into the tensor.
  TANDEM_ASSIGN_OR_RETURN(std::string folder, real_path(base_dir, where));
  TANDEM_ASSIGN_OR_RETURN(std::string target, real_path(folder + "/" + location, where));
  TANDEM_CHECK_OR_RETURN(target.size() > folder.size() + 1 && target.compare(0, folder.size(), folder) == 0 &&
                             (folder == "/" || target[folder.size()] == '/'),
                         kInvalidModel, "%s: external data location '%s' resolves to '%s', outside the model's folder",
                         where.c_str(), location.c_str(), target.c_str());
  Result<RegularFile> file = RegularFile::open(target, "external data file");
  TANDEM_RETURN_IF_ERROR_CTX(file.status(), where);
  TANDEM_CHECK_OR_RETURN(offset <= file->size() && nbytes <= file->size() - offset, kInvalidModel,
                         "%s: external data file '%s' has %llu bytes, too few for %llu at offset %llu", where.c_str(),
                         location.c_str(), static_cast<unsigned long long>(file->size()),
                         static_cast<unsigned long long>(nbytes), static_cast<unsigned long long>(offset));
  return ExternalData{std::move(file).value(), offset};
}

}  // namespace tandem
