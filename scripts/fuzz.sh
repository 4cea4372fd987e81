#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) with clang, ASan and UBSan into build-fuzz/ and runs one, or all in turn.
#
#   bash scripts/fuzz.sh TARGET SECONDS [extra libFuzzer args]
#   bash scripts/fuzz.sh all SECONDS [extra libFuzzer args]
#   bash scripts/fuzz.sh list
#
# The target runs on build-fuzz/corpus-work/TARGET (the committed seeds in fuzz/corpus/TARGET copied in, plus
# what earlier runs found), so the committed seeds stay small; fuzz/regressions/ is not read (a crasher not yet
# fixed would stop the run at once; the ctest fuzz_regressions replays those). Crashers go to
# build-fuzz/crashes/TARGET/, the log to build-fuzz/logs/TARGET.log. Exit status: non-zero when libFuzzer found a
# crash, leak, timeout or out-of-memory in any target run. To keep going past findings, pass
# -fork=1 -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1. Environment: FUZZ_BUILD_DIR (build-fuzz),
# FUZZ_JOBS (ninja jobs, 2), CXX (clang++), TMPDIR (where the targets write their inputs; default /dev/shm).
set -euo pipefail
cd "$(dirname "$0")/.."

TARGETS=(onnx_import tensor_proto npy image plan calibration_cache engine_file)
# -max_len per target: a little over the largest seed, so mutations can grow it a bit (onnx_import skips inputs
# over 64 KiB itself).
max_len() {
  case "$1" in
    onnx_import) echo 65536 ;;
    tensor_proto) echo 16384 ;;
    npy) echo 8192 ;;
    image) echo 16384 ;;
    plan) echo 4096 ;;
    calibration_cache) echo 8192 ;;
    engine_file) echo 8192 ;;
  esac
}

usage() {
  echo "usage: bash scripts/fuzz.sh TARGET|all SECONDS [libFuzzer args...]   (targets: ${TARGETS[*]})" >&2
  exit 2
}

BUILD_DIR=${FUZZ_BUILD_DIR:-build-fuzz}
JOBS=${FUZZ_JOBS:-2}
CXX_COMPILER=${CXX:-clang++}
if [ "${1:-}" = list ]; then printf '%s\n' "${TARGETS[@]}"; exit 0; fi
[ $# -ge 2 ] || usage
WHAT=$1
SECONDS_EACH=$2
shift 2
[[ "$SECONDS_EACH" =~ ^[0-9]+$ ]] || usage
if [ "$WHAT" = all ]; then
  RUN=("${TARGETS[@]}")
else
  [[ " ${TARGETS[*]} " == *" $WHAT "* ]] || usage
  RUN=("$WHAT")
fi

# clang with libFuzzer: install (as root) when missing, as scripts/setup.sh does for the rest.
if ! command -v "$CXX_COMPILER" >/dev/null 2>&1 || ! echo 'extern "C" int LLVMFuzzerTestOneInput(const char*, unsigned long) { return 0; }' |
    "$CXX_COMPILER" -x c++ -fsanitize=fuzzer,address,undefined -o /dev/null - >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    bash scripts/setup.sh clang libclang-rt-14-dev
  else
    echo "fuzz: $CXX_COMPILER cannot link -fsanitize=fuzzer; run 'scripts/setup.sh clang libclang-rt-14-dev' as root" >&2
    exit 1
  fi
fi

if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  echo "fuzz: configuring $BUILD_DIR"
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_CXX_COMPILER="$CXX_COMPILER" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DTANDEM_FUZZ=ON -DTANDEM_BUILD_TESTS=OFF -DTANDEM_BUILD_BENCH=OFF >/dev/null
fi
build_targets=()
for t in "${RUN[@]}"; do build_targets+=("fuzz_$t"); done
ninja -C "$BUILD_DIR" -j "$JOBS" "${build_targets[@]}"

# The targets write each input to a file under $TMPDIR: on tmpfs, not on a disk mounted with `discard`, where every
# truncation waits for the device (270 -> 4000 executions per second for npy).
# A folder of this run's own inside it, removed at the end: a crashing input leaves its target's temp folder behind.
tmp_base=${TMPDIR:-}
if [ -z "$tmp_base" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then tmp_base=/dev/shm; fi
TMPDIR=$(mktemp -d "${tmp_base:-/tmp}/tandem-fuzz-run.XXXXXX")
export TMPDIR
trap 'rm -rf "$TMPDIR"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

failed=()
for t in "${RUN[@]}"; do
  work="$BUILD_DIR/corpus-work/$t"
  crashes="$BUILD_DIR/crashes/$t"
  log="$BUILD_DIR/logs/$t.log"
  mkdir -p "$work" "$crashes" "$(dirname "$log")"
  # Seeds in, without overwriting what earlier runs added.
  cp -n fuzz/corpus/"$t"/* "$work"/ 2>/dev/null || true
  args=(-max_total_time="$SECONDS_EACH" -rss_limit_mb=2560 -timeout=20 -max_len="$(max_len "$t")"
        -artifact_prefix="$crashes/" -print_final_stats=1)
  [ -f "fuzz/dict/$t.dict" ] && args+=(-dict="fuzz/dict/$t.dict")
  echo "fuzz: $t for ${SECONDS_EACH}s (log $log)"
  marker="$BUILD_DIR/logs/.$t.start"
  touch "$marker"
  rc=0
  "$BUILD_DIR/fuzz/fuzz_$t" "${args[@]}" "$@" "$work" >"$log" 2>&1 || rc=$?
  # libFuzzer's last status line ("#N DONE cov: ... exec/s: ..."), and its execution count (from the final
  # stats; in -fork mode, which prints none, from that line).
  last=$(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)
  echo "$last"
  execs=$(grep -oE 'stat::number_of_executed_units: [0-9]+' "$log" | awk '{print $2}' | tail -n 1 || true)
  [ -n "$execs" ] || execs=$(echo "$last" | grep -oE '^#[0-9]+' | tr -d '#' || true)
  echo "fuzz: $t: ${execs:-?} executions"
  # A finding is an artifact written during this run (with -fork=1 -ignore_crashes=1 libFuzzer itself exits 0).
  found=$(find "$crashes" -type f -newer "$marker" | sort)
  if [ "$rc" -ne 0 ] || [ -n "$found" ]; then
    echo "fuzz: $t: libFuzzer exited $rc; findings:" >&2
    [ -z "$found" ] || echo "$found" | sed 's/^/  /' >&2
    grep -E '^==[0-9]+==ERROR|runtime error|^SUMMARY|Test unit written' "$log" | sort -u | head -n 12 >&2 || true
    failed+=("$t")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: findings in: ${failed[*]}" >&2
  exit 1
fi
