// A deployment plan: which compute units exist, how the model is cut into stages, where each stage runs and
// in which precision, and how many frames the pipeline keeps in flight. Plans are JSON files a user writes or
// `tandem plan` generates; parsing validates everything that does not need the model (the partitioner checks
// the rest against the graph).
//
// {
//   "version": 1,
//   "units": [ {"name": "big", "kind": "cpu", "cores": [0]}, {"name": "little", "kind": "cpu", "cores": [1]} ],
//   "fallback_unit": "big",            // where nodes go that their stage's unit cannot run
//   "in_flight": 2,                    // frames in the pipeline at once (ring depth)
//   "stages": [
//     {"name": "backbone", "unit": "big", "outputs": ["c1", "c2", "c3", "c4"], "precision": "fp32"},
//     {"name": "seg_head", "unit": "little", "outputs": ["seg_logits"], "precision": "int8",
//      "overrides": [ {"match": "Softmax", "precision": "fp32"} ]}
//   ]
// }
//
// A stage computes its outputs from the model inputs and the outputs of earlier stages: stages are listed in
// an order where every stage comes after those it reads from.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

namespace tandem {

enum class Precision { kFp32, kBf16, kFp16, kInt8 };
const char* precision_name(Precision p);
Result<Precision> parse_precision(const std::string& name);

struct UnitSpec {
  std::string name;
  std::string kind = "cpu";  // "cpu" today; "cuda" where a GPU is present
  std::vector<int> cores;    // cpu: the cores its worker threads are pinned to
};

// Keeps chosen layers of a stage in another precision: `match` is a node name or an op type.
struct LayerOverride {
  std::string match;
  Precision precision = Precision::kFp32;
};

struct StageSpec {
  std::string name;
  std::string unit;
  std::vector<std::string> outputs;  // tensor names this stage produces
  Precision precision = Precision::kFp32;
  std::vector<LayerOverride> overrides;
};

struct Plan {
  int version = 1;
  std::vector<UnitSpec> units;
  std::vector<StageSpec> stages;
  std::string fallback_unit;
  int in_flight = 2;

  const UnitSpec* unit(const std::string& name) const;
  int stage_index(const std::string& name) const;  // -1 if absent
};

// Parses and validates; errors name the origin (file), the JSON path and what is wrong. Every core a unit names
// must be in `cores` (the cores this process may run on), unless `cores` is empty (no check: a plan written
// for another machine). Numbers are checked in their JSON form, never narrowed: core 4294967296 is an error,
// not core 0.
Result<Plan> parse_plan(const std::string& json_text, const std::string& origin, const std::vector<int>& cores);
// Reads at most kMaxTextFileBytes from a regular file (a FIFO or /dev/zero is an error, not a hang).
Result<Plan> load_plan(const std::string& path, const std::vector<int>& cores);
std::string plan_to_json(const Plan& plan);
Status save_plan(const Plan& plan, const std::string& path);

}  // namespace tandem
