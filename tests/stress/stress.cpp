// Concurrent stress of the engine through the C++ layer; bounded, it stops by itself.
//
//     stress [OPS_PER_THREAD=200000] [THREADS=8] [SEED=1]
//
// THREADS workers each run OPS_PER_THREAD random operations: enter a scope (hp::scope_guard),
// exit one, clear the innermost scope, set a key, read a key (GET_PARAM through the per-thread read cache, or hp::get by
// key text) and read the baseline. Every read is checked against a model of the worker's own
// scopes: the same eight key names are used by every worker, with values that name the worker,
// so a value seen across threads, a stale read or a lost write is a mismatch. Meanwhile one
// more thread republishes the frozen baseline (base.a = g, base.b = 3g + 1, base.s = "gen-g")
// as fast as it can; readers must see the generations in order and each one whole.
//
// Prints the operation counts and exits 0 when no check failed. tests/stress/test_stress.py runs a
// short version; see docs/errors.md ("Stress") for the long one.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <variant>
#include <vector>

#include "hyperparameter.hpp"

namespace {

constexpr int kKeys = 8;
constexpr std::size_t kMaxDepth = 24;

using Value = std::variant<std::int64_t, double, bool, std::string>;
using Frame = std::unordered_map<int, Value>;

const char* const kKeyNames[kKeys] = {"s.k0", "s.k1", "s.k2", "s.k3", "s.k4", "s.k5", "s.k6", "s.k7"};

// GET_PARAM needs the key as tokens: one case per key.
template <class D>
hp::detail::result_t<D> read_by_hash(int key, const D& fallback) {
    switch (key) {
        case 0: return GET_PARAM(s.k0, fallback);
        case 1: return GET_PARAM(s.k1, fallback);
        case 2: return GET_PARAM(s.k2, fallback);
        case 3: return GET_PARAM(s.k3, fallback);
        case 4: return GET_PARAM(s.k4, fallback);
        case 5: return GET_PARAM(s.k5, fallback);
        case 6: return GET_PARAM(s.k6, fallback);
        default: return GET_PARAM(s.k7, fallback);
    }
}

template <class D>
hp::detail::result_t<D> read(int key, const D& fallback, bool by_hash) {
    return by_hash ? read_by_hash(key, fallback) : hp::get(kKeyNames[key], fallback);
}

struct Counts {
    std::uint64_t enters = 0, exits = 0, clears = 0, sets = 0, reads = 0, misses = 0, baseline_reads = 0;
    std::uint64_t errors = 0;  // mismatches and unexpected exceptions
};

std::atomic<bool> workers_done{false};

void fail(Counts& counts, int thread, const char* what, const std::string& detail = "") {
    if (++counts.errors <= 5) std::fprintf(stderr, "thread %d: %s %s\n", thread, what, detail.c_str());
}

void worker(int id, std::uint64_t ops, std::uint64_t seed, Counts& counts) {
    std::mt19937_64 rng(seed * 1000003u + static_cast<std::uint64_t>(id));
    std::vector<Frame> frames(1);  // frames[0]: the thread's root scope
    std::vector<hp::scope_guard> guards;
    std::uint64_t serial = 0;
    std::int64_t last_generation = -1;
    const auto tag = static_cast<std::int64_t>(id) * 1000000000LL;

    auto expected = [&](int key) -> const Value* {
        for (auto frame = frames.rbegin(); frame != frames.rend(); ++frame) {
            auto found = frame->find(key);
            if (found != frame->end()) return &found->second;
        }
        return nullptr;
    };

    try {
        for (std::uint64_t op = 0; op < ops; ++op) {
            const unsigned roll = static_cast<unsigned>(rng() % 100);
            const int key = static_cast<int>(rng() % kKeys);
            const bool by_hash = rng() & 1;
            if (roll < 14 && guards.size() < kMaxDepth) {
                guards.emplace_back();
                frames.emplace_back();
                ++counts.enters;
            } else if (roll < 28 && !guards.empty()) {
                if (rng() % 8 == 0) {
                    guards.back().exit();  // explicitly, else by the destructor
                }
                guards.pop_back();
                frames.pop_back();
                ++counts.exits;
            } else if (roll < 31) {
                hp_scope_clear(nullptr);  // the innermost scope's own values (the root's at depth 0)
                frames.back().clear();
                ++counts.clears;
            } else if (roll < 58) {
                ++serial;
                Value value;
                switch (rng() % 4) {
                    case 0: value = tag + static_cast<std::int64_t>(serial); break;
                    case 1: value = static_cast<double>(tag + static_cast<std::int64_t>(serial)) + 0.5; break;
                    case 2: value = static_cast<bool>(serial & 1); break;
                    default: value = "t" + std::to_string(id) + "-" + std::to_string(serial); break;
                }
                std::visit([&](const auto& v) { hp::set(kKeyNames[key], v); }, value);
                frames.back()[key] = std::move(value);
                ++counts.sets;
            } else if (roll < 95) {
                ++counts.reads;
                const Value* want = expected(key);
                if (want == nullptr) {
                    ++counts.misses;
                    const std::int64_t marker = -1 - static_cast<std::int64_t>(serial);
                    if (read(key, marker, by_hash) != marker) fail(counts, id, "a missing key read as set");
                } else if (auto i = std::get_if<std::int64_t>(want)) {
                    const auto got = read(key, std::int64_t{-1}, by_hash);
                    if (got != *i) fail(counts, id, "int mismatch", std::to_string(got) + " != " + std::to_string(*i));
                } else if (auto x = std::get_if<double>(want)) {
                    const double got = read(key, -1.0, by_hash);
                    if (got != *x) fail(counts, id, "float mismatch", std::to_string(got) + " != " + std::to_string(*x));
                } else if (auto b = std::get_if<bool>(want)) {
                    if (read(key, !*b, by_hash) != *b) fail(counts, id, "bool mismatch");
                } else {
                    const auto& s = std::get<std::string>(*want);
                    const std::string got = read(key, std::string("<missing>"), by_hash);
                    if (got != s) fail(counts, id, "text mismatch", got + " != " + s);
                }
            } else {
                // Baseline-only keys: two reads of base.a around the others. The generation never
                // goes back; when both reads agree, no publication finished in between, so b and s
                // must belong to that same generation.
                ++counts.baseline_reads;
                const std::int64_t a1 = GET_PARAM(base.a, std::int64_t{-1});
                const std::int64_t b = by_hash ? GET_PARAM(base.b, std::int64_t{-1}) : hp::get("base.b", std::int64_t{-1});
                const std::string s = GET_PARAM(base.s, "");
                const std::int64_t a2 = hp::get("base.a", std::int64_t{-1});
                if (a1 < last_generation || a2 < a1) {
                    fail(counts, id, "baseline went back", std::to_string(last_generation) + " " + std::to_string(a1) + " " + std::to_string(a2));
                }
                if (a1 == a2 && a1 >= 0 && (b != 3 * a1 + 1 || s != "gen-" + std::to_string(a1))) {
                    fail(counts, id, "baseline mixed or garbled", std::to_string(a1) + " " + std::to_string(b) + " " + s);
                }
                if (a1 == -1 && a2 == -1 && (b != -1 || !s.empty())) fail(counts, id, "baseline half there");
                last_generation = a2;
            }
        }
        while (!guards.empty()) {
            guards.pop_back();
            frames.pop_back();
            ++counts.exits;
        }
        hp_scope_clear(nullptr);  // the thread's root scope
        frames[0].clear();
        for (int key = 0; key < kKeys; ++key) {
            if (read(key, std::int64_t{-7}, key & 1) != -7) fail(counts, id, "a value outlived its scope");
        }
        if (hp_scope_depth() != 0) fail(counts, id, "scopes left entered");
    } catch (const std::exception& e) {
        fail(counts, id, "unexpected exception:", e.what());
    }
}

}  // namespace

