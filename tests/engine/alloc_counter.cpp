// The interposed allocator and the /proc readers of alloc_counter.h.
#include "alloc_counter.h"

#include <dirent.h>
#include <malloc.h>

#include <fstream>
#include <sstream>

#include "backends/cpu/onednn_common.h"

extern "C" void* __libc_malloc(size_t);
extern "C" void* __libc_calloc(size_t, size_t);
extern "C" void* __libc_realloc(void*, size_t);
extern "C" void* __libc_memalign(size_t, size_t);

namespace tandem::testing {

std::atomic<bool> g_counting{false};
std::atomic<long> g_allocations{0};
std::atomic<long> g_onednn_allocations{0};
std::atomic<long> g_openmp_allocations{0};

namespace {
// Set while this thread is inside memalign, which in this process only libgomp calls (for the team of a parallel
// region; Tandem uses aligned_alloc, oneDNN posix_memalign, libstdc++ aligned_alloc: see `nm -D` of each).
thread_local bool t_in_memalign = false;

void note() {
  if (!g_counting.load(std::memory_order_relaxed)) return;
  if (t_in_memalign) g_openmp_allocations.fetch_add(1, std::memory_order_relaxed);
  else if (tandem::in_onednn_execute()) g_onednn_allocations.fetch_add(1, std::memory_order_relaxed);
  else g_allocations.fetch_add(1, std::memory_order_relaxed);
}
}  // namespace

std::vector<int> thread_ids() {
  std::vector<int> ids;
  if (DIR* d = opendir("/proc/self/task")) {
    while (dirent* e = readdir(d))
      if (e->d_name[0] != '.') ids.push_back(std::atoi(e->d_name));
    closedir(d);
  }
  return ids;
}

int os_threads() { return static_cast<int>(thread_ids().size()); }

std::vector<int> thread_cores(int tid) {
  std::ifstream f("/proc/self/task/" + std::to_string(tid) + "/status");
  std::string line;
  std::vector<int> cores;
  while (std::getline(f, line)) {
    if (line.rfind("Cpus_allowed_list:", 0) != 0) continue;
    std::stringstream ss(line.substr(18));
    std::string part;
    while (std::getline(ss, part, ',')) {
      size_t dash = part.find('-');
      int lo = std::stoi(part), hi = dash == std::string::npos ? lo : std::stoi(part.substr(dash + 1));
      for (int c = lo; c <= hi; ++c) cores.push_back(c);
    }
  }
  return cores;
}

}  // namespace tandem::testing

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
// Under AddressSanitizer or ThreadSanitizer, malloc is the sanitizer's own (interposing it too would hand the
// sanitizer blocks it never allocated): count through the hook its allocator calls on every allocation. Declared
// here because GCC's runtime exports the hook but ships no <sanitizer/allocator_interface.h> (clang's does).
extern "C" int __sanitizer_install_malloc_and_free_hooks(void (*on_malloc)(const volatile void*, size_t),
                                                         void (*on_free)(const volatile void*));

namespace {
void on_malloc(const volatile void*, size_t) { tandem::testing::note(); }
void on_free(const volatile void*) {}
const int kHooksInstalled = __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
}  // namespace

// The sanitizer's memalign, wrapped only to mark the thread (the hook cannot tell which entry point it came from).
extern "C" void* __interceptor_memalign(size_t align, size_t n);
extern "C" void* memalign(size_t align, size_t n) {
  tandem::testing::t_in_memalign = true;
  void* p = __interceptor_memalign(align, n);
  tandem::testing::t_in_memalign = false;
  return p;
}
#else
// Interposed for the whole process, so any allocation on a counted path shows, whoever makes it.
extern "C" void* malloc(size_t n) {
  tandem::testing::note();
  return __libc_malloc(n);
}
extern "C" void* calloc(size_t a, size_t b) {
  tandem::testing::note();
  return __libc_calloc(a, b);
}
extern "C" void* realloc(void* p, size_t n) {
  tandem::testing::note();
  return __libc_realloc(p, n);
}
extern "C" int posix_memalign(void** out, size_t align, size_t n) {
  tandem::testing::note();
  *out = __libc_memalign(align, n);
  return *out ? 0 : 12;
}
extern "C" void* aligned_alloc(size_t align, size_t n) {
  tandem::testing::note();
  return __libc_memalign(align, n);
}
extern "C" void* memalign(size_t align, size_t n) {
  tandem::testing::t_in_memalign = true;
  tandem::testing::note();
  tandem::testing::t_in_memalign = false;
  return __libc_memalign(align, n);
}
#endif
