// The C++ layer (include/hyperparameter.hpp): macros, typed reads and writes, RAII scopes,
// compile-time hashing, thread isolation and the frozen baseline.
//
// Usage: test_cpp HASH_VECTORS_FILE   (written by tests/test_native.py, see check.h)

#include <atomic>
#include <cstdint>
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
    } catch (const std::exception& e) {
        CHECK(!"unexpected exception");
        std::fprintf(stderr, "  %s\n", e.what());
    }
    CHECK(hp_scope_depth() == 0);
    return check_finish("test_cpp");
}
