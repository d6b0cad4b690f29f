// The C++ layer (include/hyperparameter.hpp): macros, typed reads and writes, RAII scopes,
// compile-time hashing, thread isolation and the frozen baseline.
//
// Usage: test_cpp HASH_VECTORS_FILE   (written by tests/native/test_native.py, see check.h)

#include <atomic>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "hyperparameter.hpp"

#include "check.h"

namespace {

// Whether `f` throws hp::error with `status` and a message containing `fragment`.
template <class F>
bool throws_hp(F&& f, std::int32_t status, const char* fragment) {
    try {
        f();
    } catch (const hp::error& e) {
        if (e.status() == status && std::string(e.what()).find(fragment) != std::string::npos) return true;
        std::fprintf(stderr, "  threw %s \"%s\", expected %s mentioning \"%s\"\n", e.status_name(), e.what(),
                     hp_status_name(status), fragment);
        return false;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "  threw a non-hp exception: %s\n", e.what());
        return false;
    }
    std::fprintf(stderr, "  did not throw\n");
    return false;
}

#define CHECK_THROWS(expr, status, fragment) CHECK(throws_hp([&] { (void)(expr); }, (status), (fragment)))

// Compile-time hashing, checked against tests/vectors/hash.json while compiling.
static_assert(hp::hash("") == 11002672306508523268ULL);
static_assert(hp::hash("a") == 9864288744972464332ULL);
static_assert(hp::hash("a.b") == 11414479579488969833ULL);
static_assert(hp::hash("train.lr") == 1730067025249070946ULL);
static_assert(hp::hash("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx") == 16730281937987387870ULL);   // 31 bytes
static_assert(hp::hash("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx") == 1299777543150008824ULL);   // 32
static_assert(hp::hash("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx") == 15695089157655081224ULL); // 33
static_assert(hp::hash("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx") ==
              18306151381460348866ULL);  // 64
static_assert(hp::hash("模型.学习率") == 15407992100934013850ULL);
static_assert(hp::hash("emoji.😀") == 3271254750777761577ULL);

// The default's type decides the read's type.
static_assert(std::is_same_v<decltype(GET_PARAM(a.b, 1)), int>);
static_assert(std::is_same_v<decltype(GET_PARAM(a.b, 2.0)), double>);
static_assert(std::is_same_v<decltype(GET_PARAM(a.b, true)), bool>);
static_assert(std::is_same_v<decltype(GET_PARAM(a.b, "str")), std::string>);
static_assert(std::is_same_v<decltype(GET_PARAM(a.b, std::int64_t{1})), std::int64_t>);
static_assert(std::is_same_v<decltype(GET_PARAM(a.b, 1.0f)), float>);
static_assert(!std::is_copy_constructible_v<hp::scope_guard>);
static_assert(std::is_nothrow_move_constructible_v<hp::scope_guard>);

int read_ab() { return GET_PARAM(a.b, 1); }

void test_done_means() {
    CHECK(read_ab() == 1);
    {
        auto guard = WITH_PARAMS(a.b, 2);
        CHECK(read_ab() == 2);
    }
    CHECK(read_ab() == 1);
    CHECK(hp_scope_depth() == 0);
}

void test_seed_example() {
    CHECK(1 == GET_PARAM(a.b, 1));
    {
        auto guard = WITH_PARAMS(a, 1,        //
                                 a.b, 2.0,    //
                                 a.b.c, true, //
                                 a.b.c.d, "str");
        CHECK(1 == GET_PARAM(a, 0));
        CHECK(2.0 == GET_PARAM(a.b, 0.0));
        CHECK(2 == GET_PARAM(a.b, 0));  // 2.0 is an exact integer
        CHECK(true == GET_PARAM(a.b.c, false));
        CHECK("str" == GET_PARAM(a.b.c.d, ""));
        CHECK("1" == GET_PARAM(a, "none"));  // the one conversion rule set, to text
        CHECK("2.0" == GET_PARAM(a.b, "none"));
        CHECK(hp_scope_depth() == 1);
    }
    CHECK(0 == GET_PARAM(a, 0));
    CHECK("gone" == GET_PARAM(a.b.c.d, "gone"));
}

