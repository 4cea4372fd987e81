// Replays fuzz inputs through the targets' entry points without libFuzzer (any compiler, no sanitizer needed):
// the ctest fuzz_regressions runs every committed seed and crasher, so a fixed crash stays fixed.
//
//   tandem_fuzz_replay --tree DIR          DIR/corpus/<target>/* and DIR/regressions/<target>/*, by folder name
//   tandem_fuzz_replay TARGET PATH...      files, or folders walked recursively
//
// Files whose names start with "." or "README" are skipped. A crash names the input it was running; the exit
// status is 1 for an unknown target or when no input was found at all.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#define TANDEM_FUZZ_TARGETS(X) \
  X(onnx_import)               \
  X(tensor_proto)              \
  X(npy)                       \
  X(image)                     \
  X(plan)                      \
  X(calibration_cache)         \
  X(engine_file)

#define DECLARE(t)                                  \
  extern "C" int tandem_fuzz_init_##t(int*, char***); \
  extern "C" int tandem_fuzz_##t(const uint8_t*, size_t);
TANDEM_FUZZ_TARGETS(DECLARE)
#undef DECLARE

namespace {

namespace fs = std::filesystem;

struct Target {
  const char* name;
  int (*init)(int*, char***);
  int (*run)(const uint8_t*, size_t);
  bool initialised = false;
};

#define ENTRY(t) Target{#t, tandem_fuzz_init_##t, tandem_fuzz_##t},
std::vector<Target> targets = {TANDEM_FUZZ_TARGETS(ENTRY)};
#undef ENTRY

// What a fatal signal prints: the input being run (formatted before the call, written with write(2) only).
char current[4096] = "";

void on_fatal_signal(int sig) {
  const char prefix[] = "\ntandem_fuzz_replay: crashed on ";
  ssize_t ignored = write(2, prefix, sizeof prefix - 1);
  ignored = write(2, current, strlen(current));
  ignored = write(2, "\n", 1);
  (void)ignored;
  signal(sig, SIG_DFL);
  raise(sig);
}

Target* find_target(const std::string& name) {
  for (Target& t : targets)
    if (name == t.name) return &t;
  return nullptr;
}

bool skipped(const fs::path& p) {
  const std::string name = p.filename().string();
  return name.empty() || name[0] == '.' || name.rfind("README", 0) == 0;
}

// Files under `path` (itself if a file), sorted, so runs are reproducible.
std::vector<fs::path> inputs_under(const fs::path& path) {
  std::vector<fs::path> files;
  if (fs::is_regular_file(path)) {
    files.push_back(path);
  } else if (fs::is_directory(path)) {
    for (const auto& e : fs::recursive_directory_iterator(path))
      if (e.is_regular_file() && !skipped(e.path())) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

int replay(Target& t, const std::vector<fs::path>& files) {
  if (!t.initialised) {
    int argc = 0;
    char** argv = nullptr;
    t.init(&argc, &argv);
    t.initialised = true;
  }
  for (const fs::path& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::snprintf(current, sizeof current, "%s (target %s, %zu bytes)", f.c_str(), t.name, bytes.size());
    // A copy of exactly the input's size, as libFuzzer passes it, so a read past the end is one in any tool.
    std::vector<uint8_t> data(bytes.begin(), bytes.end());
    t.run(data.empty() ? nullptr : data.data(), data.size());
  }
  current[0] = '\0';
  return static_cast<int>(files.size());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s --tree FUZZ_DIR | TARGET PATH...\n", argv[0]);
    return 1;
  }
  for (int sig : {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL}) signal(sig, on_fatal_signal);
  const std::string first = argv[1];
  int total = 0;
  if (first == "--tree") {
    const fs::path root = argv[2];
    for (Target& t : targets) {
      std::vector<fs::path> files;
      for (const char* kind : {"corpus", "regressions"}) {
        std::vector<fs::path> more = inputs_under(root / kind / t.name);
        files.insert(files.end(), more.begin(), more.end());
      }
      const auto t0 = std::chrono::steady_clock::now();
      const int n = replay(t, files);
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::printf("%-18s %4d inputs  %.2f s\n", t.name, n, s);
      total += n;
    }
    // A folder named after no target would be silently skipped: refuse it instead.
    for (const char* kind : {"corpus", "regressions"}) {
      if (!fs::is_directory(root / kind)) continue;
      for (const auto& e : fs::directory_iterator(root / kind))
        if (e.is_directory() && !find_target(e.path().filename().string())) {
          std::fprintf(stderr, "tandem_fuzz_replay: %s names no fuzz target\n", e.path().c_str());
          return 1;
        }
    }
  } else {
    Target* t = find_target(first);
    if (!t) {
      std::fprintf(stderr, "tandem_fuzz_replay: no target '%s'\n", first.c_str());
      return 1;
    }
    for (int i = 2; i < argc; ++i) total += replay(*t, inputs_under(argv[i]));
  }
  if (total == 0) {
    std::fprintf(stderr, "tandem_fuzz_replay: no inputs found\n");
    return 1;
  }
  std::printf("replayed %d inputs, none crashed\n", total);
  return 0;
}
