// Build-time tactic search, as TensorRT's builder does it: every candidate kernel that accepts a node is prepared
// and timed on scratch data (large weights evicted from cache before each run, as a model evicts them), and the
// fastest is kept; its name is saved with an engine, so a load rebuilds that one candidate without timing again.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ops/op_registry.h"

namespace tandem {

// Makes the candidate called `name` for the node, or nullptr when it does not apply.
using TacticFactory = std::function<std::unique_ptr<Kernel>(const std::string& name, const OpContext& ctx)>;

// A kernel that is the fastest of `names` (tried in order) or, when `forced` is not empty, exactly that one (an
// error at prepare when it no longer applies). With TANDEM_LOG_TACTICS set, every timing goes to stderr.
std::unique_ptr<Kernel> make_tuned_kernel(std::vector<std::string> names, TacticFactory factory, std::string forced);

}  // namespace tandem