void test_many_pairs() {
    auto guard = WITH_PARAMS(p.k1, 1, p.k2, 2, p.k3, 3, p.k4, 4, p.k5, 5, p.k6, 6, p.k7, 7, p.k8, 8, p.k9, 9,
                             p.k10, 10, p.k11, 11, p.k12, 12, p.k13, 13, p.k14, 14, p.k15, 15, p.k16, 16);
    const int sum = GET_PARAM(p.k1, 0) + GET_PARAM(p.k2, 0) + GET_PARAM(p.k3, 0) + GET_PARAM(p.k4, 0) +
                    GET_PARAM(p.k5, 0) + GET_PARAM(p.k6, 0) + GET_PARAM(p.k7, 0) + GET_PARAM(p.k8, 0) +
                    GET_PARAM(p.k9, 0) + GET_PARAM(p.k10, 0) + GET_PARAM(p.k11, 0) + GET_PARAM(p.k12, 0) +
                    GET_PARAM(p.k13, 0) + GET_PARAM(p.k14, 0) + GET_PARAM(p.k15, 0) + GET_PARAM(p.k16, 0);
    CHECK(sum == 136);
}

void test_conversion_errors() {
    auto guard = WITH_PARAMS(bad.text, "abc", bad.half, 3.5, bad.big, std::int64_t{1} << 40, bad.neg, -1,
                             bad.null, nullptr, bad.num_text, " 42 ", bad.word, "yes");
    // Values that convert.
    CHECK(GET_PARAM(bad.num_text, 0) == 42);
    CHECK(GET_PARAM(bad.word, false) == true);
    CHECK(GET_PARAM(bad.big, std::int64_t{0}) == (std::int64_t{1} << 40));
    CHECK(GET_PARAM(bad.half, 0.0) == 3.5);
    // Values that do not: an error naming the key, never the default.
    CHECK_THROWS(GET_PARAM(bad.text, 1), HP_TYPE_MISMATCH, "parameter \"bad.text\": cannot convert \"abc\" to int");
    CHECK_THROWS(GET_PARAM(bad.half, 1), HP_TYPE_MISMATCH, "\"bad.half\": cannot convert 3.5 to int");
    CHECK_THROWS(GET_PARAM(bad.text, 1.0), HP_TYPE_MISMATCH, "bad.text");
    CHECK_THROWS(GET_PARAM(bad.text, false), HP_TYPE_MISMATCH, "bad.text");
    CHECK_THROWS(GET_PARAM(bad.null, 1), HP_TYPE_MISMATCH, "bad.null");  // null is a value, not "missing"
    CHECK_THROWS(GET_PARAM(bad.null, "x"), HP_TYPE_MISMATCH, "bad.null");
    // The C++ type is narrower than the engine's 64-bit integers: refused, not truncated.
    CHECK_THROWS(GET_PARAM(bad.big, 1), HP_TYPE_MISMATCH, "parameter \"bad.big\": cannot convert 1099511627776");
    CHECK_THROWS(GET_PARAM(bad.neg, 1u), HP_TYPE_MISMATCH, "bad.neg");
    CHECK_THROWS(GET_PARAM(bad.big, short{1}), HP_TYPE_MISMATCH, "16-bit signed");
    CHECK(GET_PARAM(bad.neg, 1) == -1);
    {
        auto huge = WITH_PARAMS(bad.huge, 1e300);
        CHECK_THROWS(GET_PARAM(bad.huge, 1.0f), HP_TYPE_MISMATCH, "cannot convert 1.0000000000000001e+300 to a 32-bit float");
        CHECK(GET_PARAM(bad.huge, 1.0) == 1e300);
    }

    try {
        (void)GET_PARAM(bad.text, 7);
        CHECK(!"GET_PARAM returned instead of throwing");
    } catch (const hp::error& e) {
        CHECK(e.status() == HP_TYPE_MISMATCH);
        CHECK(std::string(e.status_name()) == "HP_TYPE_MISMATCH");
        CHECK(std::string(e.what()).find("bad.text") != std::string::npos);
        CHECK(hp_scope_depth() == 1);  // an exception inside a guard leaves the scopes intact
    }
}

