// ThreadSanitizer support, linked into the test programs of the TSan build only (scripts/sanitize.sh tsan).
//
// Debian's libgomp is not built with TSan, so TSan cannot see the synchronisation of an OpenMP fork, join or
// barrier: every kernel that writes in a parallel region and is read after it would be reported. Rather than
// suppress every report that passes through libgomp (which would also hide real races between a unit's OpenMP
// team and another unit's threads), the two libgomp entry points that Tandem and oneDNN call (`nm -u`:
// GOMP_parallel and GOMP_barrier) are interposed here and tell TSan what they guarantee:
//   fork:    the encountering thread's work happens before every team member's region body;
//   join:    every member's body happens before the code after the region;
//   barrier: everything before a barrier in any member happens before everything after it in all members.
// The same idea as LLVM's Archer tool, which annotates LLVM's OpenMP runtime for TSan.
#include <dlfcn.h>
#include <sanitizer/tsan_interface.h>

#include <cstdio>
#include <cstdlib>

namespace {
using ParallelFn = void (*)(void (*)(void*), void*, unsigned, unsigned);
using BarrierFn = void (*)();

template <typename Fn>
Fn next_symbol(const char* name) {
  void* p = dlsym(RTLD_NEXT, name);
  if (p == nullptr) {
    std::fprintf(stderr, "tsan_openmp: %s not found after the interposer\n", name);
    std::abort();
  }
  return reinterpret_cast<Fn>(p);
}

// One per parallel region: its address is the sync object of the fork, the join and the team's barriers.
struct Region {
  void (*body)(void*);
  void* data;
  char fork, join, barrier;
};
thread_local Region* t_region = nullptr;

void run_member(void* arg) {
  Region* r = static_cast<Region*>(arg);
  __tsan_acquire(&r->fork);
  Region* outer = t_region;  // nested parallelism: the region this thread was in
  t_region = r;
  r->body(r->data);
  t_region = outer;
  __tsan_release(&r->join);
}
}  // namespace

extern "C" void GOMP_parallel(void (*fn)(void*), void* data, unsigned num_threads, unsigned flags) {
  static const ParallelFn real = next_symbol<ParallelFn>("GOMP_parallel");
  Region r{fn, data, 0, 0, 0};
  __tsan_release(&r.fork);
  real(run_member, &r, num_threads, flags);
  __tsan_acquire(&r.join);
}

extern "C" void GOMP_barrier() {
  static const BarrierFn real = next_symbol<BarrierFn>("GOMP_barrier");
  Region* r = t_region;
  if (r != nullptr) __tsan_release(&r->barrier);
  real();
  if (r != nullptr) __tsan_acquire(&r->barrier);
}
