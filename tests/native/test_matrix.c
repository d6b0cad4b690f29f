/*
 * The bad-input matrix (docs/errors.md), C ABI rows that test_bad_input.c does not already
 * cover: 1 MB keys (C-04), NaN and infinities (C-06), integers beyond int64 (C-07), use of a
 * scope after it ended (C-14), 100,000 nested scopes (C-15) and 1,000,000 keys in one scope
 * (C-16). Each row ends by checking a sentinel set before it, so no row may corrupt later reads.
 *
 * Usage: test_matrix [KEYS]   KEYS (default 1000000) is the size of row C-16; the valgrind
 * run of tests/native/test_native.py passes a smaller one to stay quick.
 */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdbool.h>

#include "check.h"

static uint64_t sentinel_hash;
static size_t guard_depth;

/* The state every row must leave behind: the guard scope current, its sentinel readable by
 * key and by hash, and nothing else entered. */
static int sentinel_ok(void) {
    int64_t by_key = 0, by_hash = 0;
    hp_string text = {NULL, 0};
    int ok = hp_scope_depth() == guard_depth;
    ok = ok && hp_get_i64(NULL, KEY("matrix.sentinel"), &by_key) == HP_OK && by_key == 7;
    ok = ok && hp_get_i64_by_hash(sentinel_hash, &by_hash) == HP_OK && by_hash == 7;
    ok = ok && hp_get_str(NULL, KEY("matrix.text"), &text) == HP_OK && text.len == 4 &&
         memcmp(text.ptr, "kept", 4) == 0;
    hp_string_free(text);
    return ok;
}

static int string_equals(hp_string got, const char *want) {
    const size_t len = strlen(want);
    const int same = got.len == len && got.ptr != NULL && memcmp(got.ptr, want, len) == 0;
    hp_string_free(got);
    return same;
}

/* ------------------------------------------------------------------------------------------ */
/* C-04: a 1 MB key is refused everywhere a key is taken, with a short message; a 1 MB value
 * is fine (values have no size limit). */
static void row_c04_megabyte_key(void) {
    const size_t n = (size_t)1 << 20;
    char *key = (char *)malloc(n + 3);
    char *bad_bytes = (char *)malloc(n);
    hp_value value;
    int64_t integer = -1;
    uint64_t hash = 0;

    memset(key, 'k', n);
    memset(bad_bytes, 0xff, n);
    CHECK_STATUS(hp_key_check(key, n), HP_INVALID_KEY);
    CHECK_ERROR_MENTIONS("1048576 bytes long, the limit is 1024");
    CHECK(strlen(hp_last_error()) < 200); /* the key is cut short in the message */
    CHECK_STATUS(hp_set_i64(NULL, key, n, 1), HP_INVALID_KEY);
    CHECK_STATUS(hp_set_str(NULL, key, n, KEY("v")), HP_INVALID_KEY);
    CHECK_STATUS(hp_get_i64(NULL, key, n, &integer), HP_INVALID_KEY);
    CHECK_STATUS(hp_get(NULL, key, n, &value), HP_INVALID_KEY);
    CHECK_STATUS(hp_set_source(NULL, key, n, KEY("s")), HP_INVALID_KEY);
    CHECK(integer == -1);
    /* As a -D definition: "kkkk...=1". */
    key[n] = '=';
    key[n + 1] = '1';
    CHECK_STATUS(hp_set_parsed(NULL, key, n + 2), HP_INVALID_KEY);
    CHECK_ERROR_MENTIONS("1048576 bytes long");
    /* 1 MB of bytes that are not UTF-8: the encoding is checked first. */
    CHECK_STATUS(hp_key_check(bad_bytes, n), HP_INVALID_UTF8);
    CHECK(strlen(hp_last_error()) < 200);
    /* Hashing is defined on any bytes, of any length. */
    CHECK_OK(hp_hash(key, n, &hash));
    CHECK(sentinel_ok());

    /* A 1 MB value under a valid key is stored and read back whole. */
    {
        hp_scope *scope = hp_scope_push();
        hp_string text = {NULL, 0};
        CHECK_OK(hp_set_str(NULL, KEY("matrix.big_value"), key, n));
        CHECK_OK(hp_get_str(NULL, KEY("matrix.big_value"), &text));
        CHECK(text.len == n && memcmp(text.ptr, key, n) == 0);
        hp_string_free(text);
        CHECK_STATUS(hp_get_i64(NULL, KEY("matrix.big_value"), &integer), HP_TYPE_MISMATCH);
        CHECK_ERROR_MENTIONS("parameter \"matrix.big_value\": cannot convert \"kkkk");
        CHECK_OK(hp_scope_exit(scope));
        hp_scope_free(scope);
    }
    free(key);
    free(bad_bytes);
    CHECK(sentinel_ok());
}

