/*
 * hyperparameter.hpp: the C++17 layer over the engine's C ABI (header only).
 *
 *     #include <hyperparameter.hpp>
 *
 *     int layers() { return GET_PARAM(model.layers, 4); }   // key hashed at compile time
 *
 *     {
 *         auto guard = WITH_PARAMS(model.layers, 8, train.lr, 0.01);
 *         assert(layers() == 8);
 *     }                                                      // values gone again
 *     assert(layers() == 4);
 *
 * Everything here is a thin wrapper: values live in libhyperparameter, so a value set from
 * Python, C or Rust on this thread is the value C++ reads, with the same key rules, the same
 * XXH64 (seed 42) hashes and the same conversion rules. Errors become hp::error exceptions.
 *
 * Link with: -I include -L target/release -lhyperparameter
 */

#ifndef HYPERPARAMETER_HPP
#define HYPERPARAMETER_HPP

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "hyperparameter.h"

#if defined(__GNUC__) || defined(__clang__)
#define HP_DETAIL_COLD __attribute__((cold, noinline))
#define HP_DETAIL_HOT __attribute__((always_inline)) inline
#else
#define HP_DETAIL_COLD
#define HP_DETAIL_HOT inline
#endif

/// The C++ API of hyperparameter.
namespace hp {

// ---------------------------------------------------------------------------------------------
// Hashing

/// The seed of every key hash; the engine, Rust, Python and this header all use it.
inline constexpr std::uint64_t hash_seed = 42;

namespace detail {

inline constexpr std::uint64_t prime1 = 11400714785074694791ULL;
inline constexpr std::uint64_t prime2 = 14029467366897019727ULL;
inline constexpr std::uint64_t prime3 = 1609587929392839161ULL;
inline constexpr std::uint64_t prime4 = 9650029242287828579ULL;
inline constexpr std::uint64_t prime5 = 2870177450012600261ULL;

constexpr std::uint64_t rotl(std::uint64_t x, int r) noexcept {
    return (x << r) | (x >> (64 - r));
}

// Byte by byte so it is valid in a constant expression (no reinterpret_cast, no memcpy) and
// independent of the host's endianness: XXH64 reads little-endian words.
constexpr std::uint64_t read_le(std::string_view s, std::size_t at, int width) noexcept {
    std::uint64_t v = 0;
    for (int i = width - 1; i >= 0; --i) {
        v = (v << 8) | static_cast<unsigned char>(s[at + static_cast<std::size_t>(i)]);
    }
    return v;
}

constexpr std::uint64_t xxh_round(std::uint64_t acc, std::uint64_t input) noexcept {
    acc += input * prime2;
    acc = rotl(acc, 31);
    return acc * prime1;
}

constexpr std::uint64_t xxh_merge(std::uint64_t acc, std::uint64_t lane) noexcept {
    acc ^= xxh_round(0, lane);
    return acc * prime1 + prime4;
}

}  // namespace detail

/// XXH64 of the key's UTF-8 bytes with seed 42: the hash the engine stores keys under.
/// Usable in constant expressions: `static_assert(hp::hash("train.lr") == 1730067025249070946u);`
constexpr std::uint64_t hash(std::string_view key) noexcept {
    using namespace detail;
    const std::size_t len = key.size();
    std::size_t at = 0;
    std::uint64_t h = 0;
    if (len >= 32) {
        std::uint64_t v1 = hash_seed + prime1 + prime2;
        std::uint64_t v2 = hash_seed + prime2;
        std::uint64_t v3 = hash_seed;
        std::uint64_t v4 = hash_seed - prime1;
        for (; at + 32 <= len; at += 32) {
            v1 = xxh_round(v1, read_le(key, at, 8));
            v2 = xxh_round(v2, read_le(key, at + 8, 8));
            v3 = xxh_round(v3, read_le(key, at + 16, 8));
            v4 = xxh_round(v4, read_le(key, at + 24, 8));
        }
        h = rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18);
        h = xxh_merge(h, v1);
        h = xxh_merge(h, v2);
        h = xxh_merge(h, v3);
        h = xxh_merge(h, v4);
    } else {
        h = hash_seed + prime5;
    }
    h += static_cast<std::uint64_t>(len);
    for (; at + 8 <= len; at += 8) {
        h ^= xxh_round(0, read_le(key, at, 8));
        h = rotl(h, 27) * prime1 + prime4;
    }
    if (at + 4 <= len) {
        h ^= read_le(key, at, 4) * prime1;
        h = rotl(h, 23) * prime2 + prime3;
        at += 4;
    }
    for (; at < len; ++at) {
        h ^= static_cast<unsigned char>(key[at]) * prime5;
        h = rotl(h, 11) * prime1;
    }
    h ^= h >> 33;
    h *= prime2;
    h ^= h >> 29;
    h *= prime3;
    h ^= h >> 32;
    return h;
}

