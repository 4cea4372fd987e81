#!/usr/bin/env bash
# The test suite under sanitizers: `asan` builds everything with AddressSanitizer + UndefinedBehaviorSanitizer
# (build-asan/) and runs every test; `tsan` builds with ThreadSanitizer (build-tsan/) and runs the threaded parts
# (streams, events, the pipeline, pinned units). Any report fails the run. Usage: bash scripts/sanitize.sh [asan|tsan|all]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
MODE=${1:-all}
JOBS=${JOBS:-2}
SUPP="$PWD/scripts/sanitizers"

# The release build's -O3 (the kernels' results are tested bit for bit against their scalar forms, which holds
# only when both are compiled alike; at -O1 GCC contracts fewer a*b+c into FMAs); -g1 gives file:line in reports.
configure() {  # DIR SANITIZERS
  cmake -S . -B "$1" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O3 -g1 -DNDEBUG" \
    -DTANDEM_SANITIZE="$2" -DTANDEM_BUILD_BENCH=OFF >/dev/null
}

if [ "$MODE" = asan ] || [ "$MODE" = all ]; then
  configure build-asan address,undefined
  ninja -C build-asan -j"$JOBS"
  # halt_on_error: a UBSan report fails its test instead of scrolling by; leaks are checked at exit (LSan), with
  # the one-time allocations of the libraries Tandem links listed in lsan.supp.
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1:detect_stack_use_after_return=0
  export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
  export LSAN_OPTIONS=suppressions=$SUPP/lsan.supp:print_suppressions=0
  ctest --test-dir build-asan --output-on-failure --timeout 1800 -j"$JOBS"
  unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS
fi

if [ "$MODE" = tsan ] || [ "$MODE" = all ]; then
  configure build-tsan thread
  ninja -C build-tsan -j"$JOBS" tandem_unit_tests tandem_pipeline_tests tandem_engine_tests
  # libgomp is not built with TSan, so it cannot see the happens-before of OpenMP barriers; the suppressions
  # (tsan.supp) cover races reported inside it and oneDNN's OpenMP kernels, and nothing of Tandem's own threads.
  export TSAN_OPTIONS="suppressions=$SUPP/tsan.supp:halt_on_error=1:second_deadlock_stack=1:report_signal_unsafe=0"
  ctest --test-dir build-tsan --output-on-failure --timeout 1800 -j1 \
    -R '^(Pipeline\.|Streams\.|CpuUnitStreams\.|export_models$|pipeline_|engine_OneThread|engine_TwoThreads)'
fi