/* ------------------------------------------------------------------------------------------ */
/* C-06: NaN and infinities are stored as they are; they read back as floats and as text, and
 * are refused (never truncated) as int or bool. */
static void row_c06_nan_and_infinities(void) {
    static const char *const keys[] = {"nan.v", "inf.pos", "inf.neg"};
    static const char *const texts[] = {"nan", "inf", "-inf"};
    const double values[] = {NAN, INFINITY, -INFINITY};
    hp_scope *scope = hp_scope_push();
    hp_value in, out, value;
    size_t i;

    for (i = 0; i < 3; ++i) {
        const char *key = keys[i];
        const size_t len = strlen(key);
        uint64_t hash = 0;
        double number = 0;
        int64_t integer = -1;
        bool flag = false;
        hp_string text = {NULL, 0};

        CHECK_OK(hp_hash(key, len, &hash));
        CHECK_OK(hp_set_f64(NULL, key, len, values[i]));
        CHECK_OK(hp_get(NULL, key, len, &value));
        CHECK(value.kind == HP_KIND_FLOAT);
        CHECK_OK(hp_get_f64(NULL, key, len, &number));
        CHECK(i == 0 ? isnan(number) : number == values[i]);
        number = 0;
        CHECK_OK(hp_get_f64_by_hash(hash, &number)); /* the read cache holds NaN too */
        CHECK(i == 0 ? isnan(number) : number == values[i]);
        CHECK_OK(hp_get_f64_by_hash(hash, &number));
        CHECK(i == 0 ? isnan(number) : number == values[i]);
        CHECK_STATUS(hp_get_i64(NULL, key, len, &integer), HP_TYPE_MISMATCH);
        CHECK_ERROR_MENTIONS("to int");
        CHECK_ERROR_MENTIONS(key);
        CHECK_STATUS(hp_get_i64_by_hash(hash, &integer), HP_TYPE_MISMATCH);
        CHECK(hp_get_i64_or(hash, 5) == 5);
        CHECK_STATUS(hp_get_bool(NULL, key, len, &flag), HP_TYPE_MISMATCH);
        CHECK(integer == -1 && !flag);
        CHECK_OK(hp_get_str(NULL, key, len, &text));
        CHECK(string_equals(text, texts[i]));
    }
    /* The words are text in a definition (no digit), yet read as float they convert. */
    CHECK_OK(hp_set_parsed(NULL, KEY("nan.defined=nan")));
    CHECK_OK(hp_get(NULL, KEY("nan.defined"), &value));
    CHECK(value.kind == HP_KIND_STR);
    hp_value_clear(&value);
    {
        double number = 0;
        CHECK_OK(hp_get_f64(NULL, KEY("nan.defined"), &number));
        CHECK(isnan(number));
        CHECK_OK(hp_set_parsed(NULL, KEY("inf.defined=1e999"))); /* a digit: a float, +inf */
        CHECK_OK(hp_get_f64(NULL, KEY("inf.defined"), &number));
        CHECK(isinf(number) && number > 0);
    }
    /* hp_convert follows the same rules. */
    memset(&in, 0, sizeof in);
    in.kind = HP_KIND_FLOAT;
    in.number = NAN;
    out.kind = -1;
    CHECK_STATUS(hp_convert(&in, HP_KIND_INT, &out), HP_TYPE_MISMATCH);
    CHECK_ERROR_MENTIONS("cannot convert NaN to int");
    CHECK(out.kind == -1);
    CHECK_OK(hp_convert(&in, HP_KIND_STR, &out));
    CHECK(out.kind == HP_KIND_STR && out.string.len == 3 && memcmp(out.string.ptr, "nan", 3) == 0);
    hp_value_clear(&out);
    CHECK_OK(hp_scope_exit(scope));
    hp_scope_free(scope);
    CHECK(sentinel_ok());
}

