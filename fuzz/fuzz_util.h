// What every fuzz target shares: its entry points' names, the process setup, and a private temp folder.
//
// Built with libFuzzer (TANDEM_FUZZ=ON, clang), a target defines LLVMFuzzerInitialize and LLVMFuzzerTestOneInput.
// Built for replay (TANDEM_FUZZ_REPLAY, any compiler: tests/CMakeLists.txt's tandem_fuzz_replay links all of them
// into one program), the same functions are named tandem_fuzz_init_<target> and tandem_fuzz_<target>, which
// replay_main.cpp calls on every file of the corpus and regressions folders.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

#include "core/memory_limit.h"

#ifdef TANDEM_FUZZ_REPLAY
#define TANDEM_FUZZ_INIT(target) extern "C" int tandem_fuzz_init_##target(int*, char***)
#define TANDEM_FUZZ_ENTRY(target) extern "C" int tandem_fuzz_##target(const uint8_t* data, size_t size)
#else
#define TANDEM_FUZZ_INIT(target) extern "C" int LLVMFuzzerInitialize(int*, char***)
#define TANDEM_FUZZ_ENTRY(target) extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
#endif

namespace tandem_fuzz {

// Every target's setup: shape-building ops and huge declared tensors fail at 512 MiB instead of allocating
// gigabytes (libFuzzer's own -rss_limit_mb is 2560 in scripts/fuzz.sh).
inline void init_process() { tandem::set_memory_limit(uint64_t{512} << 20); }

// A folder of this process's own under $TMPDIR (or /tmp), empty unless the target writes into it; removed at
// exit (a crash leaves it behind, as it leaves the crasher).
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/tandem-fuzz-XXXXXX";
    if (!mkdtemp(pattern.data())) {
      std::perror("tandem fuzz: mkdtemp");
      std::abort();
    }
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  // Writes `bytes` to `name` inside the folder (replacing it) and returns its path.
  std::string write(const std::string& name, const void* bytes, size_t size) const {
    const std::string file = path_ + "/" + name;
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(static_cast<const char*>(bytes), static_cast<std::streamsize>(size));
    out.close();
    if (!out) {
      std::fprintf(stderr, "tandem fuzz: cannot write %s\n", file.c_str());
      std::abort();
    }
    return file;
  }

 private:
  std::string path_;
};

// The process's temp folder, made on first use.
inline const TempDir& temp_dir() {
  static const TempDir dir;
  return dir;
}

// An always empty folder inside it: the base_dir for readers that resolve external data files (the readers
// must refuse names that leave it, such as "../x" or absolute paths).
inline const std::string& empty_dir() {
  static const std::string dir = [] {
    const std::string d = temp_dir().path() + "/empty";
    std::filesystem::create_directory(d);
    return d;
  }();
  return dir;
}

// A broken invariant the target checks itself (a round trip that does not read back): reported like a crash.
[[noreturn]] inline void fail(const char* what) {
  std::fprintf(stderr, "tandem fuzz: %s\n", what);
  std::abort();
}

}  // namespace tandem_fuzz
