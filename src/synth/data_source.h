// `synth:SEED:COUNT`, a reproducible set of SynthDrive frames, and how each frame of a set gets its seed.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"

namespace tandem {

struct SynthSource {
  uint64_t seed = 0;  // the set's seed
  int64_t count = 0;  // frames 0 .. count-1
};

inline constexpr int64_t kMaxSynthCount = 100000000;

// Parses "synth:SEED:COUNT": SEED a decimal unsigned 64-bit integer, COUNT in 1 .. kMaxSynthCount.
Result<SynthSource> parse_synth_source(const std::string& spec);

// The seed of frame `index` of the set `set_seed`: the (index + 1)-th output of a SplitMix64 generator whose state
// starts at set_seed, i.e. splitmix64_mix(set_seed + (index + 1) * 0x9E3779B97F4A7C15) (mod 2^64). Frames of one
// set are thus decorrelated, and frame i does not depend on how many frames the set has.
uint64_t synth_frame_seed(uint64_t set_seed, int64_t index);

// The file stem of frame `index`: "synth_<SEED>_<index, zero-padded to 5 digits>".
std::string synth_frame_name(uint64_t set_seed, int64_t index);

}  // namespace tandem
