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

# -O1 keeps a sanitized build close to the release build's compile time (GCC at -O3 with ASan and UBSan takes
# about five times as long); -fexpensive-optimizations lets GCC contract a*b+c into FMAs as at -O3, which the tests
# that compare kernels bit for bit with their scalar forms need. -g1 gives file:line in reports.
configure() {  # DIR SANITIZERS [CHECKS LEFT OUT]
  cmake -S . -B "$1" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CXX_FLAGS_RELEASE="-O1 -fexpensive-optimizations -g1 -DNDEBUG" \
    -DTANDEM_SANITIZE="$2" -DTANDEM_NO_SANITIZE="${3:-}" -DTANDEM_BUILD_BENCH=OFF >/dev/null
}

if [ "$MODE" = asan ] || [ "$MODE" = all ]; then
  # UBSan's null and alignment checks (and vptr's) instrument every reference in the templated kernels and triple
  # the build time: a null dereference still stops the run (ASan's SEGV report), and the kernels' unaligned
  # vector loads are deliberate.
  configure build-asan address,undefined alignment,null,vptr
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
  ninja -C build-tsan -j"$JOBS" tandem_threading_tests tandem_pipeline_tests tandem_engine_tests
  # No suppressions: the test programs of this build carry the OpenMP fork/join/barrier annotations that Debian's
  # libgomp (not built with TSan) lacks (tests/tsan/openmp_happens_before.cpp).
  export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:report_signal_unsafe=0"
  ctest --test-dir build-tsan --output-on-failure --timeout 1800 -j1 \
    -R '^(Pipeline\.|Streams\.|CpuUnitStreams\.|export_models$|pipeline_|engine_OneThread|engine_TwoThreads)'
fi
