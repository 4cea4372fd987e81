// The hostile-input suite's harness: runs the real `tandem` CLI (fork + execv, no shell) under a wall-clock
// limit, records how it ended, how long it took and its peak RSS, and checks the rule for untrusted input.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace hostile {

// The rule for untrusted input: refused (exit 1, one `tandem: error: ` line) within these, never a crash or a hang.
// Built with sanitizers (TANDEM_SANITIZE), every run is several times slower and ASan's shadow memory and
// quarantine add to its RSS: the normal build enforces the limits, the sanitized one looks for memory errors.
#ifdef TANDEM_SANITIZED
inline constexpr int kSanitizerSlowdown = 5;
#else
inline constexpr int kSanitizerSlowdown = 1;
#endif
inline constexpr int kTimeLimitS = 20 * kSanitizerSlowdown;
inline constexpr long kRssLimitKb = 2L * 1024 * 1024 * kSanitizerSlowdown;  // 2 GiB

struct HostileResult {
  std::string command;     // the arguments after `tandem`, for messages
  int exit_code = -1;      // -1 when a signal ended it
  int signal = 0;          // the signal that ended it (SIGKILL after a timeout), 0 when it exited
  bool timed_out = false;  // the harness killed it at the timeout
  double wall_s = 0;
  long max_rss_kb = 0;  // wait4's ru_maxrss
  std::string out, err;

  // "exit 1, 0.12 s, 41 MiB RSS, stderr: ..." for failure messages and the report.
  std::string describe() const;
};

// Runs `tandem ARGS...` with stdin from /dev/null; a child still running after `timeout_s` is killed (SIGKILL).
// The child's address space is capped (kAddressSpaceCap) so that a runaway allocation cannot take the machine down;
// an allocation refused by that cap shows as `bad_alloc` and is reported as such. With TANDEM_HOSTILE_VERBOSE set,
// every run is described on stderr.
HostileResult run_tandem(std::vector<std::string> args, int timeout_s = kTimeLimitS);

// Exit code 1, not killed, stderr exactly one line starting "tandem: error: " and containing `needle`,
// within kTimeLimitS and kRssLimitKb, and no std::bad_alloc (an attempt to allocate gigabytes).
::testing::AssertionResult rejected(const HostileResult& r, const std::string& needle);
// Exit code 0 within the limits, and `out_needle` on stdout.
::testing::AssertionResult accepted(const HostileResult& r, const std::string& out_needle = "");
// Either of those (no needle): for a command whose input may legitimately be valid, as `inspect` of a model
// whose tensors are representable but too large to run.
::testing::AssertionResult handled(const HostileResult& r);

// The same as test assertions, reported at the caller's line.
void expect_rejected(const HostileResult& r, const std::string& needle, const char* file = __builtin_FILE(),
                     int line = __builtin_LINE());
void expect_accepted(const HostileResult& r, const std::string& out_needle = "", const char* file = __builtin_FILE(),
                     int line = __builtin_LINE());
void expect_handled(const HostileResult& r, const char* file = __builtin_FILE(), int line = __builtin_LINE());

std::string read_file(const std::filesystem::path& path);

// A fresh temporary folder per test (unique name, removed in TearDown) and ways to put hostile things in it.
class HostileTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::string write_bytes(const std::string& name, const std::string& bytes) const;
  std::string make_fifo(const std::string& name) const;
  std::string make_symlink(const std::string& name, const std::string& target) const;
  std::string make_dir(const std::string& name) const;

  std::filesystem::path dir_;
};

}  // namespace hostile
