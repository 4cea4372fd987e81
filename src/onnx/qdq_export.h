// Writes a calibrated model as a Q/DQ ONNX file (the explicit-quantisation form TensorRT, ONNX Runtime and QAT
// tools exchange): the input of every quantised op gets QuantizeLinear -> DequantizeLinear at its calibrated
// scale (one pair per tensor, shared by its quantised readers), and its constant weights become int8
// initializers with per-output-channel scales behind a DequantizeLinear. Everything else stays as it was.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/status.h"

namespace tandem {

struct QdqExportOptions {
  std::set<std::string> ops{"Conv", "MatMul", "Gemm"};  // op types to quantise (with constant weights)
};

struct QdqExportReport {
  int quantized_nodes = 0;
  int activation_pairs = 0;          // QuantizeLinear/DequantizeLinear pairs inserted
  std::vector<std::string> skipped;  // "node 'x' (Conv): why" for eligible ops left in float
};

// `scales`: activation scale (amax / 127) by tensor name, as a calibration cache holds them. Symmetric int8
// (zero point 0) throughout; weights: scale[c] = amax[c] / 127, values rounded to nearest even in [-127, 127].
// Needs opset >= 13 (per-axis DequantizeLinear).
Result<QdqExportReport> export_qdq(const std::string& model_path, const std::map<std::string, float>& scales,
                                   const std::string& out_path, const QdqExportOptions& options = {});

}  // namespace tandem
