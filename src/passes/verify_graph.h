// Verification of a graph whose dtypes and shapes were recorded rather than inferred: an engine file's, and every
// graph a CPU engine is compiled from (so that a pass's mistake is an error, not a buffer overrun).
#pragma once

#include "core/status.h"
#include "ir/graph.h"

namespace tandem {

// Checks a graph whose dtypes and shapes were recorded rather than inferred (a loaded engine file) before any
// kernel is built from it, since kernels size every read and write from those shapes: each value has a
// fixed-size dtype and a concrete shape within the memory limit; a constant agrees with its value; no value is
// produced twice, or produced and also an input or a constant; every node reads values that exist by then
// (inputs, constants, earlier nodes' outputs: no cycle); and inferring each node's outputs again from its
// inputs gives exactly the recorded shapes and dtypes (a float tensor may be recorded as bfloat16, which the
// bf16 dataflow pass stores it as). Errors name the value or the node.
Status verify_recorded_graph(const Graph& graph);

}  // namespace tandem
