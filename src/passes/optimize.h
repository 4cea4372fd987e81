// The optimisation pipeline run on a specialised graph: fusions, then dead-code elimination.
#pragma once

#include "ir/graph.h"

namespace tandem {

// Each fusion lives in its own file; this runs them in a fixed order and re-checks the graph.
Status optimize(Graph& graph);

Status fuse_layer_norm(Graph& graph);
Status fuse_gelu(Graph& graph);
Status fuse_matmul_add(Graph& graph);
Status fuse_matmul_scale(Graph& graph);
Status hoist_activation(Graph& graph);
Status fold_pointwise_conv(Graph& graph);
Status fuse_conv_activation(Graph& graph);
Status conv_channels_last(Graph& graph);

}  // namespace tandem
