// A serialized onnx.TensorProto (initializers, node tests' .pb files) to a Tandem tensor. External data names
// resolve against an empty folder.
#include <onnx/onnx_pb.h>

#include "fuzz_util.h"
#include "onnx/tensor_proto.h"

TANDEM_FUZZ_INIT(tensor_proto) {
  tandem_fuzz::init_process();
  return 0;
}

TANDEM_FUZZ_ENTRY(tensor_proto) {
  if (size > (1 << 20)) return 0;
  onnx::TensorProto proto;
  if (!proto.ParseFromArray(data, static_cast<int>(size))) return 0;
  try {
    (void)tandem::tensor_from_proto(proto, tandem_fuzz::empty_dir(), "fuzz");
  } catch (const tandem::OutOfMemory&) {
  }
  return 0;
}
