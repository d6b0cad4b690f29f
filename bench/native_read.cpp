// native_read: the cost of one GET_PARAM read from C++, a hit and a miss.
//
//   native_read              time many reads, print nanoseconds per read (best of 5)
//   native_read MODE COUNT   do exactly COUNT reads and nothing else (for callgrind, which
//                            bench/native_read.sh runs at two counts so fixed costs cancel)
//
// Built as a shared object, it is what bench/native_read_python.py calls from a Python thread.
//
// MODE is "hit" (the key is set in the innermost scope), "miss" (the key is set nowhere: the
// default) or "c-hit" (the C call hp_get_i64_by_hash on the hit key: what GET_PARAM costs when
// its kept answer is outdated and it must ask the engine, whose per-thread cache answers).
// GET_PARAM keeps its answer per key and thread while the thread's read word is unchanged, so
// in these loops both "hit" and "miss" are answered without a call into the library.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "hyperparameter.hpp"

namespace {

// Written after each loop so the reads cannot be optimised away (they are calls into a shared
// library anyway, but this keeps the benchmark honest under LTO of the caller).
volatile long long sink;

void read_hit(long long count) {
    long long sum = 0;
    for (long long i = 0; i < count; ++i) sum += GET_PARAM(bench.hit, 0);
    sink = sum;
}

void read_miss(long long count) {
    long long sum = 0;
    for (long long i = 0; i < count; ++i) sum += GET_PARAM(bench.miss, 1);
    sink = sum;
}

void read_c_hit(long long count) {
    constexpr std::uint64_t hash = hp::hash("bench.hit");
    long long sum = 0;
    for (long long i = 0; i < count; ++i) {
        std::int64_t value = 0;
        hp_get_i64_by_hash(hash, &value);
        sum += value;
    }
    sink = sum;
}

using reader = void (*)(long long);

reader reader_for(const char* mode) {
    if (std::strcmp(mode, "hit") == 0) return read_hit;
    if (std::strcmp(mode, "miss") == 0) return read_miss;
    if (std::strcmp(mode, "c-hit") == 0) return read_c_hit;
    return nullptr;
}

double best_ns_per_read(reader read, long long count) {
    read(count / 10);  // warm up caches and the thread's lazily created state
    double best = 1e300;
    for (int run = 0; run < 5; ++run) {
        const auto start = std::chrono::steady_clock::now();
        read(count);
        const std::chrono::duration<double, std::nano> took = std::chrono::steady_clock::now() - start;
        if (took.count() / static_cast<double>(count) < best) best = took.count() / static_cast<double>(count);
    }
    return best;
}

}  // namespace

// For bench/native_read_python.py: the same reads, made from a Python thread through ctypes
// (the library is also built as a shared object), so the cost of following Python's context
// is counted too. Returns 0, or 2 for an unknown mode.
extern "C" int native_read_count(const char* mode, long long count) {
    reader read = reader_for(mode);
    if (read == nullptr) return 2;
    read(count);
    return 0;
}

int main(int argc, char** argv) {
    // Two scopes deep, like a library read inside a run's scope inside a trial's scope.
    auto run = WITH_PARAMS(bench.other, 2, bench.more, "x");
    auto trial = WITH_PARAMS(bench.hit, 1);

    if (argc == 3) {
        reader read = reader_for(argv[1]);
        if (read == nullptr) {
            std::fprintf(stderr, "unknown mode %s (hit, miss, c-hit)\n", argv[1]);
            return 2;
        }
        read(std::atoll(argv[2]));
        return 0;
    }
    if (argc != 1) {
        std::fprintf(stderr, "usage: %s [hit|miss|c-hit COUNT]\n", argv[0]);
        return 2;
    }
    const long long count = 2000000;
    std::printf("GET_PARAM hit  (innermost scope): %6.1f ns/read\n", best_ns_per_read(read_hit, count));
    std::printf("GET_PARAM miss (default)        : %6.1f ns/read\n", best_ns_per_read(read_miss, count));
    std::printf("hp_get_i64_by_hash hit (C)      : %6.1f ns/read\n", best_ns_per_read(read_c_hit, count));
    return 0;
}