void test_typed_get_and_set() {
    hp::scope_guard guard;
    hp::set("t.int", 5);
    hp::set("t.float", 0.25);
    hp::set("t.bool", false);
    hp::set("t.text", std::string("hello"));
    hp::set("t.view", std::string_view("view"));
    hp::set("t.cstr", "cstr");
    hp::set("t.null", nullptr);
    hp::set("t.u64", std::uint64_t{1} << 62);

    CHECK(hp::get<int>("t.int") == 5);
    CHECK(hp::get<long long>("t.int") == 5);
    CHECK(hp::get<double>("t.int") == 5.0);
    CHECK(hp::get<std::string>("t.int") == "5");
    CHECK(hp::get<double>("t.float") == 0.25);
    CHECK(hp::get<bool>("t.bool") == false);
    CHECK(hp::get<std::string>("t.text") == "hello");
    CHECK(hp::get<std::string>("t.view") == "view");
    CHECK(hp::get<std::string>("t.cstr") == "cstr");
    CHECK(hp::get<std::uint64_t>("t.u64") == (std::uint64_t{1} << 62));
    CHECK(GET_PARAM(t.int, 0) == 5);  // macros and functions read the same state

    CHECK(hp::get("t.missing", 7) == 7);
    CHECK(hp::get("t.missing", "dflt") == "dflt");
    CHECK(hp::get("t.int", 7) == 5);
    CHECK(hp::get<std::string>("t.missing", "dflt") == "dflt");
    CHECK(hp::get("t.bool", true) == false);  // false is a value, not "missing"

    CHECK_THROWS(hp::get<int>("t.missing"), HP_NOT_FOUND, "t.missing");
    CHECK_THROWS(hp::get<int>("t.text"), HP_TYPE_MISMATCH, "parameter \"t.text\": cannot convert \"hello\" to int");
    CHECK_THROWS(hp::get("t.text", 1), HP_TYPE_MISMATCH, "t.text");
    CHECK_THROWS(hp::get<int>("t.null"), HP_TYPE_MISMATCH, "t.null");
    CHECK_THROWS(hp::get<int>("a..b"), HP_INVALID_KEY, "empty segment");
    CHECK_THROWS(hp::get<int>(std::string_view()), HP_INVALID_KEY, "key is empty");
    CHECK_THROWS(hp::set("a b", 1), HP_INVALID_KEY, "invalid key \"a b\"");
    CHECK_THROWS(hp::set("t.huge", ~std::uint64_t{0}), HP_INVALID_ARGUMENT, "t.huge");
    CHECK_THROWS(hp::set("t.nullstr", static_cast<const char*>(nullptr)), HP_NULL_POINTER, "value is NULL");
    CHECK_THROWS(hp::get<std::int8_t>("t.u64"), HP_TYPE_MISMATCH, "t.u64");
    CHECK(!hp::get("t.huge", false));  // the refused writes left nothing behind
    CHECK(hp::get<int>("t.int") == 5);
}

