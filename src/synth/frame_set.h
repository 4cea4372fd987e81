// Generating a whole `synth:SEED:COUNT` set to disk, frames spread over worker threads.
#pragma once

#include <string>

#include "core/status.h"
#include "synth/data_source.h"
#include "synth/scene.h"

namespace tandem {

struct SynthSetOptions {
  SynthSource source;
  std::string out_dir;  // created if missing
  int height = 0, width = 0;
  int threads = 1;  // each frame is rendered by one thread; the files do not depend on the thread count
  SynthOptions frame;
};

struct SynthSetReport {
  int64_t frames = 0;
  double seconds = 0;  // wall time of rendering and writing
};

// Writes frame i as synth_frame_name(seed, i) + {_rgb,_label,_depth}.png; stops at the first error.
Result<SynthSetReport> write_synth_set(const SynthSetOptions& options);

}  // namespace tandem
