#!/usr/bin/env bash
# Time GET_PARAM reads and, when valgrind is installed, count instructions per read.
#
#   bench/native_read.sh            build, time, count
#   ANNOTATE=1 bench/native_read.sh also print callgrind_annotate's view of the hit and miss
#
# Instructions per read come from two callgrind runs with different read counts:
# (total(N2) - total(N1)) / (N2 - N1), so start-up and scope set-up cancel out.
set -euo pipefail
cd "$(dirname "$0")/.."

# The release build with symbols (Cargo.toml's profiling profile): callgrind_annotate names the
# engine's functions.
cargo build --profile profiling --quiet
lib=target/profiling
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

g++ -std=c++17 -O2 -g -Wall -Wextra -Werror -pthread -I include bench/native_read.cpp \
    -L "$lib" -lhyperparameter -Wl,-rpath,"$PWD/$lib" -o "$out/native_read"

"$out/native_read"

if ! command -v valgrind >/dev/null; then
    echo "valgrind not found: skipping instruction counts"
    exit 0
fi

n1=50000
n2=150000
# label mode where command... -> one line: instructions per read of `command... mode COUNT`,
# from runs at two counts (the callgrind output of each is kept as $out/cg.label.count).
per_read() {
    local label=$1 mode=$2 where=$3 count totals=()
    shift 3
    for count in "$n1" "$n2"; do
        valgrind --tool=callgrind --callgrind-out-file="$out/cg.$label.$count" "$@" "$mode" "$count" \
            >/dev/null 2>&1
        totals+=("$(awk '/^(summary|totals):/ { print $2; exit }' "$out/cg.$label.$count")")
    done
    awk -v m="$label" -v w="$where" -v a="${totals[0]}" -v b="${totals[1]}" -v n1="$n1" -v n2="$n2" \
        'BEGIN { printf "%-9s: %6.1f instructions/read (callgrind%s)\n", m, (b - a) / (n2 - n1), w }'
}
for mode in hit miss c-hit; do
    per_read "$mode" "$mode" "" "$out/native_read"
done

# The same reads from a Python thread, inside Python scopes: the hit path also checks that the
# thread's contextvars context has not moved since the last sync.
g++ -std=c++17 -O2 -g -shared -fPIC -pthread -I include bench/native_read.cpp \
    -L "$lib" -lhyperparameter -Wl,-rpath,"$PWD/$lib" -o "$out/native_read.so"
python=$(python -c "import sys; print(sys.executable)")  # the interpreter itself, not a shim
for mode in hit miss c-hit; do
    per_read "py-$mode" "$mode" ", read from a Python thread" \
        "$python" bench/native_read_python.py "$out/native_read.so"
done

if [[ "${ANNOTATE:-}" == 1 ]]; then
    for mode in hit miss; do
        echo "== callgrind_annotate, $mode, $n2 reads (inclusive) =="
        callgrind_annotate --inclusive=yes "$out/cg.$mode.$n2" 2>/dev/null | sed -n '1,40p'
    done
fi
