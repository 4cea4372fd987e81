// Runs a deployment's build (or load) on a thread of its own, which exits when it is done.
//
// Building times kernels with OpenMP, so the building thread ends up owning an OpenMP thread pool. libgomp keeps
// a pool for as long as its thread lives and counts its threads as busy: with the caller's pool alive beside a
// unit's team, it sees more threads than cores and throttles every team's spin-waiting, so the unit's kernels
// sleep and wake at each barrier instead. Measured on MTNet-B0, one 2-core unit, 256x512: 40 ms per frame built
// on the caller's thread, 34 ms built here, the same as `tandem run` (alternating, three rounds).
#pragma once

#include <new>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "core/status.h"

namespace tandem {

// Calls `work()` on a new thread and returns its result (a Result<T>). No exception crosses threads: memory
// exhausted while building (Tensor::make's OutOfMemory, std::bad_alloc from a container) comes back as an error.
template <typename F>
auto on_build_thread(F&& work) -> decltype(work()) {
  std::optional<decltype(work())> out;
  std::thread([&] {
    try {
      out.emplace(work());
    } catch (const std::bad_alloc& e) {
      out.emplace(Status(Code::kResourceExhausted, std::string("out of memory while building: ") + e.what()));
    }
  }).join();
  return std::move(*out);
}

}  // namespace tandem
