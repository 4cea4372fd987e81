#!/usr/bin/env bash
# The model conformance harness in one command: Tandem against ONNX Runtime on torchvision's zoo.
#
#   tests/zoo/run_zoo.sh [--zoo DIR] [--tandem PATH] [--models a,b] [--opsets 13,17] [--modes static,dynamic]
#
# Each step runs only where its result is missing or stale: bench/'s pinned onnxruntime-node (npm ci), the ONNX
# exports (export_zoo.py, into DIR, default build/zoo), the ORT references (ort_reference.js, redone when a model
# file changes), then the check (check_zoo.py: table, DIR/results.json, exit 1 on any failure). Everything runs
# on one thread. Needs build/tools/tandem (scripts/build.sh) and python3-torchvision (scripts/setup.sh).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ZOO=$ROOT/build/zoo
TANDEM=$ROOT/build/tools/tandem
MODELS=""
CHECK_ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --zoo) ZOO=$2; shift 2 ;;
    --tandem) TANDEM=$2; shift 2 ;;
    --models) MODELS=$2; CHECK_ARGS+=(--models "$2"); shift 2 ;;
    --opsets|--modes) CHECK_ARGS+=("$1" "$2"); shift 2 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "run_zoo: unknown argument $1" >&2; exit 2 ;;
  esac
done
export OMP_NUM_THREADS=1
PY=/usr/bin/python3  # Debian's python3-torch / torchvision / numpy live there, not in a venv first on PATH
[ -x "$TANDEM" ] || { echo "run_zoo: no $TANDEM; build it first (scripts/build.sh)" >&2; exit 2; }

step() {  # step NAME COMMAND...: runs it and says how long it took
  local name=$1 t0=$SECONDS
  shift
  local rc=0
  "$@" || rc=$?
  echo "run_zoo: $name took $((SECONDS - t0)) s"
  return $rc
}

if [ ! -f "$ROOT/bench/node_modules/onnxruntime-node/package.json" ]; then
  step "npm ci" bash -c "cd '$ROOT/bench' && npm ci --ignore-scripts"
fi
step "export" "$PY" "$ROOT/tests/zoo/export_zoo.py" --out "$ZOO" ${MODELS:+--models "$MODELS"}
step "ORT references" node "$ROOT/tests/zoo/ort_reference.js" --zoo "$ZOO" ${MODELS:+--models "$MODELS"}
step "check" "$PY" "$ROOT/tests/zoo/check_zoo.py" --zoo "$ZOO" --tandem "$TANDEM" --json "$ZOO/results.json" \
  ${CHECK_ARGS[@]+"${CHECK_ARGS[@]}"}
