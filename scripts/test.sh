#!/usr/bin/env bash
# The whole test suite from a fresh machine: install dependencies, build, run every test with CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
BUILD_DIR=${BUILD_DIR:-build}
# How many of ONNX's own node tests the suite runs (CTest hides passing tests' output); CTest's summary stays last.
"$BUILD_DIR/tests/nodetests/tandem_node_tests" --gtest_list_tests | sed -n 1,2p
ctest --test-dir "$BUILD_DIR" --output-on-failure --timeout 900 -j2 "$@"