// ---------------------------------------------------------------------------------------------
// Errors

/// A failed call into the engine: the status code (`HP_TYPE_MISMATCH`, `HP_INVALID_KEY`, ...)
/// and the engine's message, which names the key, the value and the wanted type.
class error : public std::runtime_error {
public:
    /// An error with `status` (an `HP_*` code) and its message.
    error(std::int32_t status, const std::string& message)
        : std::runtime_error(message), status_(status) {}

    /// The `HP_*` status code.
    std::int32_t status() const noexcept { return status_; }

    /// The status code's constant name, e.g. `"HP_TYPE_MISMATCH"`.
    const char* status_name() const noexcept { return hp_status_name(status_); }

private:
    std::int32_t status_;
};

namespace detail {

/// Throw the engine's latest error of this thread. Cold: kept out of the read fast path.
[[noreturn]] HP_DETAIL_COLD inline void fail(std::int32_t status) {
    throw error(status, hp_last_error());
}

inline void check(std::int32_t status) {
    if (status != HP_OK) fail(status);
}

// A default-constructed string_view has a NULL data(), which the engine would report as a
// NULL pointer rather than as the empty (invalid) key it is.
inline const char* text_ptr(std::string_view text) noexcept {
    return text.data() != nullptr ? text.data() : "";
}

inline std::string quoted(std::string_view key) {
    std::string out;
    out.reserve(key.size() + 2);
    out += '"';
    out += key;
    out += '"';
    return out;
}

// ---------------------------------------------------------------------------------------------
// Compile-time key checks for the macros

/// What the macros know about a key at compile time.
enum class key_kind {
    invalid,    ///< breaks the key rules: a compile error
    ascii,      ///< fully checked at compile time
    non_ascii,  ///< valid UTF-8; whether its characters are letters is asked of the engine once
};

/// The engine's key rules, applied at compile time to ASCII. Which non-ASCII characters are
/// Unicode letters or digits is the engine's call, so such keys only have to be valid UTF-8
/// here and are checked by the engine once, at their first read.
constexpr key_kind classify_key(std::string_view key) noexcept {
    if (key.empty() || key.size() > 1024) return key_kind::invalid;
    key_kind kind = key_kind::ascii;
    bool segment_empty = true;
    for (std::size_t i = 0; i < key.size(); ++i) {
        const auto c = static_cast<unsigned char>(key[i]);
        if (c == '.') {
            if (segment_empty) return key_kind::invalid;  // "a..b", ".a"
            segment_empty = true;
            continue;
        }
        segment_empty = false;
        if (c >= 0x80) {
            std::size_t extra = 0;  // continuation bytes after this lead byte
            if (c >= 0xC2 && c <= 0xDF) extra = 1;
            else if (c >= 0xE0 && c <= 0xEF) extra = 2;
            else if (c >= 0xF0 && c <= 0xF4) extra = 3;
            if (extra == 0 || i + extra >= key.size()) return key_kind::invalid;
            for (std::size_t k = 1; k <= extra; ++k) {
                if ((static_cast<unsigned char>(key[i + k]) & 0xC0) != 0x80) return key_kind::invalid;
            }
            i += extra;
            kind = key_kind::non_ascii;
            continue;
        }
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                        c == '_' || c == '-';
        if (!ok) return key_kind::invalid;
    }
    return segment_empty ? key_kind::invalid : kind;  // a trailing '.' leaves an empty segment
}

#define HP_DETAIL_BAD_KEY_MESSAGE                                                                   \
    "hyperparameter: invalid key in GET_PARAM/WITH_PARAMS: a key is segments of letters, digits, " \
    "'_' or '-', joined by '.', at most 1024 bytes"

/// Returns its argument: WITH_PARAMS passes each key through it so that a bad key is rejected
/// while compiling, as GET_PARAM does.
template <key_kind Kind>
constexpr std::string_view checked_key(std::string_view key) noexcept {
    static_assert(Kind != key_kind::invalid, HP_DETAIL_BAD_KEY_MESSAGE);
    return key;
}

// ---------------------------------------------------------------------------------------------
// How each C++ type is read: the engine call that converts to it and the final narrowing.

template <class T>
inline constexpr bool always_false = false;

// Character types hold text, not numbers: reading 'x' as a parameter is a mistake worth a
// compile error. signed/unsigned char stay integers (they are std::int8_t / std::uint8_t).
template <class T>
inline constexpr bool is_char_v =
    std::is_same_v<T, char> || std::is_same_v<T, wchar_t> || std::is_same_v<T, char16_t> ||
    std::is_same_v<T, char32_t>
#if defined(__cpp_char8_t)
    || std::is_same_v<T, char8_t>
#endif
    ;

template <class T, class = void>
struct param {
    static_assert(always_false<T>,
                  "hyperparameter: parameters are read as bool, an integer type (not a character "
                  "type), a floating-point type or std::string");
};

template <>
struct param<bool> {
    using type = bool;
    using raw = bool;
    static std::int32_t by_hash(std::uint64_t hash, raw* out) { return hp_get_bool_by_hash(hash, out); }
    static std::int32_t by_key(const hp_scope* scope, std::string_view key, raw* out) {
        return hp_get_bool(scope, text_ptr(key), key.size(), out);
    }
    static type finish(raw value, std::string_view) noexcept { return value; }
};

template <class T>
struct param<T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool> && !is_char_v<T>>> {
    using type = T;
    using raw = std::int64_t;
    static std::int32_t by_hash(std::uint64_t hash, raw* out) { return hp_get_i64_by_hash(hash, out); }
    static std::int32_t by_key(const hp_scope* scope, std::string_view key, raw* out) {
        return hp_get_i64(scope, text_ptr(key), key.size(), out);
    }
    static type finish(raw value, std::string_view key) {
        if (!fits(value)) out_of_range(value, key);
        return static_cast<T>(value);
    }

private:
    static constexpr bool fits(raw value) noexcept {
        if constexpr (std::is_signed_v<T>) {
            return value >= static_cast<raw>(std::numeric_limits<T>::min()) &&
                   value <= static_cast<raw>(std::numeric_limits<T>::max());
        } else {
            return value >= 0 &&
                   static_cast<std::uint64_t>(value) <= static_cast<std::uint64_t>(std::numeric_limits<T>::max());
        }
    }
    // Same wording as the engine's conversion errors: nothing is silently truncated.
    [[noreturn]] HP_DETAIL_COLD static void out_of_range(raw value, std::string_view key) {
        throw error(HP_TYPE_MISMATCH, "parameter " + quoted(key) + ": cannot convert " + std::to_string(value) +
                                          " to a " + std::to_string(sizeof(T) * 8) +
                                          (std::is_signed_v<T> ? "-bit signed" : "-bit unsigned") + " integer");
    }
};

template <class T>
struct param<T, std::enable_if_t<std::is_floating_point_v<T>>> {
    using type = T;
    using raw = double;
    static std::int32_t by_hash(std::uint64_t hash, raw* out) { return hp_get_f64_by_hash(hash, out); }
    static std::int32_t by_key(const hp_scope* scope, std::string_view key, raw* out) {
        return hp_get_f64(scope, text_ptr(key), key.size(), out);
    }
    static type finish(raw value, std::string_view key) {
        if constexpr (sizeof(T) < sizeof(double)) {
            // A finite double beyond float's range would silently become infinity.
            if (std::isfinite(value) && !std::isfinite(static_cast<T>(value))) out_of_range(value, key);
        }
        return static_cast<T>(value);
    }

private:
    [[noreturn]] HP_DETAIL_COLD static void out_of_range(raw value, std::string_view key) {
        char text[32];
        std::snprintf(text, sizeof text, "%.17g", value);
        throw error(HP_TYPE_MISMATCH, "parameter " + quoted(key) + ": cannot convert " + text + " to a " +
                                          std::to_string(sizeof(T) * 8) + "-bit float");
    }
};

struct string_param {
    using type = std::string;
    using raw = hp_string;
    static std::int32_t by_hash(std::uint64_t hash, raw* out) { return hp_get_str_by_hash(hash, out); }
    static std::int32_t by_key(const hp_scope* scope, std::string_view key, raw* out) {
        return hp_get_str(scope, text_ptr(key), key.size(), out);
    }
    static type finish(raw value, std::string_view) {
        // Frees the engine's copy even if building the std::string throws.
        struct owner {
            raw text;
            ~owner() { hp_string_free(text); }
        } const holder{value};
        return value.ptr != nullptr ? std::string(value.ptr, value.len) : std::string();
    }
};

template <>
struct param<std::string> : string_param {};
template <>
struct param<std::string_view> : string_param {};
template <>
struct param<const char*> : string_param {};
template <>
struct param<char*> : string_param {};

/// What a read with a default of type `D` returns: `D` itself, or std::string for text.
template <class D>
using result_t = typename param<std::decay_t<D>>::type;

template <class T>
result_t<T> read(const hp_scope* scope, std::string_view key) {
    using P = param<std::decay_t<T>>;
    typename P::raw raw{};
    check(P::by_key(scope, key, &raw));
    return P::finish(raw, key);
}

template <class D>
result_t<D> read_or(const hp_scope* scope, std::string_view key, const D& default_value) {
    using P = param<std::decay_t<D>>;
    typename P::raw raw{};
    const std::int32_t status = P::by_key(scope, key, &raw);
    if (status == HP_OK) return P::finish(raw, key);
    if (status == HP_NOT_FOUND) return result_t<D>(default_value);
    fail(status);
}

template <class V>
std::int32_t write(const hp_scope* scope, std::string_view key, const V& value) {
    using T = std::decay_t<V>;
    const char* k = text_ptr(key);
    const std::size_t n = key.size();
    if constexpr (std::is_same_v<T, bool>) {
        return hp_set_bool(scope, k, n, value);
    } else if constexpr (std::is_same_v<T, std::nullptr_t>) {
        return hp_set_null(scope, k, n);
    } else if constexpr (std::is_integral_v<T> && !is_char_v<T>) {
        if constexpr (std::is_unsigned_v<T> && sizeof(T) >= sizeof(std::int64_t)) {
            if (value > static_cast<T>(std::numeric_limits<std::int64_t>::max())) {
                throw error(HP_INVALID_ARGUMENT, "parameter " + quoted(key) + ": " + std::to_string(value) +
                                                     " does not fit the engine's 64-bit signed integers");
            }
        }
        return hp_set_i64(scope, k, n, static_cast<std::int64_t>(value));
    } else if constexpr (std::is_floating_point_v<T>) {
        return hp_set_f64(scope, k, n, static_cast<double>(value));
    } else if constexpr (std::is_pointer_v<V> && std::is_convertible_v<V, const char*>) {
        // A NULL C string is passed on so the engine reports it as HP_NULL_POINTER.
        return hp_set_str(scope, k, n, value, value != nullptr ? std::strlen(value) : 0);
    } else if constexpr (std::is_convertible_v<const V&, std::string_view>) {
        const std::string_view text(value);
        return hp_set_str(scope, k, n, text_ptr(text), text.size());
    } else {
        static_assert(always_false<T>,
                      "hyperparameter: values are bool, integers, floating point, strings or nullptr");
        return HP_INVALID_ARGUMENT;
    }
}

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// Reads and writes by key text (validated by the engine)

/// Read `key` from the calling thread's current scope, converted to `T` (bool, an integer type,
/// a floating-point type or std::string). Throws hp::error: `HP_NOT_FOUND` when no scope sets
/// it, `HP_TYPE_MISMATCH` when the value cannot convert, `HP_INVALID_KEY` for a bad key.
template <class T>
detail::result_t<T> get(std::string_view key) {
    return detail::read<T>(nullptr, key);
}

/// Read `key` converted to the default's type (a string literal reads as std::string), or
/// `default_value` when no scope sets it. A value that cannot convert throws hp::error; it
/// never silently becomes the default.
template <class D>
detail::result_t<D> get(std::string_view key, const D& default_value) {
    return detail::read_or(nullptr, key, default_value);
}

/// Write `key` in the calling thread's innermost scope (the thread's root scope when none is
/// entered). `value` is bool, an integer, a floating-point number, text or nullptr (null).
/// Throws hp::error on an invalid key or value.
template <class V>
void set(std::string_view key, const V& value) {
    detail::check(detail::write(nullptr, key, value));
}

/// Publish what this thread sees now as the frozen baseline: every thread reads it for the keys
/// its own scopes do not set, and new threads start from it.
inline void frozen() {
    detail::check(hp_frozen());
}

/// Throws hp::error unless the loaded library speaks the ABI this header was written for, and
/// is the only copy of the engine in the process (`HP_OTHER_ENGINE` names both files: a copy
/// an extension bundled would keep scopes of its own). Call it once when a program or an
/// extension starts.
inline void check_abi() {
    if (hp_abi_version() != HP_ABI_VERSION) {
        throw error(HP_INVALID_ARGUMENT, "libhyperparameter has ABI version " + std::to_string(hp_abi_version()) +
                                             ", this header expects " + std::to_string(HP_ABI_VERSION));
    }
    detail::check(hp_engine_check());
}

// ---------------------------------------------------------------------------------------------
// Scopes

/// A scope entered for the guard's lifetime: construction enters a new child of the calling
/// thread's current scope, destruction exits it and every value written to it is gone.
///
/// Guards must end in reverse order of creation on the thread that created them (automatic
/// variables always do). Moving a guard moves the responsibility; a moved-from guard is empty.
class scope_guard {
public:
    /// Enter a new child of the calling thread's current scope.
    scope_guard() : scope_(hp_scope_push()) {
        if (scope_ == nullptr) detail::fail(HP_PANIC);
    }

