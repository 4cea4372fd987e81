// Test support: malloc and friends interposed for the whole test process (oneDNN and libgomp included), so a
// test can count every allocation a code path makes; and the process's thread list.
#pragma once

#include <atomic>
#include <string>
#include <vector>

namespace tandem::testing {

extern std::atomic<bool> g_counting;
extern std::atomic<long> g_allocations;         // Tandem's (and everything else's) while counting
extern std::atomic<long> g_onednn_allocations;  // inside oneDNN's primitive execution (not Tandem's to remove)
extern std::atomic<long> g_openmp_allocations;  // libgomp's team for a parallel region (memalign; not Tandem's)

int os_threads();
// Thread ids of the process, and one thread's allowed cores ("Cpus_allowed_list" of /proc/self/task/T/status).
std::vector<int> thread_ids();
std::vector<int> thread_cores(int tid);

}  // namespace tandem::testing
