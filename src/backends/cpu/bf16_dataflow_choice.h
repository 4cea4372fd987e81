// A bf16 stage built with fp32 tensors between its layers, and again with bf16 ones where bf16 layers meet; the
// faster build is kept (bf16_dataflow_choice.cpp).
#pragma once

#include "backends/cpu/cpu_engine.h"
#include "unit/unit.h"

namespace tandem {

// `stage` holds the fp32-tensor build (graph and engine) made with `options`; it is replaced by the bf16-tensor
// one when that runs faster. Notes say what was measured.
Status choose_bf16_dataflow(CompiledStage& stage, const CpuEngineOptions& options);

}  // namespace tandem