    /// Not copyable: a scope is exited once, by one owner.
    scope_guard(const scope_guard&) = delete;
    /// Not copyable: a scope is exited once, by one owner.
    scope_guard& operator=(const scope_guard&) = delete;

    /// Enter a new scope that inherits nothing: neither the outer scopes nor the frozen
    /// baseline are visible inside it (Python's `hp.scope.empty()`).
    static scope_guard empty() {
        hp_scope* scope = hp_scope_new_empty();
        if (scope == nullptr) detail::fail(HP_PANIC);
        const std::int32_t status = hp_scope_enter(scope);
        if (status != HP_OK) {
            hp_scope_free(scope);
            detail::fail(status);
        }
        return scope_guard(scope);
    }

    /// Take over `other`'s scope; `other` becomes empty.
    scope_guard(scope_guard&& other) noexcept : scope_(std::exchange(other.scope_, nullptr)) {}

    /// Exit this guard's scope (if any), then take over `other`'s.
    scope_guard& operator=(scope_guard&& other) noexcept {
        if (this != &other) {
            release();
            scope_ = std::exchange(other.scope_, nullptr);
        }
        return *this;
    }

    /// Exit the scope. A destructor cannot throw, so an exit the engine refuses (out of order,
    /// or on another thread) is reported on stderr, as the Rust guard does; use exit() to get
    /// the error instead.
    ~scope_guard() { release(); }