void test_scope_guards() {
    const std::size_t depth = hp_scope_depth();
    {
        hp::scope_guard outer;
        outer.set("g.x", 1).set("g.name", "outer");
        CHECK(outer.active() && outer.handle() != nullptr);
        CHECK(GET_PARAM(g.x, 0) == 1);
        {
            hp::scope_guard inner;
            inner.set("g.x", 2);
            CHECK(GET_PARAM(g.x, 0) == 2);
            CHECK(outer.get<int>("g.x") == 1);  // each guard reads from its own scope
            CHECK(inner.get("g.name", "") == "outer");
            outer.set("g.y", 3);  // writes to the guard's scope, even when it is not innermost
            CHECK(GET_PARAM(g.y, 0) == 3);
            CHECK(hp_scope_depth() == depth + 2);

            // Exiting out of order is refused and changes nothing; in order it works.
            CHECK_THROWS(outer.exit(), HP_SCOPE_ORDER, "out of order");
            CHECK(outer.active());
            CHECK(GET_PARAM(g.x, 0) == 2);
            inner.exit();
            CHECK(!inner.active());
            CHECK(GET_PARAM(g.x, 0) == 1);
            CHECK_THROWS(inner.set("g.z", 1), HP_INVALID_ARGUMENT, "scope_guard is empty");
        }
        CHECK(GET_PARAM(g.name, "") == "outer");
    }
    CHECK(hp_scope_depth() == depth);
    CHECK(GET_PARAM(g.x, 0) == 0);

    // Moves hand the scope over; only the last owner exits it.
    {
        hp::scope_guard first = WITH_PARAMS(m.v, 1);
        hp::scope_guard second(std::move(first));
        CHECK(!first.active() && second.active());  // NOLINT(bugprone-use-after-move)
        CHECK(hp_scope_depth() == depth + 1);
        hp::scope_guard third;
        third.exit();
        third = std::move(second);
        CHECK(third.active() && !second.active());  // NOLINT(bugprone-use-after-move)
        CHECK(GET_PARAM(m.v, 0) == 1);
        std::vector<hp::scope_guard> held;
        held.push_back(std::move(third));
        CHECK(hp_scope_depth() == depth + 1);
    }
    CHECK(hp_scope_depth() == depth);
    CHECK(GET_PARAM(m.v, 0) == 0);

    // A guard built by WITH_PARAMS that fails half-way leaves no scope behind.
    CHECK_THROWS(WITH_PARAMS(w.ok, 1, w.bad, static_cast<const char*>(nullptr)), HP_NULL_POINTER, "value is NULL");
    CHECK(hp_scope_depth() == depth);
    CHECK(GET_PARAM(w.ok, 0) == 0);

    // An empty scope sees neither the outer scopes nor the baseline.
    {
        auto outer = WITH_PARAMS(e.outer, 1);
        auto empty = hp::scope_guard::empty();
        CHECK(GET_PARAM(e.outer, 0) == 0);
        empty.set("e.inner", 2);
        CHECK(GET_PARAM(e.inner, 0) == 2);
    }
    CHECK(hp_scope_depth() == depth);
}

void test_non_ascii_keys() {
    auto guard = WITH_PARAMS(模型.学习率, 0.5, über.größe, 3);
    CHECK(GET_PARAM(模型.学习率, 0.1) == 0.5);
    CHECK(GET_PARAM(über.größe, 0) == 3);
    CHECK(hp::get<double>("模型.学习率") == 0.5);
    std::uint64_t engine = 0;
    CHECK(hp_hash("模型.学习率", std::strlen("模型.学习率"), &engine) == HP_OK);
    CHECK(engine == hp::hash("模型.学习率"));
}

// One state: a value written through the C ABI is what the C++ macros read.
void test_one_state_with_c() {
    hp_scope* scope = hp_scope_push();
    CHECK(hp_set_str(nullptr, "c.name", 6, "from C", 6) == HP_OK);
    CHECK(GET_PARAM(c.name, "") == "from C");
    CHECK(hp_scope_exit(scope) == HP_OK);
    hp_scope_free(scope);
}

struct vector_count {
    int checked = 0;
    int wrong = 0;
};

void check_vector(const char* key, std::size_t len, std::uint64_t want, void* context) {
    auto* count = static_cast<vector_count*>(context);
    ++count->checked;
    if (hp::hash(std::string_view(key, len)) != want) {
        ++count->wrong;
        std::fprintf(stderr, "  hp::hash(\"%s\") != %llu\n", key, static_cast<unsigned long long>(want));
    }
}

void test_hash_vectors(const char* path) {
    vector_count count;
    const int n = for_each_vector(path, check_vector, &count);
    CHECK(n >= 20 && n == count.checked);
    CHECK(count.wrong == 0);
    constexpr std::uint64_t at_compile_time = hp::hash("model.layers._0.size");
    static_assert(at_compile_time == 11695776023850592282ULL);
    std::printf("  %d hash vectors checked\n", n);
}

