// ONNX model bytes: import (protobuf parsing, attributes, initializers, external-data names), then what
// `tandem inspect` does up to the kernels: specialise to the declared input shapes (a dynamic batch dim as 1,
// tools/inputs.cpp's resolve_shapes), which infers every shape and folds constants, then the fp32 optimisation
// passes. No kernel building or timing (too slow per input).
#include <omp.h>

#include <map>
#include <string>

#include "fuzz_util.h"
#include "ir/graph.h"
#include "onnx/onnx_import.h"
#include "passes/optimize.h"
#include "passes/specialize.h"

namespace {

constexpr size_t kMaxModelBytes = 64 * 1024;

void run(const std::string& bytes) {
  auto imported = tandem::import_onnx_bytes(bytes, tandem_fuzz::empty_dir(), "fuzz");
  if (!imported.is_ok()) return;
  tandem::Graph& graph = **imported;
  // ModelSession::load refuses a model with ops Tandem lacks before anything is specialised.
  if (!tandem::check_ops_supported(graph).is_ok()) return;
  tandem::SpecializeOptions options;
  for (const tandem::Value* v : graph.inputs) {
    tandem::Shape shape = v->shape;
    if (!shape.empty() && shape[0] < 0) shape[0] = 1;
    options.input_shapes[v->name] = shape;
  }
  // On a copy, as ModelSession::engine_for does (clone() is part of what runs on every model).
  std::unique_ptr<tandem::Graph> g = graph.clone();
  if (!tandem::specialize(*g, options).is_ok()) return;
  (void)tandem::optimize(*g);
}

}  // namespace

TANDEM_FUZZ_INIT(onnx_import) {
  tandem_fuzz::init_process();
  omp_set_num_threads(1);
  return 0;
}

TANDEM_FUZZ_ENTRY(onnx_import) {
  if (size > kMaxModelBytes) return 0;
  try {
    run(std::string(reinterpret_cast<const char*>(data), size));
  } catch (const tandem::OutOfMemory&) {
    // Tensor::make past the memory limit: the designed failure of an allocation that cannot return a Status.
  }
  return 0;
}
