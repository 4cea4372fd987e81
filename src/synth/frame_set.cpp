// Frame-set generation: workers take the next frame index from a shared counter, render and write it.
#include "synth/frame_set.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include "synth/frame_io.h"
#include "synth/synth_frame.h"

namespace tandem {

Result<SynthSetReport> write_synth_set(const SynthSetOptions& o) {
  const int kMaxSide = 16384;
  TANDEM_CHECK_OR_RETURN(o.height > 0 && o.width > 0 && o.height <= kMaxSide && o.width <= kMaxSide, kInvalidArgument,
                         "frame size %dx%d: height and width must be in 1..%d", o.height, o.width, kMaxSide);
  TANDEM_CHECK_OR_RETURN(o.threads >= 1, kInvalidArgument, "threads must be at least 1, got %d", o.threads);
  TANDEM_CHECK_OR_RETURN(o.source.count >= 1, kInvalidArgument, "frame count must be at least 1");
  TANDEM_CHECK_OR_RETURN(!o.out_dir.empty(), kInvalidArgument, "no output directory given");
  std::error_code ec;
  std::filesystem::create_directories(o.out_dir, ec);
  TANDEM_CHECK_OR_RETURN(!ec && std::filesystem::is_directory(o.out_dir), kIoError, "cannot create directory '%s': %s",
                         o.out_dir.c_str(), ec ? ec.message().c_str() : "not a directory");
  auto t0 = std::chrono::steady_clock::now();
  std::atomic<int64_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex error_mutex;
  Status first_error;
  auto worker = [&] {
    for (int64_t i = next++; i < o.source.count && !failed; i = next++) {
      SynthFrame f = synth_frame(synth_frame_seed(o.source.seed, i), o.height, o.width, o.frame);
      Status st = write_synth_frame(f, o.out_dir, synth_frame_name(o.source.seed, i));
      if (!st.is_ok()) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!failed.exchange(true)) first_error = st;
      }
    }
  };
  int threads = static_cast<int>(std::min<int64_t>(o.threads, o.source.count));
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();
  if (failed) return first_error;
  SynthSetReport report;
  report.frames = o.source.count;
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return report;
}

}  // namespace tandem
