#!/usr/bin/env bash
# One command for the MTNet-B0 peer comparison from a fresh checkout:
#   bench/run_peers.sh [compare_peers.py options...]
# Installs onnxruntime-node into bench/node_modules (npm ci --ignore-scripts), exports the models into build/models
# with Debian's torch, builds build/tools/tandem, each only if missing, then runs bench/compare_peers.py with
# --models-dir build/models --json build/bench/peers-<UTC time>.json plus whatever options are given here
# (later options win, e.g. --sizes 256x512 --threads 1 --rounds 3, or --peers ort,torch to leave Tandem out).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

models_dir="build/models"
tandem="build/tools/tandem"
peers="tandem,ort,torch"
have_json=0
have_models_dir=0
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  a="${args[i]}"
  next="${args[i + 1]:-}"
  case "$a" in
    --models-dir) models_dir="$next" have_models_dir=1 ;;
    --models-dir=*) models_dir="${a#*=}" have_models_dir=1 ;;
    --tandem) tandem="$next" ;;
    --tandem=*) tandem="${a#*=}" ;;
    --peers) peers="$next" ;;
    --peers=*) peers="${a#*=}" ;;
    --json | --json=*) have_json=1 ;;
  esac
done
wants() { [[ ",$peers," == *",$1,"* ]]; }

if wants ort && [[ ! -d bench/node_modules/onnxruntime-node ]]; then
  echo "== installing onnxruntime-node into bench/node_modules" >&2
  # --ignore-scripts: the package's postinstall downloads extras from GitHub; its npm tarball already carries the
  # Linux x64 CPU binary (bin/napi-v6/linux/x64), which is all the CPU comparison needs.
  if [[ -f bench/package-lock.json ]]; then
    (cd bench && npm ci --ignore-scripts --no-audit --no-fund)
  else
    (cd bench && npm install --ignore-scripts --no-audit --no-fund)
  fi
fi

if { wants ort || wants tandem; } && [[ ! -f "$models_dir/mtnet_b0_op17_dynamic.onnx" ]]; then
  echo "== exporting MTNet-B0 into $models_dir" >&2
  /usr/bin/python3 models/export.py --out "$models_dir"
fi

if wants tandem && [[ ! -x "$tandem" ]]; then
  if [[ "$tandem" != "build/tools/tandem" ]]; then
    echo "run_peers.sh: --tandem $tandem does not exist" >&2
    exit 2
  fi
  echo "== building tandem" >&2
  [[ -f build/build.ninja ]] || cmake -S . -B build -G Ninja
  ninja -C build tandem
fi

defaults=()
((have_models_dir)) || defaults+=(--models-dir "$models_dir")
if ((have_json == 0)); then
  mkdir -p build/bench
  defaults+=(--json "build/bench/peers-$(date -u +%Y%m%dT%H%M%SZ).json")
fi
# compare_peers.py quotes this in its report, next to its own command line.
TANDEM_BENCH_WRAPPER="bench/run_peers.sh"
(($# == 0)) || TANDEM_BENCH_WRAPPER+="$(printf ' %q' "$@")"
export TANDEM_BENCH_WRAPPER
echo "== $TANDEM_BENCH_WRAPPER" >&2
exec python3 bench/compare_peers.py "${defaults[@]}" "$@"
