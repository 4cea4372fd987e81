// TensorProto <-> Tensor: raw_data, the typed repeated fields, and external data files.
#include "onnx/tensor_proto.h"

#include <onnx/onnx_pb.h>

#include <cstdlib>
#include <cstring>
#include <fstream>

#include "onnx/file_bytes.h"

namespace tandem {
namespace {

// Typed fields hold small types widened to int32 (int8..uint16, bool, fp16/bf16 bit patterns).
template <typename Dst, typename Field>
void copy_field(const Field& field, Tensor& t) {
  Dst* out = t.data<Dst>();
  for (int i = 0; i < field.size(); ++i) out[i] = static_cast<Dst>(field.Get(i));
}

Status read_external(const onnx::TensorProto& proto, const std::string& base_dir, const std::string& where,
                     Tensor& t) {
  std::string location;
  int64_t offset = 0, length = -1;
  for (const auto& kv : proto.external_data()) {
    if (kv.key() == "location") location = kv.value();
    else if (kv.key() == "offset") offset = std::strtoll(kv.value().c_str(), nullptr, 10);
    else if (kv.key() == "length") length = std::strtoll(kv.value().c_str(), nullptr, 10);
  }
  TANDEM_CHECK_OR_RETURN(!location.empty(), kInvalidModel, "%s: external data without a location", where.c_str());
  TANDEM_CHECK_OR_RETURN(location.find("..") == std::string::npos && location[0] != '/', kInvalidModel,
                         "%s: external data location '%s' leaves the model's directory", where.c_str(),
                         location.c_str());
  std::string path = (base_dir.empty() ? std::string(".") : base_dir) + "/" + location;
  std::ifstream f(path, std::ios::binary);
  TANDEM_CHECK_OR_RETURN(f.good(), kNotFound, "%s: cannot open external data file '%s'", where.c_str(),
                         path.c_str());
  size_t want = t.nbytes();
  TANDEM_CHECK_OR_RETURN(length < 0 || static_cast<size_t>(length) == want, kInvalidModel,
                         "%s: external data length %lld does not match %zu bytes of the tensor", where.c_str(),
                         static_cast<long long>(length), want);
  f.seekg(offset);
  f.read(static_cast<char*>(t.raw()), static_cast<std::streamsize>(want));
  TANDEM_CHECK_OR_RETURN(static_cast<size_t>(f.gcount()) == want, kInvalidModel,
                         "%s: external data file '%s' is too short", where.c_str(), path.c_str());
  return Status::ok();
}

}  // namespace

Result<Tensor> tensor_from_proto(const onnx::TensorProto& proto, const std::string& base_dir,
                                 const std::string& where) {
  int32_t code = proto.data_type();
  TANDEM_CHECK_OR_RETURN(dtype_is_valid(code), kUnsupported, "%s has unsupported data type %d", where.c_str(), code);
  DType dtype = static_cast<DType>(code);
  TANDEM_CHECK_OR_RETURN(dtype != DType::kString, kUnsupported, "%s is a string tensor; strings are not supported",
                         where.c_str());
  Shape shape;
  for (int64_t d : proto.dims()) {
    TANDEM_CHECK_OR_RETURN(d >= 0, kInvalidModel, "%s has negative dimension %lld", where.c_str(),
                           static_cast<long long>(d));
    shape.push_back(d);
  }
  Tensor t = Tensor::make(dtype, shape);
  int64_t n = t.numel();
  if (proto.data_location() == onnx::TensorProto::EXTERNAL) {
    TANDEM_RETURN_IF_ERROR(read_external(proto, base_dir, where, t));
    return t;
  }
  if (proto.has_raw_data()) {
    TANDEM_CHECK_OR_RETURN(proto.raw_data().size() == t.nbytes(), kInvalidModel,
                           "%s: raw_data has %zu bytes, shape %s of %s needs %zu", where.c_str(),
                           proto.raw_data().size(), shape_to_string(shape).c_str(), dtype_name(dtype), t.nbytes());
    std::memcpy(t.raw(), proto.raw_data().data(), t.nbytes());
    return t;
  }
  int64_t have = 0;
  switch (dtype) {
    case DType::kFloat32: have = proto.float_data_size(); if (have == n) copy_field<float>(proto.float_data(), t); break;
    case DType::kFloat64: have = proto.double_data_size(); if (have == n) copy_field<double>(proto.double_data(), t); break;
    case DType::kInt64: have = proto.int64_data_size(); if (have == n) copy_field<int64_t>(proto.int64_data(), t); break;
    case DType::kUInt32: have = proto.uint64_data_size(); if (have == n) copy_field<uint32_t>(proto.uint64_data(), t); break;
    case DType::kUInt64: have = proto.uint64_data_size(); if (have == n) copy_field<uint64_t>(proto.uint64_data(), t); break;
    case DType::kInt32: have = proto.int32_data_size(); if (have == n) copy_field<int32_t>(proto.int32_data(), t); break;
    case DType::kInt16: have = proto.int32_data_size(); if (have == n) copy_field<int16_t>(proto.int32_data(), t); break;
    case DType::kUInt16: case DType::kFloat16: case DType::kBFloat16:
      have = proto.int32_data_size(); if (have == n) copy_field<uint16_t>(proto.int32_data(), t); break;
    case DType::kInt8: have = proto.int32_data_size(); if (have == n) copy_field<int8_t>(proto.int32_data(), t); break;
    case DType::kUInt8: case DType::kBool:
      have = proto.int32_data_size(); if (have == n) copy_field<uint8_t>(proto.int32_data(), t); break;
    default: break;
  }
  TANDEM_CHECK_OR_RETURN(have == n, kInvalidModel, "%s: holds %lld values, shape %s needs %lld", where.c_str(),
                         static_cast<long long>(have), shape_to_string(shape).c_str(), static_cast<long long>(n));
  return t;
}

Result<Tensor> load_tensor_pb(const std::string& path) {
  TANDEM_ASSIGN_OR_RETURN(std::string bytes, read_file_bytes(path));
  onnx::TensorProto proto;
  TANDEM_CHECK_OR_RETURN(proto.ParseFromString(bytes), kInvalidArgument, "'%s' is not a TensorProto file",
                         path.c_str());
  std::string dir = path.find('/') == std::string::npos ? "." : path.substr(0, path.rfind('/'));
  return tensor_from_proto(proto, dir, "tensor file '" + path + "'");
}


}  // namespace tandem
