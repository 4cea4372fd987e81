#!/usr/bin/env bash
# The zoo benchmark in one command: Tandem vs ONNX Runtime on the conformance harness's torchvision models.
#   bench/run_zoo_bench.sh [zoo_bench.py options...]     e.g. --models squeezenet1_1,resnet18 --threads 1 --rounds 3
# Installs onnxruntime-node into bench/node_modules (npm ci --ignore-scripts) if missing, exports the models the
# benchmark needs into build/zoo with Debian's torch (tests/zoo/export_zoo.py; up-to-date files are kept), then runs
# bench/zoo_bench.py with --json build/bench/zoo-<UTC time>.json unless --json is given. Needs build/tools/tandem
# (scripts/build.sh); it is not built here.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

zoo="build/zoo"
models=""
opset=17
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  a="${args[i]}"
  next="${args[i + 1]:-}"
  case "$a" in
    --zoo) zoo="$next" ;;
    --zoo=*) zoo="${a#*=}" ;;
    --models) models="$next" ;;
    --models=*) models="${a#*=}" ;;
    --opset) opset="$next" ;;
    --opset=*) opset="${a#*=}" ;;
    -h | --help) exec python3 bench/zoo_bench.py --help ;;
  esac
done

if [[ ! -f bench/node_modules/onnxruntime-node/package.json ]]; then
  echo "== installing onnxruntime-node into bench/node_modules" >&2
  # --ignore-scripts: the postinstall downloads extras from GitHub; the tarball already has the Linux x64 CPU binary.
  (cd bench && npm ci --ignore-scripts --no-audit --no-fund)
fi

echo "== exporting the zoo into $zoo (only what is missing or stale)" >&2
/usr/bin/python3 tests/zoo/export_zoo.py --out "$zoo" --opsets "$opset" ${models:+--models "$models"}

[[ -x build/tools/tandem ]] || [[ " $* " == *" --tandem "* ]] || {
  echo "run_zoo_bench.sh: no build/tools/tandem; build it first (scripts/build.sh)" >&2
  exit 2
}

defaults=(--zoo "$zoo")
if [[ " $* " != *" --json"* ]]; then
  mkdir -p build/bench
  defaults+=(--json "build/bench/zoo-$(date -u +%Y%m%dT%H%M%SZ).json")
fi
TANDEM_BENCH_WRAPPER="bench/run_zoo_bench.sh"
(($# == 0)) || TANDEM_BENCH_WRAPPER+="$(printf ' %q' "$@")"
export TANDEM_BENCH_WRAPPER
echo "== $TANDEM_BENCH_WRAPPER" >&2
exec python3 bench/zoo_bench.py "${defaults[@]}" "$@"
