// Calibration cache text I/O. Every read error is "<file>:<line>: <what>", as a compiler reports a source error.
#include "quant/calibration_cache.h"

#include <cinttypes>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/regular_file.h"
#include "quant/calibrators.h"

namespace tandem {
namespace {

constexpr char kHeaderPrefix[] = "TRT-";

Status line_error(const std::string& path, int line, const std::string& what) {
  return Status(Code::kInvalidArgument, format("%s:%d: %s", path.c_str(), line, what.c_str()));
}

bool is_digits(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// 1 to 8 hex digits, nothing else (no 0x, no sign), as the bits of a float32.
bool parse_hex_bits(const std::string& s, uint32_t* bits) {
  if (s.empty() || s.size() > 8) return false;
  uint32_t v = 0;
  for (char c : s) {
    int d = hex_digit(c);
    if (d < 0) return false;
    v = (v << 4) | static_cast<uint32_t>(d);
  }
  *bits = v;
  return true;
}

std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

std::string trim_end(const std::string& s) {
  const size_t e = s.find_last_not_of(" \t\r");
  return e == std::string::npos ? "" : s.substr(0, e + 1);
}

bool has_line_break(const std::string& s) { return s.find_first_of("\r\n") != std::string::npos; }

}  // namespace

std::string cache_algorithm_name(CalibrationMethod method, double percentile) {
  switch (method) {
    case CalibrationMethod::kMinMax:
      return "MinMaxCalibration";
    case CalibrationMethod::kEntropy:
      return "EntropyCalibration2";
    case CalibrationMethod::kPercentile:
      return format("TandemPercentile%g", percentile);
    case CalibrationMethod::kMse:
      return "TandemMSE";
  }
  return "Unknown";
}

Result<CalibrationCache> parse_cache(const std::string& text, const std::string& path) {
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return line_error(path, 1, "empty file");
  CalibrationCache cache;
  std::map<std::string, int> first_line;
  std::istringstream in(text);
  std::string raw;
  int line = 0;
  bool have_header = false;
  while (std::getline(in, raw)) {
    ++line;
    const std::string s = trim_end(raw);
    if (s.empty()) continue;
    if (!have_header) {
      // TRT-<version>-<Algorithm>; the algorithm may itself contain '-'.
      if (s.rfind(kHeaderPrefix, 0) != 0) {
        return line_error(path, line, "missing header: want 'TRT-<version>-<Algorithm>', got '" + s + "'");
      }
      const size_t dash = s.find('-', sizeof(kHeaderPrefix) - 1);
      cache.version = s.substr(sizeof(kHeaderPrefix) - 1,
                               dash == std::string::npos ? std::string::npos : dash - sizeof(kHeaderPrefix) + 1);
      cache.algorithm = dash == std::string::npos ? "" : s.substr(dash + 1);
      if (!is_digits(cache.version) || cache.algorithm.empty()) {
        return line_error(path, line, "malformed header '" + s + "': want 'TRT-<version>-<Algorithm>'");
      }
      have_header = true;
      continue;
    }
    const size_t sep = s.rfind(": ");
    if (sep == std::string::npos) return line_error(path, line, "malformed line '" + s + "': want 'name: hex'");
    const std::string name = s.substr(0, sep);
    const std::string hex = trim(s.substr(sep + 2));
    if (trim(name).empty()) return line_error(path, line, "malformed line '" + s + "': empty tensor name");
    uint32_t bits = 0;
    if (!parse_hex_bits(hex, &bits)) {
      return line_error(path, line, "bad hex '" + hex + "' for tensor '" + name + "': want 1 to 8 hex digits");
    }
    float scale = 0.0f;
    std::memcpy(&scale, &bits, sizeof(scale));
    if (!(scale >= kMinActivationScale && scale <= kMaxActivationScale)) {
      return line_error(path, line,
                        format("scale %s (%g) of tensor '%s' is outside [2^-32, 2^32] (a scale of 0, a denormal, "
                               "an infinity or one that large cannot quantise)",
                               hex.c_str(), static_cast<double>(scale), name.c_str()));
    }
    auto [it, inserted] = first_line.emplace(name, line);
    if (!inserted) {
      return line_error(path, line, format("tensor '%s' listed twice (first on line %d)", name.c_str(), it->second));
    }
    cache.scales[name] = scale;
  }
  return cache;
}

Result<CalibrationCache> read_cache(const std::string& path) {
  TANDEM_ASSIGN_OR_RETURN(std::string text, read_regular_file(path, kMaxTextFileBytes, "calibration cache"));
  return parse_cache(text, path);
}

Result<std::string> format_cache(const CalibrationCache& cache) {
  TANDEM_CHECK_OR_RETURN(is_digits(cache.version), kInvalidArgument, "calibration cache version '%s' is not a number",
                         cache.version.c_str());
  TANDEM_CHECK_OR_RETURN(
      !cache.algorithm.empty() && trim(cache.algorithm) == cache.algorithm && !has_line_break(cache.algorithm),
      kInvalidArgument, "calibration cache algorithm '%s' cannot be written as a header", cache.algorithm.c_str());
  std::string out = kHeaderPrefix + cache.version + "-" + cache.algorithm + "\n";
  for (const auto& [name, scale] : cache.scales) {
    TANDEM_CHECK_OR_RETURN(!trim(name).empty() && !has_line_break(name), kInvalidArgument,
                           "tensor name '%s' cannot be written to a calibration cache", name.c_str());
    TANDEM_CHECK_OR_RETURN(scale >= kMinActivationScale && scale <= kMaxActivationScale, kInvalidArgument,
                           "scale %g of tensor '%s' is outside [2^-32, 2^32] and would not be read back",
                           static_cast<double>(scale), name.c_str());
    uint32_t bits = 0;
    std::memcpy(&bits, &scale, sizeof(bits));
    out += name + format(": %08" PRIx32 "\n", bits);
  }
  return out;
}

Status write_cache(const CalibrationCache& cache, const std::string& path) {
  TANDEM_ASSIGN_OR_RETURN(std::string text, format_cache(cache));
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  TANDEM_CHECK_OR_RETURN(f.good(), kIoError, "cannot write calibration cache '%s'", path.c_str());
  f.write(text.data(), static_cast<std::streamsize>(text.size()));
  f.close();
  TANDEM_CHECK_OR_RETURN(!f.fail(), kIoError, "writing calibration cache '%s' failed", path.c_str());
  return Status::ok();
}

}  // namespace tandem