    /// Write `key` into this guard's scope (even when inner scopes have been entered since).
    /// Throws hp::error on an invalid key or value, or on an empty guard.
    template <class V>
    scope_guard& set(std::string_view key, const V& value) {
        detail::check(detail::write(handle_or_throw(), key, value));
        return *this;
    }

    /// Read `key` as seen from this guard's scope; as hp::get<T>(key).
    template <class T>
    detail::result_t<T> get(std::string_view key) const {
        return detail::read<T>(handle_or_throw(), key);
    }

    /// Read `key` as seen from this guard's scope, with a default; as hp::get(key, default).
    template <class D>
    detail::result_t<D> get(std::string_view key, const D& default_value) const {
        return detail::read_or(handle_or_throw(), key, default_value);
    }

    /// Exit now. Throws hp::error (`HP_SCOPE_ORDER`) if this is not the calling thread's
    /// innermost scope; the guard then stays active and nothing changed.
    void exit() {
        detail::check(hp_scope_exit(handle_or_throw()));
        hp_scope_free(std::exchange(scope_, nullptr));
    }

    /// Whether the guard still holds an entered scope (false once moved from or exited).
    bool active() const noexcept { return scope_ != nullptr; }

    /// The engine handle, for the C API (NULL for an empty guard). Still owned by the guard.
    hp_scope* handle() const noexcept { return scope_; }

private:
    explicit scope_guard(hp_scope* entered) noexcept : scope_(entered) {}

