// Progress of a loop over frames (done / total, frames/s, ETA): one line redrawn in place on a terminal, or a plain
// line at each 10 % step for logs and pipes, where carriage returns would pile up.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

namespace tandem {

class ProgressMeter {
 public:
  // `interactive`: the stream is a terminal (the caller decides, e.g. with isatty).
  ProgressMeter(std::ostream& out, bool interactive, std::string label, int64_t total);
  // `done` frames finished `elapsed_s` seconds after the loop began.
  void update(int64_t done, double elapsed_s);
  // Ends the redrawn line (interactive); a no-op otherwise.
  void finish();

 private:
  std::string status_text(int64_t done, double elapsed_s) const;

  std::ostream& out_;
  bool interactive_;
  std::string label_;
  int64_t total_;
  int last_decile_ = 0;
  bool drawn_ = false;
};

// "0:07", "12:30", "1:02:03".
std::string format_duration(double seconds);

}  // namespace tandem
