// The hostile-input suite's harness: fork + execv of the CLI, a wall-clock timeout, peak RSS from wait4.
#include "hostile_harness.h"

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <iostream>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace hostile {
namespace {

namespace fs = std::filesystem;

// Far above anything a refused input needs and below the machine's memory: a bug that allocates without bound
// fails inside the child (bad_alloc) instead of bringing the machine to the OOM killer.
constexpr rlim_t kAddressSpaceCap = rlim_t{8} << 30;
// What is kept of each output stream for messages (a refused input prints one short line).
constexpr size_t kMaxCapture = size_t{1} << 20;

// A temporary file for one of the child's output streams, unlinked when the run is over.
class CaptureFile {
 public:
  CaptureFile() {
    std::string tmpl = (fs::temp_directory_path() / "tandem_hostile_io_XXXXXX").string();
    fd_ = ::mkstemp(tmpl.data());
    path_ = tmpl;
  }
  ~CaptureFile() {
    if (fd_ >= 0) ::close(fd_);
    ::unlink(path_.c_str());
  }
  int fd() const { return fd_; }
  std::string contents() const {
    std::string s(kMaxCapture, '\0');
    const ssize_t n = ::pread(fd_, s.data(), s.size(), 0);
    s.resize(n > 0 ? static_cast<size_t>(n) : 0);
    return s;
  }

 private:
  int fd_ = -1;
  std::string path_;
};

std::string first_chars(const std::string& s, size_t n) { return s.size() <= n ? s : s.substr(0, n) + "..."; }

bool one_error_line(const std::string& err) {
  return !err.empty() && err.find('\n') == err.size() - 1 && err.rfind("tandem: error: ", 0) == 0;
}

// The problems every run shares: a crash, a timeout, too much time or memory.
void check_limits(const HostileResult& r, std::vector<std::string>& problems) {
  if (r.timed_out) problems.push_back("hung: killed after the timeout");
  else if (r.signal != 0) problems.push_back(std::string("crashed: ") + strsignal(r.signal));
  if (!r.timed_out && r.wall_s >= kTimeLimitS) problems.push_back("took longer than the time limit");
  if (r.max_rss_kb >= kRssLimitKb) problems.push_back("peak RSS over the limit");
  if (r.err.find("bad_alloc") != std::string::npos)
    problems.push_back("an allocation failed under the harness's 8 GiB address-space cap: it tried to allocate gigabytes");
}

::testing::AssertionResult verdict(const HostileResult& r, const std::vector<std::string>& problems) {
  if (problems.empty()) return ::testing::AssertionSuccess();
  std::string what;
  for (const std::string& p : problems) what += (what.empty() ? "" : "; ") + p;
  return ::testing::AssertionFailure() << "tandem " << r.command << "\n  " << what << "\n  " << r.describe();
}

}  // namespace

std::string HostileResult::describe() const {
  char head[160];
  if (timed_out) std::snprintf(head, sizeof head, "TIMEOUT (killed)");
  else if (signal != 0) std::snprintf(head, sizeof head, "signal %d (%s)", signal, strsignal(signal));
  else std::snprintf(head, sizeof head, "exit %d", exit_code);
  char tail[160];
  std::snprintf(tail, sizeof tail, ", %.2f s, %ld MiB RSS", wall_s, max_rss_kb / 1024);
  return std::string(head) + tail + ", stderr: " + first_chars(err, 600);
}

HostileResult run_tandem(std::vector<std::string> args, int timeout_s) {
  HostileResult r;
  for (const std::string& a : args) r.command.append(r.command.empty() ? "" : " ").append(first_chars(a, 120));
  args.insert(args.begin(), TANDEM_CLI);
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  CaptureFile out, err;
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  if (pid == 0) {  // only async-signal-safe calls from here to execv
    ::dup2(null_fd, 0);
    ::dup2(out.fd(), 1);
    ::dup2(err.fd(), 2);
    const rlimit as{kAddressSpaceCap, kAddressSpaceCap}, core{0, 0};
    if (kSanitizerSlowdown == 1) ::setrlimit(RLIMIT_AS, &as);  // ASan reserves terabytes of address space
    ::setrlimit(RLIMIT_CORE, &core);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(null_fd);
  if (pid < 0) {
    r.err = std::string("fork failed: ") + std::strerror(errno);
    return r;
  }
  int status = 0;
  rusage usage{};
  const auto deadline = start + std::chrono::seconds(timeout_s);
  for (;;) {
    const pid_t done = ::wait4(pid, &status, WNOHANG, &usage);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      r.timed_out = true;
      while (::wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
      }
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.max_rss_kb = usage.ru_maxrss;
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  r.out = out.contents();
  r.err = err.contents();
  if (std::getenv("TANDEM_HOSTILE_VERBOSE")) std::cerr << "  tandem " << r.command << "\n    " << r.describe() << "\n";
  return r;
}

::testing::AssertionResult rejected(const HostileResult& r, const std::string& needle) {
  std::vector<std::string> problems;
  check_limits(r, problems);
  if (!r.timed_out && r.signal == 0 && r.exit_code != 1)
    problems.push_back("exit code " + std::to_string(r.exit_code) + ", want 1");
  if (!one_error_line(r.err)) problems.push_back("stderr is not exactly one line starting 'tandem: error: '");
  if (r.err.find(needle) == std::string::npos) problems.push_back("stderr lacks '" + needle + "'");
  return verdict(r, problems);
}

::testing::AssertionResult accepted(const HostileResult& r, const std::string& out_needle) {
  std::vector<std::string> problems;
  check_limits(r, problems);
  if (!r.timed_out && r.signal == 0 && r.exit_code != 0)
    problems.push_back("exit code " + std::to_string(r.exit_code) + ", want 0 (the input is valid)");
  if (r.out.find(out_needle) == std::string::npos)
    problems.push_back("stdout lacks '" + out_needle + "'; stdout: " + first_chars(r.out, 400));
  return verdict(r, problems);
}

::testing::AssertionResult handled(const HostileResult& r) {
  std::vector<std::string> problems;
  check_limits(r, problems);
  if (!r.timed_out && r.signal == 0 && r.exit_code != 0 && !(r.exit_code == 1 && one_error_line(r.err)))
    problems.push_back("neither exit 0 nor exit 1 with one 'tandem: error: ' line");
  return verdict(r, problems);
}

void expect_rejected(const HostileResult& r, const std::string& needle, const char* file, int line) {
  if (::testing::AssertionResult a = rejected(r, needle); !a) ADD_FAILURE_AT(file, line) << a.message();
}
void expect_accepted(const HostileResult& r, const std::string& out_needle, const char* file, int line) {
  if (::testing::AssertionResult a = accepted(r, out_needle); !a) ADD_FAILURE_AT(file, line) << a.message();
}
void expect_handled(const HostileResult& r, const char* file, int line) {
  if (::testing::AssertionResult a = handled(r); !a) ADD_FAILURE_AT(file, line) << a.message();
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

// ---- fixture ----

void HostileTest::SetUp() {
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string tmpl = (fs::temp_directory_path() / (std::string("tandem_hostile_") + info->test_suite_name() + "." +
                                                   info->name() + "_XXXXXX"))
                         .string();
  ASSERT_NE(::mkdtemp(tmpl.data()), nullptr) << std::strerror(errno);
  dir_ = tmpl;
}

void HostileTest::TearDown() {
  std::error_code ec;
  fs::remove_all(dir_, ec);  // does not follow the symbolic links a test put there
}

std::string HostileTest::write_bytes(const std::string& name, const std::string& bytes) const {
  std::ofstream(path(name), std::ios::binary) << bytes;
  return path(name);
}

std::string HostileTest::make_fifo(const std::string& name) const {
  EXPECT_EQ(::mkfifo(path(name).c_str(), 0600), 0) << std::strerror(errno);
  return path(name);
}

std::string HostileTest::make_symlink(const std::string& name, const std::string& target) const {
  fs::create_symlink(target, path(name));
  return path(name);
}

std::string HostileTest::make_dir(const std::string& name) const {
  fs::create_directories(path(name));
  return path(name);
}

}  // namespace hostile