    hp_scope* handle_or_throw() const {
        // A NULL handle would mean "the current scope" to the engine: never write there by accident.
        if (scope_ == nullptr) throw error(HP_INVALID_ARGUMENT, "scope_guard is empty (moved from or exited)");
        return scope_;
    }

    void release() noexcept {
        if (scope_ == nullptr) return;
        if (hp_scope_exit(scope_) != HP_OK) std::fprintf(stderr, "hyperparameter: %s\n", hp_last_error());
        hp_scope_free(std::exchange(scope_, nullptr));
    }

    hp_scope* scope_;
};

namespace detail {

inline void assign(scope_guard&) {}

template <class V, class... Rest>
void assign(scope_guard& guard, std::string_view key, const V& value, const Rest&... rest) {
    guard.set(key, value);
    assign(guard, rest...);
}

template <class... Args>
scope_guard with_params(const Args&... pairs) {
    static_assert(sizeof...(Args) % 2 == 0, "WITH_PARAMS takes key, value pairs");
    scope_guard guard;
    assign(guard, pairs...);  // if a write throws, `guard` exits the half-filled scope
    return guard;
}

/// The calling thread's read word now (see hp_read_word in hyperparameter.h).
HP_DETAIL_HOT std::uint64_t word_now(const hp_read_word* w) noexcept {
#if defined(__GNUC__) || defined(__clang__)
    return w->thread + static_cast<std::uint64_t>(w->stale) +
           __atomic_load_n(__atomic_load_n(&w->shared, __ATOMIC_ACQUIRE), __ATOMIC_ACQUIRE) +
           __atomic_load_n(__atomic_load_n(&w->context, __ATOMIC_ACQUIRE), __ATOMIC_ACQUIRE);
#else
    (void)w;
    return hp_word_now();
#endif
}

/// Counters whose word is never a kept word (kept words start at 0): a thread's kept answers
/// point here until their first engine call, so the hot path needs no "set up yet?" test.
inline const std::uint64_t no_counter = 0;
inline const hp_read_word no_counters = {1, &no_counter, &no_counter, false};

/// One GET_PARAM answer kept per key, type and thread: the value while the thread's read word
/// is `found_at`, the default while it is `missing_at` (words taken before the engine was
/// asked). Constant-initialised, so the thread_local needs no construction guard.
template <class T>
struct kept_answer {
    const hp_read_word* counters = &no_counters;
    std::uint64_t found_at = 0;
    std::uint64_t missing_at = 0;
    T value{};
};

/// Ask the engine and keep its answer (found or missing; errors are never kept).
template <class P, class D>
HP_DETAIL_COLD result_t<D> ask_and_keep(kept_answer<result_t<D>>& kept, std::uint64_t hash, std::string_view key,
                                        const D& default_value) {
    if (kept.counters == &no_counters) kept.counters = hp_thread_word();
    const std::uint64_t word = word_now(kept.counters);  // before asking: a change meanwhile shows
    typename P::raw raw{};
    const std::int32_t status = P::by_hash(hash, &raw);
    if (status == HP_NOT_FOUND) {
        kept.found_at = 0;
        kept.missing_at = word;
        return result_t<D>(default_value);
    }
    if (status != HP_OK) fail(status);
    kept.value = P::finish(raw, key);  // a value out of the type's range throws, and is not kept
    kept.found_at = word;
    kept.missing_at = 0;
    return kept.value;
}

/// Ask the engine for a text value (copied out: never kept).
template <class P, class D>
HP_DETAIL_COLD result_t<D> ask(std::uint64_t hash, std::string_view key, const D& default_value) {
    typename P::raw raw{};
    const std::int32_t status = P::by_hash(hash, &raw);
    if (status == HP_OK) return P::finish(raw, key);
    if (status == HP_NOT_FOUND) return result_t<D>(default_value);
    fail(status);
}

/// Check a non-ASCII key once per key (the engine decides what such keys may hold).
template <std::uint64_t Hash>
HP_DETAIL_COLD void check_non_ascii_key(std::string_view key) {
    struct verdict {
        std::int32_t status;
        std::string message;
    };
    static const verdict key_ok = [&] {
        const std::int32_t status = hp_key_check(key.data(), key.size());
        return verdict{status, status == HP_OK ? std::string() : std::string(hp_last_error())};
    }();
    if (key_ok.status != HP_OK) throw error(key_ok.status, key_ok.message);
}

/// The body of GET_PARAM: the kept answer while nothing changed (inlined: a thread-local
/// load, four counter loads and a compare), else one engine call with a hash computed at
/// compile time. Text is always asked for (it is copied out).
template <key_kind Kind, std::uint64_t Hash, class D>
HP_DETAIL_HOT result_t<D> get_param(std::string_view key, const D& default_value) {
    static_assert(Kind != key_kind::invalid, HP_DETAIL_BAD_KEY_MESSAGE);
    if constexpr (Kind == key_kind::non_ascii) check_non_ascii_key<Hash>(key);
    using P = param<std::decay_t<D>>;
    using Raw = typename P::raw;
    if constexpr (std::is_arithmetic_v<Raw>) {
        static thread_local kept_answer<result_t<D>> kept;
        const std::uint64_t word = word_now(kept.counters);
        if (word == kept.found_at) return kept.value;
        if (word == kept.missing_at) return result_t<D>(default_value);
        return ask_and_keep<P>(kept, Hash, key, default_value);
    } else {
        return ask<P>(Hash, key, default_value);
    }
}

}  // namespace detail
}  // namespace hp

