// TensorRT text calibration caches: parse, and a parsed cache that format_cache writes must read back as the
// same cache.
#include <cstring>
#include <string>

#include "fuzz_util.h"
#include "quant/calibration_cache.h"

TANDEM_FUZZ_INIT(calibration_cache) {
  tandem_fuzz::init_process();
  return 0;
}

TANDEM_FUZZ_ENTRY(calibration_cache) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto cache = tandem::parse_cache(text, "fuzz");
  if (!cache.is_ok()) return 0;
  auto written = tandem::format_cache(*cache);
  if (!written.is_ok()) return 0;  // a header format_cache refuses to write back is its documented error
  auto again = tandem::parse_cache(*written, "fuzz round trip");
  if (!again.is_ok()) tandem_fuzz::fail(("format_cache wrote a cache that does not parse: " + again.status().to_string()).c_str());
  if (again->version != cache->version || again->algorithm != cache->algorithm ||
      again->scales.size() != cache->scales.size())
    tandem_fuzz::fail("format_cache round trip changed the header or the tensor count");
  for (const auto& [name, scale] : cache->scales) {
    auto it = again->scales.find(name);
    if (it == again->scales.end()) tandem_fuzz::fail("format_cache round trip lost a tensor");
    if (std::memcmp(&it->second, &scale, sizeof scale) != 0) tandem_fuzz::fail("format_cache round trip changed a scale");
  }
  return 0;
}