// Two threads enter their own scopes over and over; neither may ever see the other's value.
void test_thread_isolation() {
    constexpr int iterations = 20000;
    std::atomic<int> ready{0};
    int mismatches[2] = {0, 0};
    int leaked[2] = {0, 0};
    auto worker = [&](int id) {
        ready.fetch_add(1);
        while (ready.load() < 2) {
        }
        for (int i = 0; i < iterations; ++i) {
            auto guard = WITH_PARAMS(worker.id, id, worker.step, i);
            if (GET_PARAM(worker.id, -1) != id || GET_PARAM(worker.step, -1) != i) ++mismatches[id];
            if (hp::get<int>("worker.id") != id) ++mismatches[id];
        }
        if (GET_PARAM(worker.id, -1) != -1 || hp_scope_depth() != 0) ++leaked[id];
    };
    std::thread a(worker, 0);
    std::thread b(worker, 1);
    a.join();
    b.join();
    CHECK(mismatches[0] == 0 && mismatches[1] == 0);
    CHECK(leaked[0] == 0 && leaked[1] == 0);
    CHECK(GET_PARAM(worker.id, -1) == -1);
}

// A new thread starts from the frozen baseline, not from the scope its parent is in.
void test_new_thread_sees_baseline() {
    {
        auto published = WITH_PARAMS(base.x, 1, base.name, "frozen");
        hp::frozen();
        auto live = WITH_PARAMS(base.x, 2, live.y, 3);
        int x = -1, y = -1;
        std::string name;
        std::size_t depth = 99;
        std::thread([&] {
            x = GET_PARAM(base.x, 0);
            y = GET_PARAM(live.y, 0);
            name = GET_PARAM(base.name, "");
            depth = hp_scope_depth();
        }).join();
        CHECK(x == 1);
        CHECK(y == 0);
        CHECK(name == "frozen");
        CHECK(depth == 0);
        CHECK(GET_PARAM(base.x, 0) == 2);  // the parent still sees its live scope
    }
    CHECK(GET_PARAM(base.x, 0) == 1);  // and, outside it, the baseline
    {
        auto empty = hp::scope_guard::empty();
        hp::frozen();  // an empty view: the baseline is cleared for the tests that follow
    }
    CHECK(GET_PARAM(base.x, 0) == 0);
}

// ---------------------------------------------------------------------------------------------
// The bad-input matrix of docs/errors.md, C++ rows (CPP-xx) not covered above. Each row ends by
// checking the sentinel set by test_matrix_rows(): no row may corrupt later reads.

std::size_t matrix_depth = 0;

bool sentinel_ok() {
    return hp_scope_depth() == matrix_depth && GET_PARAM(matrix.sentinel, 0) == 7 &&
           hp::get<int>("matrix.sentinel") == 7 && GET_PARAM(matrix.text, "") == "kept";
}

// CPP-02: bytes that are not UTF-8, as a key or as a value, throw HP_INVALID_UTF8; a read with a
// default throws too instead of returning the default.
void row_cpp02_invalid_utf8() {
    const std::string bad("\xff\xfe", 2);
    CHECK_THROWS(hp::get<int>(bad), HP_INVALID_UTF8, "key is not valid UTF-8");
    CHECK_THROWS(hp::get(bad, 5), HP_INVALID_UTF8, "key is not valid UTF-8");
    CHECK_THROWS(hp::set(bad, 1), HP_INVALID_UTF8, "key is not valid UTF-8");
    CHECK_THROWS(hp::set("utf8.value", std::string("a\xc3", 2)), HP_INVALID_UTF8, "value is not valid UTF-8");
    {
        hp::scope_guard guard;
        CHECK_THROWS(guard.set(bad, 1), HP_INVALID_UTF8, "key is not valid UTF-8");
        CHECK_THROWS(guard.get<int>(bad), HP_INVALID_UTF8, "key is not valid UTF-8");
        guard.set("utf8.after", 1);  // the guard is still usable
        CHECK(GET_PARAM(utf8.after, 0) == 1);
    }
    CHECK(!hp::get("utf8.value", false));  // nothing was stored
    CHECK(sentinel_ok());
}

