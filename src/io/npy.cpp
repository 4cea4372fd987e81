// .npy reader/writer: the header dict ('descr', 'fortran_order', 'shape') parsed strictly by hand; it is tiny and
// fixed, and every size in it is checked against the bytes the file really has before anything is allocated.
#include "io/npy.h"

#include <cstring>
#include <fstream>

#include "core/checked_size.h"
#include "core/regular_file.h"

namespace tandem {
namespace {

struct NpyType { const char* descr; DType dtype; };
constexpr NpyType kTypes[] = {
    {"<f4", DType::kFloat32}, {"<f8", DType::kFloat64}, {"<f2", DType::kFloat16}, {"|i1", DType::kInt8},
    {"|u1", DType::kUInt8},   {"<i2", DType::kInt16},   {"<u2", DType::kUInt16},  {"<i4", DType::kInt32},
    {"<u4", DType::kUInt32},  {"<i8", DType::kInt64},   {"<u8", DType::kUInt64},  {"|b1", DType::kBool},
};

// The header is a Python dict literal as numpy writes it: {'descr': '<f4', 'fortran_order': False,
// 'shape': (1, 3, 224, 224), }. This parser takes exactly that grammar (the three keys once each, a string,
// a boolean and a tuple of decimal integers) and nothing looser, so '(1abc, 4xyz)' is an error, not [1, 4].
class HeaderParser {
 public:
  explicit HeaderParser(const std::string& text) : s_(text) {}

  struct Fields {
    std::string descr;
    bool fortran_order = false;
    Shape shape;
  };

  Result<Fields> parse() {
    Fields f;
    bool has_descr = false, has_order = false, has_shape = false;
    if (!eat('{')) return fail("the header is not a dict");
    while (!eat('}')) {
      std::string key;
      if (!quoted(&key) || !eat(':')) return fail("expected 'key': value");
      if (key == "descr" && !has_descr) {
        has_descr = true;
        if (!quoted(&f.descr)) return fail("'descr' is not a string");
      } else if (key == "fortran_order" && !has_order) {
        has_order = true;
        if (word("True")) f.fortran_order = true;
        else if (!word("False")) return fail("'fortran_order' is not True or False");
      } else if (key == "shape" && !has_shape) {
        has_shape = true;
        TANDEM_RETURN_IF_ERROR(tuple(&f.shape));
      } else {
        return fail("unexpected or repeated key '" + key + "'");
      }
      if (!eat(',') && !peek('}')) return fail("expected ',' or '}'");
    }
    skip_space();
    if (pos_ != s_.size()) return fail("text after the dict");
    if (!has_descr || !has_order || !has_shape) return fail("it needs 'descr', 'fortran_order' and 'shape'");
    return f;
  }

 private:
  Status fail(const std::string& what) const {
    return Status(Code::kInvalidArgument, "bad .npy header (" + what + ")");
  }
  void skip_space() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\n')) ++pos_;
  }
  bool peek(char c) {
    skip_space();
    return pos_ < s_.size() && s_[pos_] == c;
  }
  bool eat(char c) {
    if (!peek(c)) return false;
    ++pos_;
    return true;
  }
  bool word(const char* w) {
    skip_space();
    const size_t n = std::strlen(w);
    if (s_.compare(pos_, n, w) != 0) return false;
    pos_ += n;
    return true;
  }
  bool quoted(std::string* out) {
    if (!eat('\'')) return false;
    const size_t end = s_.find('\'', pos_);
    if (end == std::string::npos) return false;
    *out = s_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return true;
  }
  Status tuple(Shape* shape) {
    if (!eat('(')) return fail("'shape' is not a tuple");
    while (!eat(')')) {
      skip_space();
      int64_t d = 0;
      size_t digits = 0;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
        if (!checked_mul(d, 10, &d) || !checked_add(d, s_[pos_] - '0', &d)) return fail("a dimension overflows");
        ++pos_;
        ++digits;
      }
      if (digits == 0) return fail("a dimension is not a non-negative integer");
      shape->push_back(d);
      if (!eat(',') && !peek(')')) return fail("a dimension is not a non-negative integer");
    }
    return Status::ok();
  }

  const std::string& s_;
  size_t pos_ = 0;
};

}  // namespace

Result<Tensor> load_npy(const std::string& path) {
  TANDEM_ASSIGN_OR_RETURN(RegularFile file, RegularFile::open(path, ".npy file"));
  auto bad = [&](const std::string& what) { return Status(Code::kInvalidArgument, "'" + path + "': " + what); };
  unsigned char magic[10] = {};
  if (file.size() < 10 || !file.read_at(0, magic, 10).is_ok() || std::memcmp(magic, "\x93NUMPY", 6) != 0)
    return bad("not a .npy file");
  const int major = magic[6];
  if (major < 1 || major > 3) return bad(format("unknown .npy format version %d", major));
  uint64_t header_len = 0, header_at = 0;
  if (major == 1) {
    header_len = magic[8] | (magic[9] << 8);
    header_at = 10;
  } else {
    unsigned char len4[4] = {};
    if (file.size() < 12 || !file.read_at(8, len4, 4).is_ok()) return bad("truncated header");
    header_len = len4[0] | (len4[1] << 8) | (len4[2] << 16) | (static_cast<uint64_t>(len4[3]) << 24);
    header_at = 12;
  }
  // numpy itself refuses headers over 10 KB unless told otherwise; a megabyte leaves room and no more.
  if (header_len > (1u << 20) || header_len > file.size() - header_at) return bad("truncated or oversized header");
  std::string header(static_cast<size_t>(header_len), '\0');
  TANDEM_RETURN_IF_ERROR(file.read_at(header_at, header.data(), header.size()));
  Result<HeaderParser::Fields> fields = HeaderParser(header).parse();
  TANDEM_RETURN_IF_ERROR_CTX(fields.status(), "'" + path + "'");
  TANDEM_CHECK_OR_RETURN(!fields->fortran_order, kUnsupported, "'%s': Fortran-order arrays are not supported",
                         path.c_str());
  DType dtype = DType::kUndefined;
  for (const NpyType& t : kTypes)
    if (fields->descr == t.descr) dtype = t.dtype;
  TANDEM_CHECK_OR_RETURN(dtype != DType::kUndefined, kUnsupported, "'%s': unsupported dtype '%s'", path.c_str(),
                         fields->descr.c_str());
  const Shape& shape = fields->shape;
  Result<size_t> nbytes = checked_nbytes(dtype, shape);
  TANDEM_RETURN_IF_ERROR_CTX(nbytes.status(), "'" + path + "'");
  const uint64_t data_at = header_at + header_len, have = file.size() - data_at;
  if (have != *nbytes)
    return bad(format("shape %s of %s needs %zu bytes of data, the file has %llu", shape_to_string(shape).c_str(),
                      dtype_name(dtype), *nbytes, static_cast<unsigned long long>(have)));
  TANDEM_ASSIGN_OR_RETURN(Tensor t, Tensor::allocate(dtype, shape, "'" + path + "'"));
  TANDEM_RETURN_IF_ERROR(file.read_at(data_at, t.raw(), *nbytes));
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
