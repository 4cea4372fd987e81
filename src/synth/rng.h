// SplitMix64, the scene generator's only source of randomness.
//
// std:: distributions are not specified bit-for-bit and differ between standard libraries, so every draw is
// made here from raw 64-bit outputs with plain float arithmetic. One generator per concern (camera, buildings,
// cars...) forked from the frame seed keeps each concern's draws stable when another concern changes.
#pragma once

#include <cstdint>

namespace tandem::synth {

// The SplitMix64 output function (Steele, Lea, Flood 2014): a bijective 64-bit mix.
inline uint64_t splitmix64_mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

constexpr uint64_t kSplitMixGamma = 0x9E3779B97F4A7C15ull;

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}

  uint64_t next_u64() {
    state_ += kSplitMixGamma;
    return splitmix64_mix(state_);
  }
  // [0, 1) with 24 random bits, exactly representable in float.
  float uniform() { return static_cast<float>(next_u64() >> 40) * (1.0f / 16777216.0f); }
  float uniform(float lo, float hi) { return lo + (hi - lo) * uniform(); }
  // Integer in [lo, hi], both inclusive (modulo bias below 2^-32 for our ranges).
  int range(int lo, int hi) { return lo + static_cast<int>(next_u64() % static_cast<uint64_t>(hi - lo + 1)); }
  bool chance(float p) { return uniform() < p; }
  // -1 or +1.
  float sign() { return (next_u64() >> 63) ? 1.0f : -1.0f; }
  // An independent stream for one concern, named by `salt`.
  Rng fork(uint64_t salt) const { return Rng(splitmix64_mix(state_ ^ splitmix64_mix(salt + kSplitMixGamma))); }

 private:
  uint64_t state_;
};

}  // namespace tandem::synth