// CPP-04: a 1 MB key throws HP_INVALID_KEY with a short message (GET_PARAM refuses keys over
// 1024 bytes while compiling: tests/native/test_native.py, too_long_key).
void row_cpp04_megabyte_key() {
    const std::string key(std::size_t{1} << 20, 'k');
    try {
        (void)hp::get(key, 5);
        CHECK(!"a 1 MB key was read");
    } catch (const hp::error& e) {
        CHECK(e.status() == HP_INVALID_KEY);
        CHECK(std::string(e.what()).find("1048576 bytes long, the limit is 1024") != std::string::npos);
        CHECK(std::string(e.what()).size() < 200);
    }
    CHECK_THROWS(hp::set(key, 1), HP_INVALID_KEY, "1048576 bytes long");
    {
        hp::scope_guard guard;
        CHECK_THROWS(guard.set(key, 1), HP_INVALID_KEY, "1048576 bytes long");
        guard.set("long.value", key);  // a 1 MB value is fine
        CHECK(hp::get<std::string>("long.value") == key);
    }
    CHECK(sentinel_ok());
}

// CPP-06: NaN and infinities are kept; read as float or text they come back, as int or bool
// they throw HP_TYPE_MISMATCH.
void row_cpp06_nan_and_infinities() {
    constexpr double nan = std::numeric_limits<double>::quiet_NaN();
    constexpr double inf = std::numeric_limits<double>::infinity();
    {
        auto guard = WITH_PARAMS(m.nan, nan, m.inf, inf, m.ninf, -inf);
        CHECK(std::isnan(GET_PARAM(m.nan, 0.0)));
        CHECK(std::isnan(GET_PARAM(m.nan, 0.0)));  // again, from the read cache
        CHECK(GET_PARAM(m.inf, 0.0) == inf);
        CHECK(GET_PARAM(m.ninf, 0.0f) == -std::numeric_limits<float>::infinity());  // not "out of range"
        CHECK(GET_PARAM(m.nan, "") == "nan");
        CHECK(GET_PARAM(m.ninf, "") == "-inf");
        CHECK(std::isnan(hp::get<double>("m.nan")));
        CHECK_THROWS(GET_PARAM(m.nan, 1), HP_TYPE_MISMATCH, "parameter \"m.nan\": cannot convert NaN to int");
        CHECK_THROWS(GET_PARAM(m.inf, std::int64_t{1}), HP_TYPE_MISMATCH, "cannot convert inf to int");
        CHECK_THROWS(GET_PARAM(m.nan, false), HP_TYPE_MISMATCH, "to bool");
        CHECK_THROWS(hp::get<int>("m.ninf"), HP_TYPE_MISMATCH, "cannot convert -inf to int");
    }
    CHECK(GET_PARAM(m.nan, 1.5) == 1.5);
    CHECK(sentinel_ok());
}

// CPP-07: integers beyond int64: unsigned values over INT64_MAX are refused when written, and
// text beyond the range is refused when read, whatever the C++ type.
void row_cpp07_beyond_int64() {
    {
        auto guard = WITH_PARAMS(big.text, "9223372036854775808", big.neg, "-9223372036854775809",
                                 big.max, std::numeric_limits<std::int64_t>::max());
        CHECK_THROWS(GET_PARAM(big.text, std::int64_t{0}), HP_TYPE_MISMATCH,
                     "cannot convert \"9223372036854775808\" to int");
        CHECK_THROWS(GET_PARAM(big.text, std::uint64_t{0}), HP_TYPE_MISMATCH, "big.text");
        CHECK_THROWS(GET_PARAM(big.neg, std::int64_t{0}), HP_TYPE_MISMATCH, "big.neg");
        CHECK(GET_PARAM(big.max, std::uint64_t{0}) == 9223372036854775807ULL);
        CHECK_THROWS(hp::set("big.u64", std::uint64_t{1} << 63), HP_INVALID_ARGUMENT,
                     "9223372036854775808 does not fit the engine's 64-bit signed integers");
        CHECK_THROWS(GET_PARAM(big.max, 0), HP_TYPE_MISMATCH, "32-bit signed integer");
    }
    CHECK(sentinel_ok());
}

