// trtexec-style measurement of a Pipeline: warm-up, then at least `iterations` frames and at least
// `duration_seconds`, keeping every in-flight slot busy; end-to-end latency per frame (submit to the end of
// its last stage), throughput over the wall time, per-stage compute times and per-unit busy / waiting / idle
// fractions.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <vector>

#include "runtime/timing_stats.h"
#include "runtime/pipeline.h"

namespace tandem {

struct BenchOptions {
  int warmup_frames = 0;
  double warmup_seconds = 0.2;  // trtexec's --warmUp=200 (ms)
  int iterations = 10;          // at least this many frames ...
  double duration_seconds = 3;  // ... and at least this long, as trtexec
};

struct StageReport {
  std::string name, unit;
  TimingStats compute;  // seconds per frame
};

// Fractions of the timed wall time: running stages, blocked on another unit's event, or without work.
struct UnitUsage {
  std::string name;
  double busy = 0, waiting = 0, idle = 0;
};

struct BenchReport {
  int64_t frames = 0;
  double wall_seconds = 0, throughput = 0;  // frames per second
  TimingStats latency;                      // seconds
  std::vector<StageReport> stages;
  std::vector<UnitUsage> units;
  std::vector<FrameTiming> timings;
};

// `progress(done_frames, elapsed_seconds)` is called about every 0.5 s during the timed run.
using BenchProgress = std::function<void(int64_t, double)>;
Result<BenchReport> run_benchmark(Pipeline& pipeline, std::span<const Tensor> inputs, const BenchOptions& options,
                                  const BenchProgress& progress = nullptr);

// Runs `frames` frames with per-kernel timing (a separate pipeline so the timed run stays undisturbed) and
// returns, per stage, the mean seconds per kernel.
Result<std::vector<std::vector<double>>> profile_layers(Deployment& deployment, std::span<const Tensor> inputs,
                                                        int frames);

// Chrome trace / Perfetto JSON of every stream of `pipeline` (stages, their kernels, and waits on events).
Status write_chrome_trace(const Pipeline& pipeline, const std::string& path);

}  // namespace tandem
