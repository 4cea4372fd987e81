// Runs a deployment's build (or load) on a thread of its own, which exits when it is done.
//
// Building times kernels with OpenMP, so the building thread ends up owning an OpenMP thread pool. libgomp keeps
// a pool for as long as its thread lives and counts its threads as busy: with the caller's pool alive beside a
// unit's team, it sees more threads than cores and throttles every team's spin-waiting, so the unit's kernels
// sleep and wake at each barrier instead. Measured on MTNet-B0, one 2-core unit, 256x512: 40 ms per frame built
// on the caller's thread, 34 ms built here, the same as `tandem run` (alternating, three rounds).
#pragma once

#include <optional>
#include <thread>
#include <utility>

namespace tandem {

// Calls `work()` on a new thread and returns its result (a Result<T>; no exception crosses threads here).
template <typename F>
auto on_build_thread(F&& work) -> decltype(work()) {
  std::optional<decltype(work())> out;
  std::thread([&] { out.emplace(work()); }).join();
  return std::move(*out);
}

}  // namespace tandem