/* ------------------------------------------------------------------------------------------ */
/* C-07: integers beyond int64 only arrive as text or floats; they never wrap or saturate. */
static void row_c07_beyond_int64(void) {
    hp_scope *scope = hp_scope_push();
    hp_value value;
    int64_t integer = -1;
    double number = 0;

    CHECK_OK(hp_set_str(NULL, KEY("big.max"), KEY("9223372036854775807")));
    CHECK_OK(hp_get_i64(NULL, KEY("big.max"), &integer));
    CHECK(integer == INT64_MAX);
    integer = -1;
    CHECK_OK(hp_set_str(NULL, KEY("big.over"), KEY("9223372036854775808")));
    CHECK_STATUS(hp_get_i64(NULL, KEY("big.over"), &integer), HP_TYPE_MISMATCH);
    CHECK_ERROR_MENTIONS("cannot convert \"9223372036854775808\" to int");
    CHECK_OK(hp_set_str(NULL, KEY("big.under"), KEY("-9223372036854775809")));
    CHECK_STATUS(hp_get_i64(NULL, KEY("big.under"), &integer), HP_TYPE_MISMATCH);
    CHECK(integer == -1);
    /* A definition too big for int64 becomes the nearest float; as an int it is refused. */
    CHECK_OK(hp_set_parsed(NULL, KEY("big.defined=99999999999999999999")));
    CHECK_OK(hp_get(NULL, KEY("big.defined"), &value));
    CHECK(value.kind == HP_KIND_FLOAT && value.number == 1e20);
    CHECK_STATUS(hp_get_i64(NULL, KEY("big.defined"), &integer), HP_TYPE_MISMATCH);
    CHECK_ERROR_MENTIONS("cannot convert 1e20 to int");
    CHECK_OK(hp_get_f64(NULL, KEY("big.defined"), &number));
    CHECK(number == 1e20);
    /* Floats at the edge: -2^63 is exact, 2^63 is not an int64. */
    CHECK_OK(hp_set_f64(NULL, KEY("big.fmin"), -9223372036854775808.0));
    CHECK_OK(hp_get_i64(NULL, KEY("big.fmin"), &integer));
    CHECK(integer == INT64_MIN);
    integer = -1;
    CHECK_OK(hp_set_f64(NULL, KEY("big.fmax"), 9223372036854775808.0));
    CHECK_STATUS(hp_get_i64(NULL, KEY("big.fmax"), &integer), HP_TYPE_MISMATCH);
    CHECK(integer == -1);
    CHECK_OK(hp_scope_exit(scope));
    hp_scope_free(scope);
    CHECK(sentinel_ok());
}

/* ------------------------------------------------------------------------------------------ */
/* C-14: a scope handle stays valid after its exit until hp_scope_free: it keeps its values and
 * can be read, written and entered again, but it is no longer current, and exiting it again
 * is HP_SCOPE_ORDER. */
static void row_c14_use_after_exit(void) {
    hp_scope *scope = hp_scope_push();
    hp_scope *current;
    hp_scope *child;
    hp_string keys = {NULL, 0};
    int64_t integer = -1;

    CHECK_OK(hp_set_i64(NULL, KEY("after.x"), 1));
    current = hp_scope_current(); /* a second handle to the same scope */
    CHECK_OK(hp_scope_exit(scope));

    CHECK_STATUS(hp_get_i64(NULL, KEY("after.x"), &integer), HP_NOT_FOUND);
    CHECK_OK(hp_get_i64(scope, KEY("after.x"), &integer));
    CHECK(integer == 1);
    CHECK_OK(hp_get_i64(current, KEY("after.x"), &integer));
    CHECK(integer == 1);
    CHECK_OK(hp_set_i64(scope, KEY("after.y"), 2)); /* a write to the handle stays in it */
    CHECK_STATUS(hp_get_i64(NULL, KEY("after.y"), &integer), HP_NOT_FOUND);
    CHECK_OK(hp_keys(current, &keys));
    CHECK(string_equals(keys, "after.x\nafter.y\nmatrix.sentinel\nmatrix.text"));
    CHECK_STATUS(hp_scope_exit(scope), HP_SCOPE_ORDER);
    CHECK_ERROR_MENTIONS("not the innermost");
    CHECK(sentinel_ok());

    /* A child made now still sees it; entering it again brings its values back. */
    child = hp_scope_new(scope);
    CHECK_OK(hp_get_i64(child, KEY("after.y"), &integer));
    CHECK(integer == 2);
    CHECK_OK(hp_scope_enter(scope));
    CHECK_OK(hp_get_i64(NULL, KEY("after.x"), &integer));
    CHECK(integer == 1);
    CHECK_OK(hp_scope_exit(current)); /* either handle exits it: they name one scope */
    CHECK_STATUS(hp_get_i64(NULL, KEY("after.x"), &integer), HP_NOT_FOUND);

    /* Freeing one handle does not free the scope under the others. */
    hp_scope_free(scope);
    CHECK_OK(hp_get_i64(current, KEY("after.x"), &integer));
    CHECK_OK(hp_get_i64(child, KEY("after.x"), &integer));
    hp_scope_free(current);
    CHECK_OK(hp_get_i64(child, KEY("after.x"), &integer));
    CHECK(integer == 1);
    hp_scope_free(child);
    CHECK(sentinel_ok());
}

/* ------------------------------------------------------------------------------------------ */
/* C-15: 100,000 nested scopes: reads walk them all, exits must still be in order, and they all
 * come off again. */