// ---------------------------------------------------------------------------------------------
// Macros

/// Read the parameter at the bare key path `key` (written as tokens: `GET_PARAM(train.lr,
/// 0.001)`) converted to the type of `default_value`: an integer literal reads as int, `2.0` as
/// double, `true` as bool, `"text"` as std::string. Returns `default_value` when no scope sets
/// the key; throws hp::error when the value cannot convert. The key is checked and hashed at
/// compile time, so a read is one engine call with a precomputed hash (no key text crosses).
#define GET_PARAM(key, default_value)                                                         \
    (::hp::detail::get_param<::hp::detail::classify_key(#key), ::hp::hash(#key)>(#key, default_value))

/// Enter a new scope holding the given values and return its hp::scope_guard:
/// `auto guard = WITH_PARAMS(a, 1, a.b, 2.0, a.b.c, true, a.b.c.d, "str");`
/// Keys are bare key paths (checked at compile time), each followed by its value; up to 16
/// pairs. The values are gone when the guard is destroyed.
#define WITH_PARAMS(...) ::hp::detail::with_params(HP_DETAIL_PAIRS(__VA_ARGS__))

#define HP_DETAIL_KEY(k) ::hp::detail::checked_key<::hp::detail::classify_key(#k)>(#k)
#define HP_DETAIL_CAT(a, b) HP_DETAIL_CAT_(a, b)
#define HP_DETAIL_CAT_(a, b) a##b
#define HP_DETAIL_COUNT(...)                                                                       \
    HP_DETAIL_COUNT_(__VA_ARGS__, 32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, \
                     15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, )
#define HP_DETAIL_COUNT_(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16, _17, \
                         _18, _19, _20, _21, _22, _23, _24, _25, _26, _27, _28, _29, _30, _31, _32, \
                         n, ...)                                                                   \
    n
#define HP_DETAIL_PAIRS(...) HP_DETAIL_CAT(HP_DETAIL_PAIRS_, HP_DETAIL_COUNT(__VA_ARGS__))(__VA_ARGS__)

// An odd argument count expands to a name that does not exist, and says why.
#define HP_DETAIL_ODD(...) ::hp::detail::WITH_PARAMS_needs_key_value_pairs_but_got_an_odd_number_of_arguments
#define HP_DETAIL_PAIRS_1 HP_DETAIL_ODD
#define HP_DETAIL_PAIRS_3 HP_DETAIL_ODD
#define HP_DETAIL_PAIRS_5 HP_DETAIL_ODD
#define HP_DETAIL_PAIRS_7 HP_DETAIL_ODD
#define HP_DETAIL_PAIRS_9 HP_DETAIL_ODD
#define HP_DETAIL_PAIRS_11 HP_DETAIL_ODD
#define HP_DETAIL_PAIRS_13 HP_DETAIL_ODD
#define HP_DETAIL_PAIRS_15 HP_DETAIL_ODD
#define HP_DETAIL_PAIRS_17 HP_DETAIL_ODD
#define HP_DETAIL_PAIRS_19 HP_DETAIL_ODD
#define HP_DETAIL_PAIRS_21 HP_DETAIL_ODD
#define HP_DETAIL_PAIRS_23 HP_DETAIL_ODD
#define HP_DETAIL_PAIRS_25 HP_DETAIL_ODD
#define HP_DETAIL_PAIRS_27 HP_DETAIL_ODD
#define HP_DETAIL_PAIRS_29 HP_DETAIL_ODD
#define HP_DETAIL_PAIRS_31 HP_DETAIL_ODD
#define HP_DETAIL_PAIRS_2(k, v) HP_DETAIL_KEY(k), v
#define HP_DETAIL_PAIRS_4(k, v, ...) HP_DETAIL_KEY(k), v, HP_DETAIL_PAIRS_2(__VA_ARGS__)
#define HP_DETAIL_PAIRS_6(k, v, ...) HP_DETAIL_KEY(k), v, HP_DETAIL_PAIRS_4(__VA_ARGS__)
#define HP_DETAIL_PAIRS_8(k, v, ...) HP_DETAIL_KEY(k), v, HP_DETAIL_PAIRS_6(__VA_ARGS__)
#define HP_DETAIL_PAIRS_10(k, v, ...) HP_DETAIL_KEY(k), v, HP_DETAIL_PAIRS_8(__VA_ARGS__)
#define HP_DETAIL_PAIRS_12(k, v, ...) HP_DETAIL_KEY(k), v, HP_DETAIL_PAIRS_10(__VA_ARGS__)
#define HP_DETAIL_PAIRS_14(k, v, ...) HP_DETAIL_KEY(k), v, HP_DETAIL_PAIRS_12(__VA_ARGS__)
#define HP_DETAIL_PAIRS_16(k, v, ...) HP_DETAIL_KEY(k), v, HP_DETAIL_PAIRS_14(__VA_ARGS__)
#define HP_DETAIL_PAIRS_18(k, v, ...) HP_DETAIL_KEY(k), v, HP_DETAIL_PAIRS_16(__VA_ARGS__)
#define HP_DETAIL_PAIRS_20(k, v, ...) HP_DETAIL_KEY(k), v, HP_DETAIL_PAIRS_18(__VA_ARGS__)
#define HP_DETAIL_PAIRS_22(k, v, ...) HP_DETAIL_KEY(k), v, HP_DETAIL_PAIRS_20(__VA_ARGS__)
#define HP_DETAIL_PAIRS_24(k, v, ...) HP_DETAIL_KEY(k), v, HP_DETAIL_PAIRS_22(__VA_ARGS__)
#define HP_DETAIL_PAIRS_26(k, v, ...) HP_DETAIL_KEY(k), v, HP_DETAIL_PAIRS_24(__VA_ARGS__)
#define HP_DETAIL_PAIRS_28(k, v, ...) HP_DETAIL_KEY(k), v, HP_DETAIL_PAIRS_26(__VA_ARGS__)
#define HP_DETAIL_PAIRS_30(k, v, ...) HP_DETAIL_KEY(k), v, HP_DETAIL_PAIRS_28(__VA_ARGS__)
#define HP_DETAIL_PAIRS_32(k, v, ...) HP_DETAIL_KEY(k), v, HP_DETAIL_PAIRS_30(__VA_ARGS__)

#endif  // HYPERPARAMETER_HPP
