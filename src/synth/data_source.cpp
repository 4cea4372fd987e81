// `synth:SEED:COUNT` parsing and per-frame seeds.
#include "synth/data_source.h"

#include <charconv>
#include <cinttypes>
#include <cstdio>

#include "synth/rng.h"

namespace tandem {
namespace {

// Strict decimal: digits only (no sign, spaces or trailing text), within the type's range.
template <typename T>
bool parse_decimal(const std::string& s, T& out) {
  if (s.empty() || s.size() > 20) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

}  // namespace

Result<SynthSource> parse_synth_source(const std::string& spec) {
  const std::string kPrefix = "synth:";
  auto bad = [&](const char* why) {
    return Status(Code::kInvalidArgument,
                  format("bad frame source '%s': %s (expected synth:SEED:COUNT)", spec.c_str(), why));
  };
  if (spec.compare(0, kPrefix.size(), kPrefix) != 0) return bad("does not start with 'synth:'");
  std::string rest = spec.substr(kPrefix.size());
  size_t colon = rest.find(':');
  if (colon == std::string::npos) return bad("missing ':COUNT'");
  std::string seed_text = rest.substr(0, colon), count_text = rest.substr(colon + 1);
  SynthSource src;
  if (!parse_decimal(seed_text, src.seed)) return bad("SEED is not an unsigned 64-bit decimal integer");
  if (!parse_decimal(count_text, src.count) || src.count < 1 || src.count > kMaxSynthCount)
    return bad("COUNT is not an integer in 1..100000000");
  return src;
}

uint64_t synth_frame_seed(uint64_t set_seed, int64_t index) {
  return synth::splitmix64_mix(set_seed + static_cast<uint64_t>(index + 1) * synth::kSplitMixGamma);
}

std::string synth_frame_name(uint64_t set_seed, int64_t index) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "synth_%" PRIu64 "_%05" PRId64, set_seed, index);
  return buf;
}

}  // namespace tandem