// CPP-10: a host object (a Python value, here one set through the C ABI) throws
// HP_TYPE_MISMATCH for every C++ read; it never reads as the default.
void row_cpp10_host_object() {
    int object = 0;
    {
        hp::scope_guard guard;
        CHECK(hp_set_host(guard.handle(), "host.obj", 8, &object, nullptr) == HP_OK);
        CHECK_THROWS(GET_PARAM(host.obj, 0), HP_TYPE_MISMATCH, "parameter \"host.obj\": cannot convert <host object");
        CHECK_THROWS(GET_PARAM(host.obj, 0.0), HP_TYPE_MISMATCH, "to float");
        CHECK_THROWS(GET_PARAM(host.obj, ""), HP_TYPE_MISMATCH, "to str");
        CHECK_THROWS(GET_PARAM(host.obj, false), HP_TYPE_MISMATCH, "to bool");
        CHECK_THROWS(hp::get<int>("host.obj"), HP_TYPE_MISMATCH, "host.obj");
    }
    CHECK(sentinel_ok());
}

// CPP-11: a guard destroyed out of order (guards on the heap, deleted in the wrong order) is
// reported on stderr and changes nothing: its scope stays entered until it is the innermost.
void row_cpp11_destroyed_out_of_order() {
    auto outer = std::make_unique<hp::scope_guard>();
    outer->set("order.v", 1);
    auto inner = std::make_unique<hp::scope_guard>();
    inner->set("order.v", 2);
    std::fprintf(stderr, "  (CPP-11: the next line is the expected out-of-order report)\n");
    outer.reset();  // refused: inner is the innermost scope
    CHECK(hp_scope_depth() == matrix_depth + 2);
    CHECK(GET_PARAM(order.v, 0) == 2);
    inner.reset();  // in order
    CHECK(hp_scope_depth() == matrix_depth + 1);
    CHECK(GET_PARAM(order.v, 0) == 1);  // the outer scope is still entered, guard or not
    // Its values stay until it is left; the C API can leave it, it is the current scope now.
    hp_scope* stuck = hp_scope_current();
    CHECK(hp_scope_exit(stuck) == HP_OK);
    hp_scope_free(stuck);
    CHECK(GET_PARAM(order.v, 0) == 0);
    CHECK(sentinel_ok());
}

// CPP-12: a guard exits once: exit() twice throws HP_INVALID_ARGUMENT, and its destructor then
// does nothing. A scope exited behind the guard's back makes the destructor report and skip.
void row_cpp12_double_exit() {
    {
        hp::scope_guard guard;
        guard.set("twice.v", 1);
        guard.exit();
        CHECK_THROWS(guard.exit(), HP_INVALID_ARGUMENT, "scope_guard is empty");
        CHECK(!guard.active());
        CHECK(GET_PARAM(twice.v, 0) == 0);
    }
    {
        hp::scope_guard guard;
        CHECK(hp_scope_exit(guard.handle()) == HP_OK);  // exited through the C API
        CHECK(hp_scope_exit(guard.handle()) == HP_SCOPE_ORDER);
        std::fprintf(stderr, "  (CPP-12: the next line is the expected report of a guard exited twice)\n");
    }  // the destructor's exit is refused and reported; the outer scope is untouched
    CHECK(sentinel_ok());
}

// CPP-13: exit() on another thread than the one that entered throws HP_SCOPE_ORDER; the guard
// stays active and its own thread exits it normally.
void row_cpp13_exit_on_another_thread() {
    hp::scope_guard guard;
    guard.set("thread.v", 1);
    std::int32_t status = HP_OK;
    std::thread([&] {
        try {
            guard.exit();
        } catch (const hp::error& e) {
            status = e.status();
        }
    }).join();
    CHECK(status == HP_SCOPE_ORDER);
    CHECK(guard.active());
    CHECK(GET_PARAM(thread.v, 0) == 1);
    guard.exit();
    CHECK(GET_PARAM(thread.v, 0) == 0);
    CHECK(sentinel_ok());
}

