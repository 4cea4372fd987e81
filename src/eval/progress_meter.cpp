// Text of the progress line and when to print it.
#include "eval/progress_meter.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace tandem {

std::string format_duration(double seconds) {
  long long s = std::isfinite(seconds) && seconds > 0 ? std::llround(seconds) : 0;
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%lld:%02lld", s / 60, s % 60);
  return buf;
}

ProgressMeter::ProgressMeter(std::ostream& out, bool interactive, std::string label, int64_t total)
    : out_(out), interactive_(interactive), label_(std::move(label)), total_(std::max<int64_t>(total, 1)) {}

std::string ProgressMeter::status_text(int64_t done, double elapsed_s) const {
  double rate = elapsed_s > 0 ? static_cast<double>(done) / elapsed_s : 0;
  std::string eta = rate > 0 ? format_duration(static_cast<double>(total_ - done) / rate) : "?";
  char buf[128];
  std::snprintf(buf, sizeof buf, "%lld/%lld frames, %.1f frames/s, ETA %s", static_cast<long long>(done),
                static_cast<long long>(total_), rate, eta.c_str());
  return buf;
}

void ProgressMeter::update(int64_t done, double elapsed_s) {
  done = std::clamp<int64_t>(done, 0, total_);
  if (interactive_) {
    constexpr int kWidth = 30;
    int filled = static_cast<int>(kWidth * done / total_);
    // Trailing spaces clear what a longer previous line left behind.
    out_ << "\r" << label_ << " [" << std::string(static_cast<size_t>(filled), '#')
         << std::string(static_cast<size_t>(kWidth - filled), '.') << "] " << status_text(done, elapsed_s) << "   "
         << std::flush;
    drawn_ = true;
    return;
  }
  int decile = static_cast<int>(10 * done / total_);
  if (decile <= last_decile_) return;
  last_decile_ = decile;
  out_ << label_ << ": " << status_text(done, elapsed_s) << " (" << 100 * done / total_ << "%)\n" << std::flush;
}

void ProgressMeter::finish() {
  if (interactive_ && drawn_) out_ << "\n" << std::flush;
  drawn_ = false;
}

}  // namespace tandem
