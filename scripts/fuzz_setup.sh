#!/usr/bin/env bash
# Installs what the fuzz build needs beyond scripts/setup.sh on a fresh Debian 12 machine (as root): clang 14
# and its libFuzzer/sanitizer runtimes. Safe to re-run: it skips apt when every package is already installed.
set -euo pipefail

PACKAGES=(clang libclang-rt-14-dev)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "fuzz_setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
echo "fuzz_setup: all fuzz dependencies present"
