// TensorProto -> Tensor: raw_data, the typed repeated fields, and external data files. Every size a proto
// declares is checked against the bytes it really carries before anything is allocated.
#include "onnx/tensor_proto.h"

#include <onnx/onnx_pb.h>

#include <cstring>

#include "core/checked_size.h"
#include "core/regular_file.h"
#include "onnx/external_data.h"

namespace tandem {
namespace {

// Typed fields hold small types widened to int32 (int8..uint16, bool, fp16/bf16 bit patterns).
template <typename Dst, typename Field>
void copy_field(const Field& field, Tensor& t) {
  Dst* out = t.data<Dst>();
  for (int i = 0; i < field.size(); ++i) out[i] = static_cast<Dst>(field.Get(i));
}

// How many values the typed field that holds `dtype` carries.
int64_t typed_count(const onnx::TensorProto& proto, DType dtype) {
  switch (dtype) {
    case DType::kFloat32: return proto.float_data_size();
    case DType::kFloat64: return proto.double_data_size();
    case DType::kInt64: return proto.int64_data_size();
    case DType::kUInt32: case DType::kUInt64: return proto.uint64_data_size();
    default: return proto.int32_data_size();
  }
}

void copy_typed(const onnx::TensorProto& proto, Tensor& t) {
  switch (t.dtype()) {
    case DType::kFloat32: copy_field<float>(proto.float_data(), t); break;
    case DType::kFloat64: copy_field<double>(proto.double_data(), t); break;
    case DType::kInt64: copy_field<int64_t>(proto.int64_data(), t); break;
    case DType::kUInt32: copy_field<uint32_t>(proto.uint64_data(), t); break;
    case DType::kUInt64: copy_field<uint64_t>(proto.uint64_data(), t); break;
    case DType::kInt32: copy_field<int32_t>(proto.int32_data(), t); break;
    case DType::kInt16: copy_field<int16_t>(proto.int32_data(), t); break;
    case DType::kUInt16: case DType::kFloat16: case DType::kBFloat16: copy_field<uint16_t>(proto.int32_data(), t); break;
    case DType::kInt8: copy_field<int8_t>(proto.int32_data(), t); break;
    case DType::kUInt8: case DType::kBool: copy_field<uint8_t>(proto.int32_data(), t); break;
    default: break;
  }
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
  Result<size_t> nbytes = checked_nbytes(dtype, shape);
  TANDEM_RETURN_IF_ERROR_CTX(nbytes.status(), where);
  const int64_t n = checked_numel(shape).value();
  if (proto.data_location() == onnx::TensorProto::EXTERNAL) {
    TANDEM_ASSIGN_OR_RETURN(ExternalData data, open_external_data(proto, base_dir, *nbytes, where));
    TANDEM_ASSIGN_OR_RETURN(Tensor t, Tensor::allocate(dtype, shape, where));
    TANDEM_RETURN_IF_ERROR_CTX(data.file.read_at(data.offset, t.raw(), *nbytes), where);
    return t;
  }
  if (proto.has_raw_data()) {
    TANDEM_CHECK_OR_RETURN(proto.raw_data().size() == *nbytes, kInvalidModel,
                           "%s: raw_data has %zu bytes, shape %s of %s needs %zu", where.c_str(),
                           proto.raw_data().size(), shape_to_string(shape).c_str(), dtype_name(dtype), *nbytes);
    TANDEM_ASSIGN_OR_RETURN(Tensor t, Tensor::allocate(dtype, shape, where));
    if (*nbytes) std::memcpy(t.raw(), proto.raw_data().data(), *nbytes);
    return t;
  }
  const int64_t have = typed_count(proto, dtype);
  TANDEM_CHECK_OR_RETURN(have == n, kInvalidModel, "%s: holds %lld values, shape %s needs %lld", where.c_str(),
                         static_cast<long long>(have), shape_to_string(shape).c_str(), static_cast<long long>(n));
  TANDEM_ASSIGN_OR_RETURN(Tensor t, Tensor::allocate(dtype, shape, where));
  copy_typed(proto, t);
  return t;
}

Result<Tensor> load_tensor_pb(const std::string& path) {
  TANDEM_ASSIGN_OR_RETURN(std::string bytes, read_regular_file(path, kMaxProtobufFileBytes, "tensor file"));
  onnx::TensorProto proto;
  TANDEM_CHECK_OR_RETURN(proto.ParseFromString(bytes), kInvalidArgument, "'%s' is not a TensorProto file",
                         path.c_str());
  std::string dir = path.find('/') == std::string::npos ? "." : path.substr(0, path.rfind('/'));
  return tensor_from_proto(proto, dir, "tensor file '" + path + "'");
}

}  // namespace tandem
