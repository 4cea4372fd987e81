// The pipelined runtime: a Deployment's stages run on their units' streams with N frames in flight, so the
// backbone works on frame t while the heads finish frame t-1 (the webinar's two-stage pipeline, for any plan).
//
// Memory: a ring of N slots allocated once; a slot holds every tensor a frame needs (model inputs, boundary
// tensors, model outputs). Stages read and write the slot's buffers in place, so every consumer of a boundary
// tensor reads the one buffer its producer wrote (zero copy). Order: a stage waits on the events of the stages
// whose outputs it reads (same frame), and before writing into a slot it waits until the readers of that
// slot's previous frame are done — so a producer can never overwrite a buffer a consumer is still reading,
// which the webinar's single-buffered sample did not prevent. submit() blocks while N frames are in flight
// (back-pressure); receive() returns frames in submission order. Steady state allocates nothing.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <memory>
#include <span>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "runtime/deployment.h"
#include "unit/stream.h"

namespace tandem {

struct PipelineOptions {
  int in_flight = 0;           // 0: the plan's value
  size_t trace_capacity = 0;   // > 0: record a trace of every stream, this many events per stream
  size_t sample_capacity = 4096;  // per-frame timings kept for statistics
  bool profile_layers = false;    // time every kernel of every stage (stage_layer_seconds())
};

// Timings of one frame: submit, and each stage's start and end (trace_clock seconds).
struct FrameTiming {
  int64_t frame = -1;
  double submitted = 0, finished = 0;
};

struct StageTimes {
  std::vector<double> compute;  // seconds per frame, in completion order
};

class Pipeline {
 public:
  static Result<std::unique_ptr<Pipeline>> create(Deployment& deployment, const PipelineOptions& options);
  ~Pipeline();  // finishes what is in flight, then stops the streams

  int in_flight() const { return slots_; }
  // Copies the model inputs (model input order) into the next slot and enqueues the frame's stages. Blocks
  // while in_flight() frames are pending (back-pressure), so a caller on one thread receives once pending()
  // reaches in_flight(); a producer and a consumer thread may call submit() and receive() concurrently.
  // Returns the frame id (0, 1, ...).
  Result<int64_t> submit(std::span<const Tensor> inputs);
  // Waits for the oldest pending frame (blocking until one is submitted) and copies its model outputs (model
  // output order) into `outputs`. After a failure in any stage this returns that error, shuts the pipeline
  // (every later submit/receive returns it too) and wakes a blocked submit().
  Result<FrameTiming> receive(std::span<Tensor> outputs);
  int64_t pending() const;
  // Waits for everything submitted (frames stay pending until received).
  Status drain();

  // Statistics since the last reset (read between frames, e.g. after drain()).
  const std::vector<std::unique_ptr<Stream>>& streams() const { return streams_; }  // one per unit
  std::vector<StageTimes> stage_times() const;
  // With profile_layers: per stage, seconds per kernel summed over the frames run (engine steps() order).
  std::vector<std::vector<double>> stage_layer_seconds() const;
  void reset_stats();
  // The trace of stream u (empty unless tracing).
  const TraceBuffer& trace(size_t u) const { return traces_[u]; }
  const Deployment& deployment() const { return deployment_; }

 private:
  struct StageRun;  // one stage in one slot: engine, bound tensors, timing
  explicit Pipeline(Deployment& d);
  static Status run_stage(void* ctx, TaskEnv& env);

  Deployment& deployment_;
  int slots_ = 0;
  std::vector<std::shared_ptr<void>> slot_memory_;
  std::vector<std::vector<Tensor>> slot_tensors_;      // [slot][tensor]
  std::vector<std::unique_ptr<StageRun>> runs_;        // [slot * stages + stage]
  std::vector<std::unique_ptr<Event>> done_;           // [slot * stages + stage]
  std::vector<std::unique_ptr<Stream>> streams_;       // [unit]
  std::vector<TraceBuffer> traces_;                    // [unit]
  std::vector<std::vector<int>> readers_;              // [stage]: stages reading any of its outputs
  std::vector<std::vector<int>> producers_;            // [stage]: stages whose outputs it reads
  std::vector<std::vector<double>> stage_samples_;     // [stage]: compute seconds per frame
  std::vector<std::vector<double>> layer_seconds_;     // [stage][step], with profile_layers
  std::vector<double> submitted_at_;                   // [slot]
  mutable std::mutex mu_;
  std::condition_variable changed_;
  int64_t submitted_ = 0, received_ = 0;
  Status failed_;
};

}  // namespace tandem