static void row_c15_hundred_thousand_nested(void) {
    enum { DEPTH = 100000 };
    hp_scope **handles = (hp_scope **)malloc(DEPTH * sizeof *handles);
    hp_string keys = {NULL, 0};
    int64_t integer = -1;
    size_t i;
    int all_exited = 1;

    for (i = 0; i < DEPTH; ++i) {
        handles[i] = hp_scope_push();
        if (i % 1000 == 0) hp_set_i64(NULL, KEY("deep.level"), (int64_t)i);
    }
    CHECK(hp_scope_depth() == guard_depth + DEPTH);
    CHECK_OK(hp_get_i64(NULL, KEY("deep.level"), &integer));
    CHECK(integer == 99000);
    CHECK_OK(hp_get_i64(NULL, KEY("matrix.sentinel"), &integer)); /* through 100,000 parents */
    CHECK(integer == 7);
    CHECK_OK(hp_get_i64_by_hash(sentinel_hash, &integer));
    CHECK(integer == 7);
    CHECK_OK(hp_keys(NULL, &keys));
    CHECK(string_equals(keys, "deep.level\nmatrix.sentinel\nmatrix.text"));
    /* The outermost of them is not the innermost scope: refused, nothing moves. */
    CHECK_STATUS(hp_scope_exit(handles[0]), HP_SCOPE_ORDER);
    CHECK_ERROR_MENTIONS("100001 scopes are open");
    CHECK(hp_scope_depth() == guard_depth + DEPTH);
    for (i = DEPTH; i-- > 0;) {
        if (hp_scope_exit(handles[i]) != HP_OK) all_exited = 0;
        hp_scope_free(handles[i]);
    }
    CHECK(all_exited);
    free(handles);
    CHECK_STATUS(hp_get_i64(NULL, KEY("deep.level"), &integer), HP_NOT_FOUND);
    CHECK(sentinel_ok());
}

/* ------------------------------------------------------------------------------------------ */
/* C-16: a million keys in one scope: all stored, all read back, listed, and gone with it. */
static void row_c16_a_million_keys(long count) {
    hp_scope *scope = hp_scope_push();
    hp_string keys = {NULL, 0};
    char key[32];
    long i;
    long wrong = 0;
    size_t lines = 0;
    size_t at;
    int64_t integer = -1;

    for (i = 0; i < count; ++i) {
        const int len = snprintf(key, sizeof key, "many.k%ld", i);
        if (hp_set_i64(NULL, key, (size_t)len, i) != HP_OK) ++wrong;
    }
    for (i = 0; i < count; ++i) {
        const int len = snprintf(key, sizeof key, "many.k%ld", i);
        if (hp_get_i64(NULL, key, (size_t)len, &integer) != HP_OK || integer != i) ++wrong;
    }
    CHECK(wrong == 0);
    CHECK_OK(hp_keys(NULL, &keys));
    for (at = 0; at < keys.len; ++at) lines += keys.ptr[at] == '\n';
    CHECK(lines + 1 == (size_t)count + 2); /* the million, the sentinel and matrix.text */
    hp_string_free(keys);
    CHECK(sentinel_ok() == 0); /* one scope deeper than the guard ... */
    CHECK_OK(hp_get_i64(NULL, KEY("matrix.sentinel"), &integer));
    CHECK(integer == 7); /* ... but the sentinel reads through */
    CHECK_OK(hp_scope_exit(scope));
    hp_scope_free(scope);
    CHECK_STATUS(hp_get_i64(NULL, KEY("many.k0"), &integer), HP_NOT_FOUND);
    snprintf(key, sizeof key, "many.k%ld", count - 1);
    CHECK_STATUS(hp_get_i64(NULL, key, strlen(key), &integer), HP_NOT_FOUND);
    CHECK(sentinel_ok());
    printf("  C-16: %ld keys set, read and released\n", count);
}

int main(int argc, char **argv) {
    const long keys = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000;
    hp_scope *guard = hp_scope_push();
    CHECK_OK(hp_hash(KEY("matrix.sentinel"), &sentinel_hash));
    CHECK_OK(hp_set_i64(NULL, KEY("matrix.sentinel"), 7));
    CHECK_OK(hp_set_str(NULL, KEY("matrix.text"), KEY("kept")));
    guard_depth = hp_scope_depth();
    CHECK(sentinel_ok());

    row_c04_megabyte_key();
    row_c06_nan_and_infinities();
    row_c07_beyond_int64();
    row_c14_use_after_exit();
    row_c15_hundred_thousand_nested();
    row_c16_a_million_keys(keys);

    CHECK(sentinel_ok());
    CHECK_OK(hp_scope_exit(guard));
    hp_scope_free(guard);
    CHECK(hp_scope_depth() == 0);
    return check_finish("test_matrix");
}
