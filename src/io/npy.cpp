// .npy reader/writer: parses the header dict ('descr', 'fortran_order', 'shape') by hand; it is tiny and fixed.
#include "io/npy.h"

#include <cstring>
#include <fstream>
#include <sstream>

namespace tandem {
namespace {

struct NpyType { const char* descr; DType dtype; };
constexpr NpyType kTypes[] = {
    {"<f4", DType::kFloat32}, {"<f8", DType::kFloat64}, {"<f2", DType::kFloat16}, {"|i1", DType::kInt8},
    {"|u1", DType::kUInt8},   {"<i2", DType::kInt16},   {"<u2", DType::kUInt16},  {"<i4", DType::kInt32},
    {"<u4", DType::kUInt32},  {"<i8", DType::kInt64},   {"<u8", DType::kUInt64},  {"|b1", DType::kBool},
};

std::string header_field(const std::string& header, const std::string& key) {
  size_t k = header.find("'" + key + "'");
  if (k == std::string::npos) return "";
  size_t colon = header.find(':', k);
  if (colon == std::string::npos) return "";
  size_t start = header.find_first_not_of(' ', colon + 1);
  if (start == std::string::npos) return "";
  if (header[start] == '(') return header.substr(start, header.find(')', start) - start + 1);
  if (header[start] == '\'') return header.substr(start + 1, header.find('\'', start + 1) - start - 1);
  return header.substr(start, header.find_first_of(",}", start) - start);
}

}  // namespace

Result<Tensor> load_npy(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  TANDEM_CHECK_OR_RETURN(f.good(), kNotFound, "cannot open '%s'", path.c_str());
  char magic[8] = {};
  f.read(magic, 8);
  TANDEM_CHECK_OR_RETURN(f.gcount() == 8 && std::memcmp(magic, "\x93NUMPY", 6) == 0, kInvalidArgument,
                         "'%s' is not a .npy file", path.c_str());
  uint32_t header_len = 0;
  if (magic[6] == 1) {
    uint16_t len16 = 0;
    f.read(reinterpret_cast<char*>(&len16), 2);
    header_len = len16;
  } else {
    f.read(reinterpret_cast<char*>(&header_len), 4);
  }
  TANDEM_CHECK_OR_RETURN(f.good() && header_len < (1u << 20), kInvalidArgument, "'%s': bad .npy header", path.c_str());
  std::string header(header_len, '\0');
  f.read(header.data(), header_len);
  std::string descr = header_field(header, "descr");
  TANDEM_CHECK_OR_RETURN(header_field(header, "fortran_order") != "True", kUnsupported,
                         "'%s': Fortran-order arrays are not supported", path.c_str());
  DType dtype = DType::kUndefined;
  for (const NpyType& t : kTypes)
    if (descr == t.descr) dtype = t.dtype;
  TANDEM_CHECK_OR_RETURN(dtype != DType::kUndefined, kUnsupported, "'%s': unsupported dtype '%s'", path.c_str(),
                         descr.c_str());
  std::string shape_str = header_field(header, "shape");
  Shape shape;
  std::stringstream ss(shape_str.size() > 2 ? shape_str.substr(1, shape_str.size() - 2) : "");
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.find_first_not_of(' ') == std::string::npos) continue;
    char* end = nullptr;
    long long d = std::strtoll(item.c_str(), &end, 10);
    TANDEM_CHECK_OR_RETURN(d >= 0 && end != item.c_str(), kInvalidArgument, "'%s': bad shape %s", path.c_str(),
                           shape_str.c_str());
    shape.push_back(d);
  }
  Tensor t = Tensor::make(dtype, shape);
  f.read(static_cast<char*>(t.raw()), static_cast<std::streamsize>(t.nbytes()));
  TANDEM_CHECK_OR_RETURN(static_cast<size_t>(f.gcount()) == t.nbytes(), kInvalidArgument,
                         "'%s' is truncated: shape %s needs %zu bytes", path.c_str(), shape_to_string(shape).c_str(),
                         t.nbytes());
  return t;
}

Status save_npy(const Tensor& tensor, const std::string& path) {
  const char* descr = nullptr;
  for (const NpyType& t : kTypes)
    if (t.dtype == tensor.dtype()) descr = t.descr;
  TANDEM_CHECK_OR_RETURN(descr, kUnsupported, "cannot write %s as .npy", dtype_name(tensor.dtype()));
  std::string shape = "(";
  for (int64_t i = 0; i < tensor.rank(); ++i) shape += (i ? ", " : "") + std::to_string(tensor.dim(i));
  shape += tensor.rank() == 1 ? ",)" : ")";
  std::string header = "{'descr': '" + std::string(descr) + "', 'fortran_order': False, 'shape': " + shape + ", }";
  size_t total = 10 + header.size() + 1;
  header += std::string((64 - total % 64) % 64, ' ') + "\n";
  std::ofstream f(path, std::ios::binary);
  TANDEM_CHECK_OR_RETURN(f.good(), kIoError, "cannot write '%s'", path.c_str());
  f.write("\x93NUMPY\x01\x00", 8);
  uint16_t len = static_cast<uint16_t>(header.size());
  f.write(reinterpret_cast<const char*>(&len), 2);
  f << header;
  f.write(static_cast<const char*>(tensor.raw()), static_cast<std::streamsize>(tensor.nbytes()));
  TANDEM_CHECK_OR_RETURN(f.good(), kIoError, "cannot write '%s'", path.c_str());
  return Status::ok();
}

}  // namespace tandem