// CPP-14: a guard that ended (exited or moved from) throws HP_INVALID_ARGUMENT on use; it never
// writes to whatever scope is current instead.
void row_cpp14_use_after_end() {
    hp::scope_guard ended;
    ended.exit();
    CHECK_THROWS(ended.set("after.v", 1), HP_INVALID_ARGUMENT, "scope_guard is empty");
    CHECK_THROWS(ended.get<int>("matrix.sentinel"), HP_INVALID_ARGUMENT, "scope_guard is empty");
    CHECK_THROWS(ended.get("matrix.sentinel", 0), HP_INVALID_ARGUMENT, "scope_guard is empty");
    hp::scope_guard source;
    hp::scope_guard taken(std::move(source));
    CHECK_THROWS(source.set("after.v", 1), HP_INVALID_ARGUMENT, "moved from");  // NOLINT(bugprone-use-after-move)
    CHECK(GET_PARAM(after.v, 0) == 0);
    taken.exit();
    CHECK(sentinel_ok());
}

// CPP-15: 100,000 nested guards. A container of guards must be emptied back to front:
// std::vector's destructor order is unspecified (libstdc++ destroys front to back).
void row_cpp15_hundred_thousand_nested() {
    constexpr int depth = 100000;
    std::vector<hp::scope_guard> guards;
    guards.reserve(depth);
    for (int i = 0; i < depth; ++i) {
        guards.emplace_back();
        if (i % 1000 == 0) guards.back().set("deep.level", i);
    }
    CHECK(hp_scope_depth() == matrix_depth + depth);
    CHECK(GET_PARAM(deep.level, -1) == 99000);
    CHECK(GET_PARAM(matrix.sentinel, 0) == 7);  // through 100,000 parents
    CHECK_THROWS(guards.front().exit(), HP_SCOPE_ORDER, "out of order");
    while (!guards.empty()) guards.pop_back();
    CHECK(GET_PARAM(deep.level, -1) == -1);
    CHECK(sentinel_ok());
}

// CPP-16: a million keys in one guard.
void row_cpp16_a_million_keys() {
    constexpr long count = 1000000;
    long wrong = 0;
    {
        hp::scope_guard guard;
        for (long i = 0; i < count; ++i) guard.set("many.k" + std::to_string(i), i);
        for (long i = 0; i < count; i += 7) {
            if (hp::get<long>("many.k" + std::to_string(i)) != i) ++wrong;
        }
        CHECK(GET_PARAM(matrix.sentinel, 0) == 7);
    }
    CHECK(wrong == 0);
    CHECK(hp::get("many.k0", -1L) == -1);
    CHECK(sentinel_ok());
}

void test_matrix_rows() {
    auto guard = WITH_PARAMS(matrix.sentinel, 7, matrix.text, "kept");
    matrix_depth = hp_scope_depth();
    CHECK(sentinel_ok());
    row_cpp02_invalid_utf8();
    row_cpp04_megabyte_key();
    row_cpp06_nan_and_infinities();
    row_cpp07_beyond_int64();
    row_cpp10_host_object();
    row_cpp11_destroyed_out_of_order();
    row_cpp12_double_exit();
    row_cpp13_exit_on_another_thread();
    row_cpp14_use_after_end();
    row_cpp15_hundred_thousand_nested();
    row_cpp16_a_million_keys();
    CHECK(sentinel_ok());
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s HASH_VECTORS_FILE\n", argv[0]);
        return 2;
    }
    try {
        hp::check_abi();
        test_done_means();
        test_seed_example();
        test_many_pairs();
        test_conversion_errors();
        test_typed_get_and_set();
        test_scope_guards();
        test_non_ascii_keys();
        test_one_state_with_c();
        test_hash_vectors(argv[1]);
        test_thread_isolation();
        test_new_thread_sees_baseline();
        test_matrix_rows();
    } catch (const std::exception& e) {
        CHECK(!"unexpected exception");
        std::fprintf(stderr, "  %s\n", e.what());
    }
    CHECK(hp_scope_depth() == 0);
    return check_finish("test_cpp");
}
