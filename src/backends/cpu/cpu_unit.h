// A CPU compute unit: a group of cores. Its streams are worker threads pinned to those cores, and every kernel
// they run keeps to them: the OpenMP team a worker starts (oneDNN's threads included) inherits its affinity
// and has exactly one thread per core.
#pragma once

#include <memory>
#include <string>

#include "unit/unit.h"

namespace tandem {

class CpuUnit final : public Unit {
 public:
  explicit CpuUnit(UnitSpec spec) : spec_(std::move(spec)) {}
  const UnitSpec& spec() const override { return spec_; }
  // Every registered op, in any precision (int8 where calibrated, float otherwise).
  bool supports(const Node& node, Precision precision) const override;
  Result<CompiledStage> compile(const Graph& graph, const CompileOptions& options) const override;
  Result<std::unique_ptr<Engine>> instantiate(const Graph& compiled_graph, Precision precision,
                                              const std::map<std::string, std::string>& tactics) const override;
  std::unique_ptr<Stream> create_stream(const std::string& name) const override;
  // Whether bf16 stages multiply in bf16 on this CPU (AVX-512 BF16 / AMX through oneDNN) or fall back to fp32.
  static bool native_bf16();

 private:
  UnitSpec spec_;
};

// Pins the calling thread to `cores` and sets its OpenMP team size to their count; an error if the OS refused
// (a core this process may not use), since a unit running unpinned would silently share cores with another.
Status pin_current_thread(const std::vector<int>& cores);
// The cores the calling thread may run on.
std::vector<int> current_thread_cores();

}  // namespace tandem
