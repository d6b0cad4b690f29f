#!/usr/bin/env bash
# The long stress runs (the test suite runs short ones: tests/stress/test_stress.py).
#
#     tests/stress/run.sh [CXX_OPS_PER_THREAD=20000000] [PY_OPS_PER_THREAD=200000] [THREADS=8]
#
# Builds the release library and tests/stress/stress.cpp, runs the C++ stress with THREADS
# std::threads, then the Python stress with THREADS threads and 1,000 asyncio tasks (each task
# does PY_OPS_PER_THREAD / 100 operations) on the native and on the pure-Python backend.
# Each program prints its operation counts and exits non-zero if any check failed.
set -euo pipefail
cd "$(dirname "$0")/../.."
cxx_ops=${1:-20000000}
py_ops=${2:-200000}
threads=${3:-8}
cargo build --release --quiet
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
"${CXX:-g++}" -std=c++17 -O2 -pthread -I include tests/stress/stress.cpp -o "$build/stress" \
    -L target/release -lhyperparameter -Wl,-rpath,"$PWD/target/release"
"$build/stress" "$cxx_ops" "$threads"
for backend in native python; do
    HYPERPARAMETER_BACKEND=$backend python tests/stress/stress.py \
        --ops "$py_ops" --task-ops $((py_ops / 100)) --threads "$threads" --tasks 1000
done