int main(int argc, char** argv) {
    const std::uint64_t ops = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 200000;
    const int threads = argc > 2 ? std::atoi(argv[2]) : 8;
    const std::uint64_t seed = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 1;
    hp::check_abi();

    std::atomic<std::int64_t> publications{0};
    std::thread publisher([&] {
        std::int64_t generation = 0;
        while (!workers_done.load(std::memory_order_acquire)) {
            {
                auto guard = WITH_PARAMS(base.a, generation, base.b, 3 * generation + 1);
                guard.set("base.s", "gen-" + std::to_string(generation));
                hp::frozen();
            }
            publications.store(++generation, std::memory_order_relaxed);
            if (generation % 64 == 0) std::this_thread::yield();
        }
    });

    const auto started = std::chrono::steady_clock::now();
    std::vector<Counts> counts(static_cast<std::size_t>(threads));
    std::vector<std::thread> workers;
    for (int id = 0; id < threads; ++id) {
        workers.emplace_back(worker, id, ops, seed, std::ref(counts[static_cast<std::size_t>(id)]));
    }
    for (auto& t : workers) t.join();
    workers_done.store(true, std::memory_order_release);
    publisher.join();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

    Counts total;
    for (const auto& c : counts) {
        total.enters += c.enters;
        total.exits += c.exits;
        total.clears += c.clears;
        total.sets += c.sets;
        total.reads += c.reads;
        total.misses += c.misses;
        total.baseline_reads += c.baseline_reads;
        total.errors += c.errors;
    }
    // The publisher's last baseline stays for this thread; publish an empty one to end clean.
    {
        auto empty = hp::scope_guard::empty();
        hp::frozen();
    }
    std::printf(
        "stress: %d threads x %llu ops = %llu ops in %.2f s (%.0f ops/s)\n"
        "  enters %llu, exits %llu, clears %llu, sets %llu, reads %llu (%llu of missing keys), baseline reads %llu\n"
        "  baseline publications %lld\n",
        threads, static_cast<unsigned long long>(ops), static_cast<unsigned long long>(ops * threads), seconds,
        static_cast<double>(ops * threads) / seconds, static_cast<unsigned long long>(total.enters),
        static_cast<unsigned long long>(total.exits), static_cast<unsigned long long>(total.clears),
        static_cast<unsigned long long>(total.sets),
        static_cast<unsigned long long>(total.reads), static_cast<unsigned long long>(total.misses),
        static_cast<unsigned long long>(total.baseline_reads), static_cast<long long>(publications.load()));
    std::printf("stress: %llu checks failed\n", static_cast<unsigned long long>(total.errors));
    return total.errors == 0 && hp_live_host_objects() == 0 ? 0 : 1;
}
