/*
 * The semantic contract, exercised through the C ABI alone.
 *
 * Usage: test_c_api HASH_VECTORS_FILE   (written by tests/native/test_native.py, see check.h)
 *
 * Every test enters its own scopes and leaves them, so the thread's root scope stays empty and
 * the tests do not depend on each other; the frozen baseline is reset at the end of the one
 * test that sets it.
 */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <pthread.h>
#include <stdbool.h>

#include "check.h"

static uint64_t hash_of(const char *key) {
    uint64_t out = 0;
    CHECK_OK(hp_hash(key, strlen(key), &out));
    return out;
}

static int64_t int_of(hp_scope *scope, const char *key) {
    int64_t out = -999;
    CHECK_OK(hp_get_i64(scope, key, strlen(key), &out));
    return out;
}

static int32_t int_status(hp_scope *scope, const char *key) {
    int64_t out = 0;
    return hp_get_i64(scope, key, strlen(key), &out);
}

/* Compare an owned hp_string with `want`, then free it. */
static int string_is(hp_string got, const char *want) {
    const size_t len = strlen(want);
    const int same = got.len == len && (len == 0 ? got.ptr == NULL : memcmp(got.ptr, want, len) == 0);
    if (!same) fprintf(stderr, "  got \"%.*s\", want \"%s\"\n", (int)got.len, got.ptr ? got.ptr : "", want);
    hp_string_free(got);
    return same;
}

static int str_of_is(hp_scope *scope, const char *key, const char *want) {
    hp_string out = {NULL, 0};
    if (!CHECK_OK(hp_get_str(scope, key, strlen(key), &out))) return 0;
    return string_is(out, want);
}

/* ------------------------------------------------------------------------------------------ */

static void test_abi_and_status_names(void) {
    CHECK(hp_abi_version() == HP_ABI_VERSION);
    CHECK(strcmp(hp_status_name(HP_OK), "HP_OK") == 0);
    CHECK(strcmp(hp_status_name(HP_TYPE_MISMATCH), "HP_TYPE_MISMATCH") == 0);
    CHECK(strcmp(hp_status_name(HP_SCOPE_ORDER), "HP_SCOPE_ORDER") == 0);
    CHECK(strcmp(hp_status_name(12345), "HP_UNKNOWN") == 0);
    CHECK(hp_scope_depth() == 0);
}

struct vector_stats {
    int mismatches;
    int lengths_seen[4]; /* 0, 31/32/33, 64, non-ASCII */
};

static void check_vector(const char *key, size_t len, uint64_t want, void *context) {
    struct vector_stats *stats = (struct vector_stats *)context;
    uint64_t got = 0;
    size_t i;
    CHECK_OK(hp_hash(key, len, &got));
    if (got != want) {
        ++stats->mismatches;
        fprintf(stderr, "  hash of \"%s\" (%zu bytes): got %llu, want %llu\n", key, len,
                (unsigned long long)got, (unsigned long long)want);
    }
    if (len == 0) stats->lengths_seen[0] = 1;
    if (len == 31 || len == 32 || len == 33) stats->lengths_seen[1] = 1;
    if (len == 64) stats->lengths_seen[2] = 1;
    for (i = 0; i < len; ++i) {
        if ((unsigned char)key[i] >= 0x80) stats->lengths_seen[3] = 1;
    }
}

static void test_hash_vectors(const char *path) {
    struct vector_stats stats = {0, {0, 0, 0, 0}};
    const int count = for_each_vector(path, check_vector, &stats);
    CHECK(count >= 20);
    CHECK(stats.mismatches == 0);
    CHECK(stats.lengths_seen[0] && stats.lengths_seen[1] && stats.lengths_seen[2] && stats.lengths_seen[3]);
    /* The C ABI hashes bytes as given: the vector a..b, not a validated key. */
    CHECK(hash_of("train.lr") == 1730067025249070946ULL);
    printf("  %d hash vectors checked\n", count);
}

static void test_every_kind(void) {
    hp_scope *scope = hp_scope_push();
    const char with_nul[] = {'a', '\0', 'b'};
    hp_value value;
    bool flag = false;
    double number = 0;
    int64_t integer = 0;

    CHECK_OK(hp_set_null(NULL, KEY("k.null")));
    CHECK_OK(hp_set_bool(NULL, KEY("k.bool"), true));
    CHECK_OK(hp_set_i64(NULL, KEY("k.min"), INT64_MIN));
    CHECK_OK(hp_set_i64(NULL, KEY("k.max"), INT64_MAX));
    CHECK_OK(hp_set_f64(NULL, KEY("k.float"), 0.1));
    CHECK_OK(hp_set_f64(NULL, KEY("k.nan"), NAN));
    CHECK_OK(hp_set_f64(NULL, KEY("k.inf"), -INFINITY));
    CHECK_OK(hp_set_str(NULL, KEY("k.str"), KEY("héllo")));
    CHECK_OK(hp_set_str(NULL, KEY("k.empty"), "", 0));
    CHECK_OK(hp_set_str(NULL, KEY("k.nul"), with_nul, sizeof with_nul));

    CHECK_OK(hp_get(NULL, KEY("k.null"), &value));
    CHECK(value.kind == HP_KIND_NULL);
    CHECK_OK(hp_get(NULL, KEY("k.bool"), &value));
    CHECK(value.kind == HP_KIND_BOOL && value.boolean);
    CHECK_OK(hp_get(NULL, KEY("k.min"), &value));
    CHECK(value.kind == HP_KIND_INT && value.integer == INT64_MIN);
    CHECK_OK(hp_get(NULL, KEY("k.max"), &value));
    CHECK(value.kind == HP_KIND_INT && value.integer == INT64_MAX);
    CHECK_OK(hp_get(NULL, KEY("k.float"), &value));
    CHECK(value.kind == HP_KIND_FLOAT && value.number == 0.1);
    CHECK_OK(hp_get(NULL, KEY("k.nan"), &value));
    CHECK(value.kind == HP_KIND_FLOAT && isnan(value.number));
    CHECK_OK(hp_get(NULL, KEY("k.inf"), &value));
    CHECK(value.kind == HP_KIND_FLOAT && isinf(value.number) && value.number < 0);

    CHECK_OK(hp_get(NULL, KEY("k.str"), &value));
    CHECK(value.kind == HP_KIND_STR && value.string.len == strlen("héllo"));
    CHECK(value.string.ptr != NULL && strcmp(value.string.ptr, "héllo") == 0); /* NUL-terminated */
    hp_value_clear(&value);
    CHECK(value.kind == HP_KIND_NULL && value.string.ptr == NULL);

    CHECK_OK(hp_get(NULL, KEY("k.empty"), &value));
    CHECK(value.kind == HP_KIND_STR && value.string.len == 0);
    hp_value_clear(&value);

    /* Interior NULs survive: text is (pointer, length), never strlen. */
    CHECK_OK(hp_get(NULL, KEY("k.nul"), &value));
    CHECK(value.kind == HP_KIND_STR && value.string.len == 3 && memcmp(value.string.ptr, with_nul, 3) == 0);
    hp_value_clear(&value);

    /* Typed reads of matching kinds. */
    CHECK_OK(hp_get_bool(NULL, KEY("k.bool"), &flag));
    CHECK(flag);
    CHECK_OK(hp_get_i64(NULL, KEY("k.max"), &integer));
    CHECK(integer == INT64_MAX);
    CHECK_OK(hp_get_f64(NULL, KEY("k.float"), &number));
    CHECK(number == 0.1);
    CHECK(str_of_is(NULL, "k.str", "héllo"));

    /* Only a missing key is "not found": an explicit null, false, 0 or "" is a value. */
    CHECK_STATUS(hp_get(NULL, KEY("k.absent"), &value), HP_NOT_FOUND);
    CHECK_ERROR_MENTIONS("k.absent");
    CHECK_STATUS(int_status(NULL, "k.null"), HP_TYPE_MISMATCH);
    CHECK_OK(hp_set_bool(NULL, KEY("k.false"), false));
    flag = true;
    CHECK_OK(hp_get_bool(NULL, KEY("k.false"), &flag));
    CHECK(!flag);

    /* Overwriting in the same scope replaces the value and its kind. */
    CHECK_OK(hp_set_str(NULL, KEY("k.bool"), KEY("now text")));
    CHECK(str_of_is(NULL, "k.bool", "now text"));

    CHECK_OK(hp_scope_exit(scope));
    hp_scope_free(scope);
    CHECK_STATUS(int_status(NULL, "k.max"), HP_NOT_FOUND);
}

struct int_case {
    const char *text;
    int ok;
    int64_t want;
};

static void test_conversions(void) {
    static const struct int_case ints[] = {
        {"42", 1, 42},    {" -7 ", 1, -7}, {"+5", 1, 5},      {"1e3", 1, 1000}, {"3.0", 1, 3},
        {"3.5", 0, 0},    {"abc", 0, 0},   {"", 0, 0},        {"1e19", 0, 0},   {"99999999999999999999", 0, 0},
        {"0x10", 0, 0},   {"nan", 0, 0},
    };
    static const char *const truthy[] = {"true", "YES", " on ", "1", "T", "y"};
    static const char *const falsy[] = {"false", "No", "OFF", "0", "f", "n"};
    hp_scope *scope = hp_scope_push();
    hp_value in, out;
    size_t i;
    bool flag;
    double number;
    int64_t integer;

    for (i = 0; i < sizeof ints / sizeof ints[0]; ++i) {
        integer = -1;
        CHECK_OK(hp_set_str(NULL, KEY("conv.int"), ints[i].text, strlen(ints[i].text)));
        if (ints[i].ok) {
            if (!CHECK_OK(hp_get_i64(NULL, KEY("conv.int"), &integer)) || !CHECK(integer == ints[i].want))
                fprintf(stderr, "  int from \"%s\"\n", ints[i].text);
        } else {
            if (!CHECK_STATUS(hp_get_i64(NULL, KEY("conv.int"), &integer), HP_TYPE_MISMATCH))
                fprintf(stderr, "  int from \"%s\"\n", ints[i].text);
            CHECK(integer == -1); /* out-parameters are untouched on error */
            CHECK_ERROR_MENTIONS("conv.int");
            CHECK_ERROR_MENTIONS("to int");
        }
    }
    for (i = 0; i < 6; ++i) {
        flag = false;
        CHECK_OK(hp_set_str(NULL, KEY("conv.bool"), truthy[i], strlen(truthy[i])));
        CHECK_OK(hp_get_bool(NULL, KEY("conv.bool"), &flag));
        CHECK(flag);
        CHECK_OK(hp_set_str(NULL, KEY("conv.bool"), falsy[i], strlen(falsy[i])));
        CHECK_OK(hp_get_bool(NULL, KEY("conv.bool"), &flag));
        CHECK(!flag);
    }
    CHECK_OK(hp_set_str(NULL, KEY("conv.bool"), KEY("maybe")));
    CHECK_STATUS(hp_get_bool(NULL, KEY("conv.bool"), &flag), HP_TYPE_MISMATCH);
    CHECK_ERROR_MENTIONS("\"maybe\"");
    CHECK_OK(hp_set_i64(NULL, KEY("conv.bool"), 2));
    CHECK_STATUS(hp_get_bool(NULL, KEY("conv.bool"), &flag), HP_TYPE_MISMATCH);
    CHECK_OK(hp_set_i64(NULL, KEY("conv.bool"), 1));
    CHECK_OK(hp_get_bool(NULL, KEY("conv.bool"), &flag));
    CHECK(flag);
    CHECK_OK(hp_set_f64(NULL, KEY("conv.bool"), 0.5));
    CHECK_STATUS(hp_get_bool(NULL, KEY("conv.bool"), &flag), HP_TYPE_MISMATCH);

    /* Numbers: exact integral floats convert to int, anything else is refused, never truncated. */
    CHECK_OK(hp_set_f64(NULL, KEY("conv.num"), 3.0));
    CHECK_OK(hp_get_i64(NULL, KEY("conv.num"), &integer));
    CHECK(integer == 3);
    CHECK_OK(hp_set_f64(NULL, KEY("conv.num"), 3.5));
    CHECK_STATUS(hp_get_i64(NULL, KEY("conv.num"), &integer), HP_TYPE_MISMATCH);
    CHECK_ERROR_MENTIONS("3.5");
    CHECK_OK(hp_set_f64(NULL, KEY("conv.num"), 1e19));
    CHECK_STATUS(hp_get_i64(NULL, KEY("conv.num"), &integer), HP_TYPE_MISMATCH);
    CHECK_OK(hp_set_bool(NULL, KEY("conv.num"), true));
    CHECK_OK(hp_get_i64(NULL, KEY("conv.num"), &integer));
    CHECK(integer == 1);
    CHECK_OK(hp_get_f64(NULL, KEY("conv.num"), &number));
    CHECK(number == 1.0);
    CHECK_OK(hp_set_i64(NULL, KEY("conv.num"), 3));
    CHECK_OK(hp_get_f64(NULL, KEY("conv.num"), &number));
    CHECK(number == 3.0);
    CHECK_OK(hp_set_str(NULL, KEY("conv.num"), KEY("1e-3")));
    CHECK_OK(hp_get_f64(NULL, KEY("conv.num"), &number));
    CHECK(number == 0.001);
    CHECK_OK(hp_set_str(NULL, KEY("conv.num"), KEY("fast")));
    CHECK_STATUS(hp_get_f64(NULL, KEY("conv.num"), &number), HP_TYPE_MISMATCH);
    CHECK_ERROR_MENTIONS("to float");

    /* To text: shortest round-trip floats, decimal ints, true/false; null has no text. */
    CHECK_OK(hp_set_f64(NULL, KEY("conv.text"), 0.1));
    CHECK(str_of_is(NULL, "conv.text", "0.1"));
    CHECK_OK(hp_set_f64(NULL, KEY("conv.text"), 1.0));
    CHECK(str_of_is(NULL, "conv.text", "1.0"));
    CHECK_OK(hp_set_i64(NULL, KEY("conv.text"), -3));
    CHECK(str_of_is(NULL, "conv.text", "-3"));
    CHECK_OK(hp_set_bool(NULL, KEY("conv.text"), true));
    CHECK(str_of_is(NULL, "conv.text", "true"));
    CHECK_OK(hp_set_null(NULL, KEY("conv.text")));
    {
        hp_string text = {NULL, 0};
        CHECK_STATUS(hp_get_str(NULL, KEY("conv.text"), &text), HP_TYPE_MISMATCH);
        CHECK(text.ptr == NULL);
    }

    /* hp_convert applies the same rules to values that are not stored anywhere. */
    memset(&in, 0, sizeof in);
    in.kind = HP_KIND_INT;
    in.integer = 7;
    CHECK_OK(hp_convert(&in, HP_KIND_STR, &out));
    CHECK(out.kind == HP_KIND_STR && out.string.len == 1 && out.string.ptr[0] == '7');
    hp_value_clear(&out);
    in.kind = HP_KIND_STR;
    in.string.ptr = (char *)"2.5";
    in.string.len = 3;
    CHECK_OK(hp_convert(&in, HP_KIND_FLOAT, &out));
    CHECK(out.kind == HP_KIND_FLOAT && out.number == 2.5);
    CHECK_STATUS(hp_convert(&in, HP_KIND_INT, &out), HP_TYPE_MISMATCH);
    CHECK_STATUS(hp_convert(&in, 99, &out), HP_INVALID_ARGUMENT);

    CHECK_OK(hp_scope_exit(scope));
    hp_scope_free(scope);
}

static void test_nested_scopes_and_rollback(void) {
    const size_t depth = hp_scope_depth();
    hp_scope *outer = hp_scope_push();
    hp_scope *inner;
    hp_scope *current;
    const uint64_t *generation;
    uint64_t before;

    CHECK(hp_scope_depth() == depth + 1);
    CHECK_OK(hp_set_i64(NULL, KEY("nest.x"), 1));
    CHECK_OK(hp_set_str(NULL, KEY("nest.y"), KEY("outer")));

    inner = hp_scope_push();
    CHECK(hp_scope_depth() == depth + 2);
    CHECK(int_of(NULL, "nest.x") == 1); /* inherited */
    CHECK_OK(hp_set_i64(NULL, KEY("nest.x"), 2));
    CHECK_OK(hp_set_i64(NULL, KEY("nest.z"), 3));
    CHECK(int_of(NULL, "nest.x") == 2);
    CHECK(int_of(outer, "nest.x") == 1); /* the write went to the innermost scope only */
    CHECK_STATUS(int_status(outer, "nest.z"), HP_NOT_FOUND);
    CHECK(str_of_is(NULL, "nest.y", "outer"));

    /* hp_scope_current names the innermost scope: writes through it are visible at once. */
    current = hp_scope_current();
    CHECK_OK(hp_set_i64(current, KEY("nest.w"), 4));
    CHECK(int_of(inner, "nest.w") == 4);
    hp_scope_free(current);

    CHECK_OK(hp_scope_exit(inner));
    CHECK(hp_scope_depth() == depth + 1);
    CHECK(int_of(NULL, "nest.x") == 1); /* rolled back */
    CHECK_STATUS(int_status(NULL, "nest.z"), HP_NOT_FOUND);
    CHECK_STATUS(int_status(NULL, "nest.w"), HP_NOT_FOUND);

    /* The generation counter moves on every write to the scope itself, and on clear. */
    generation = hp_scope_generation(outer);
    CHECK(generation != NULL);
    before = *generation;
    CHECK_OK(hp_set_i64(outer, KEY("nest.x"), 10));
    CHECK(*generation > before);
    before = *generation;
    CHECK_OK(hp_set_i64(inner, KEY("nest.x"), 11)); /* a child's write is not the parent's */
    CHECK(*generation == before);
    CHECK_OK(hp_scope_clear(NULL));
    CHECK(*generation > before);
    CHECK_STATUS(int_status(NULL, "nest.x"), HP_NOT_FOUND);

    CHECK_OK(hp_scope_exit(outer));
    CHECK(hp_scope_depth() == depth);
    CHECK_STATUS(int_status(NULL, "nest.y"), HP_NOT_FOUND);
    hp_scope_free(inner);
    hp_scope_free(outer);
}

static void test_explicit_handles(void) {
    const size_t depth = hp_scope_depth();
    hp_scope *parent = hp_scope_new(NULL);
    hp_scope *child = hp_scope_new(parent);
    int64_t integer = 0;

    CHECK(hp_scope_depth() == depth); /* created, not entered */
    CHECK_OK(hp_set_i64(parent, KEY("h.a"), 10));
    CHECK_OK(hp_set_i64(parent, KEY("h.only_parent"), 5));
    CHECK_STATUS(int_status(NULL, "h.a"), HP_NOT_FOUND); /* not entered, so not current */
    CHECK(int_of(parent, "h.a") == 10);
    CHECK(int_of(child, "h.a") == 10);
    CHECK_OK(hp_set_i64(child, KEY("h.a"), 20));
    CHECK(int_of(parent, "h.a") == 10);
    CHECK(int_of(child, "h.a") == 20);

    CHECK_OK(hp_scope_enter(child));
    CHECK(hp_scope_depth() == depth + 1);
    CHECK(int_of(NULL, "h.a") == 20);
    CHECK_OK(hp_get_i64_by_hash(hash_of("h.a"), &integer));
    CHECK(integer == 20);
    CHECK_OK(hp_scope_enter(parent)); /* any scope can be entered, e.g. one made elsewhere */
    CHECK(int_of(NULL, "h.a") == 10);
    CHECK_OK(hp_scope_exit(parent));
    CHECK_OK(hp_scope_exit(child));
    CHECK(hp_scope_depth() == depth);
    CHECK_STATUS(int_status(NULL, "h.a"), HP_NOT_FOUND);

    /* A child keeps its parent alive after the parent's handle is gone. */
    hp_scope_free(parent);
    CHECK(int_of(child, "h.only_parent") == 5);
    hp_scope_free(child);
}

static void test_empty_scope(void) {
    hp_scope *outer = hp_scope_push();
    hp_scope *empty = hp_scope_new_empty();
    hp_string keys = {NULL, 0};
    int64_t integer = 0;

    CHECK_OK(hp_set_i64(NULL, KEY("e.shared"), 1));
    CHECK_OK(hp_scope_enter(empty));
    CHECK_STATUS(int_status(NULL, "e.shared"), HP_NOT_FOUND);
    CHECK_STATUS(hp_get_i64_by_hash(hash_of("e.shared"), &integer), HP_NOT_FOUND);
    CHECK_OK(hp_keys(NULL, &keys));
    CHECK(keys.ptr == NULL && keys.len == 0);
    CHECK_OK(hp_set_i64(NULL, KEY("e.own"), 5));
    CHECK(int_of(NULL, "e.own") == 5);
    CHECK_OK(hp_scope_exit(empty));
    CHECK(int_of(NULL, "e.shared") == 1);
    CHECK_STATUS(int_status(NULL, "e.own"), HP_NOT_FOUND);
    CHECK_OK(hp_scope_exit(outer));
    hp_scope_free(empty);
    hp_scope_free(outer);
}

static void test_keys(void) {
    hp_scope *outer = hp_scope_push();
    hp_scope *inner;
    hp_string keys = {NULL, 0};

    CHECK_OK(hp_set_i64(NULL, KEY("b.y"), 1));
    CHECK_OK(hp_set_i64(NULL, KEY("a.x"), 1));
    CHECK_OK(hp_set_i64(NULL, KEY("c"), 1));
    inner = hp_scope_push();
    CHECK_OK(hp_set_i64(NULL, KEY("a.z"), 1));
    CHECK_OK(hp_set_i64(NULL, KEY("a.x"), 2)); /* shadowing does not list a key twice */
    CHECK_OK(hp_keys(NULL, &keys));
    CHECK(string_is(keys, "a.x\na.z\nb.y\nc"));
    CHECK_OK(hp_keys(outer, &keys));
    CHECK(string_is(keys, "a.x\nb.y\nc"));
    CHECK_OK(hp_scope_exit(inner));
    CHECK_OK(hp_scope_exit(outer));
    hp_scope_free(inner);
    hp_scope_free(outer);
}

static void test_set_parsed(void) {
    hp_scope *scope = hp_scope_push();
    hp_scope *handle = hp_scope_new(NULL);
    hp_value value;
    hp_string source = {NULL, 0};

    CHECK_OK(hp_set_parsed(NULL, KEY("train.lr=0.01")));
    CHECK_OK(hp_get(NULL, KEY("train.lr"), &value));
    CHECK(value.kind == HP_KIND_FLOAT && value.number == 0.01);
    CHECK_OK(hp_set_parsed(NULL, KEY("train.bs=64")));
    CHECK_OK(hp_get(NULL, KEY("train.bs"), &value));
    CHECK(value.kind == HP_KIND_INT && value.integer == 64);
    CHECK_OK(hp_set_parsed(NULL, KEY("train.flag=True")));
    CHECK_OK(hp_get(NULL, KEY("train.flag"), &value));
    CHECK(value.kind == HP_KIND_BOOL && value.boolean);
    CHECK_OK(hp_set_parsed(NULL, KEY("train.opt=adam")));
    CHECK(str_of_is(NULL, "train.opt", "adam"));
    CHECK_OK(hp_set_parsed(NULL, KEY("train.none=null")));
    CHECK_OK(hp_get(NULL, KEY("train.none"), &value));
    CHECK(value.kind == HP_KIND_NULL);
    CHECK_OK(hp_set_parsed(NULL, KEY(" train.spaced = 5")));
    CHECK(int_of(NULL, "train.spaced") == 5);
    CHECK_OK(hp_set_parsed(NULL, KEY("train.expr=a=b"))); /* split at the first '=' */
    CHECK(str_of_is(NULL, "train.expr", "a=b"));

    CHECK_OK(hp_get_source(NULL, KEY("train.lr"), &source));
    CHECK(string_is(source, "key=value")); /* as hp.scope("train.lr=0.01") in Python */

    CHECK_STATUS(hp_set_parsed(NULL, KEY("train.lr")), HP_INVALID_ARGUMENT);
    CHECK_ERROR_MENTIONS("key=value");
    CHECK_STATUS(hp_set_parsed(NULL, KEY("a..b=1")), HP_INVALID_KEY);
    CHECK_ERROR_MENTIONS("a..b");

    CHECK_OK(hp_set_parsed(handle, KEY("only.handle=1")));
    CHECK(int_of(handle, "only.handle") == 1);
    CHECK_STATUS(int_status(NULL, "only.handle"), HP_NOT_FOUND);

    CHECK_OK(hp_scope_exit(scope));
    hp_scope_free(handle);
    hp_scope_free(scope);
}

static void test_source(void) {
    hp_scope *outer = hp_scope_push();
    hp_scope *inner;
    hp_string source = {NULL, 0};

    CHECK_OK(hp_set_f64(NULL, KEY("src.lr"), 0.1));
    CHECK_OK(hp_get_source(NULL, KEY("src.lr"), &source));
    CHECK(source.ptr == NULL && source.len == 0); /* set from code, no label */
    CHECK_OK(hp_set_source(NULL, KEY("src.lr"), KEY("config.yaml:train.lr")));
    CHECK_OK(hp_get_source(NULL, KEY("src.lr"), &source));
    CHECK(string_is(source, "config.yaml:train.lr"));
    {
        double number = 0; /* labelling keeps the value */
        CHECK_OK(hp_get_f64(NULL, KEY("src.lr"), &number));
        CHECK(number == 0.1);
    }
    CHECK_STATUS(hp_set_source(NULL, KEY("src.missing"), KEY("x")), HP_NOT_FOUND);
    CHECK_ERROR_MENTIONS("src.missing");

    inner = hp_scope_push();
    CHECK_OK(hp_get_source(NULL, KEY("src.lr"), &source)); /* provenance is read through parents */
    CHECK(string_is(source, "config.yaml:train.lr"));
    /* ... but only the scope holding a value can relabel it, and relabelling never copies it. */
    CHECK_STATUS(hp_set_source(NULL, KEY("src.lr"), KEY("elsewhere")), HP_NOT_FOUND);
    CHECK_OK(hp_set_f64(outer, KEY("src.lr"), 0.3));
    {
        double number = 0;
        CHECK_OK(hp_get_f64(NULL, KEY("src.lr"), &number));
        CHECK(number == 0.3);
    }
    CHECK_OK(hp_set_source(outer, KEY("src.lr"), KEY("config.yaml:train.lr")));
    CHECK_OK(hp_set_f64(NULL, KEY("src.lr"), 0.2)); /* a new value has a new (empty) source */
    CHECK_OK(hp_get_source(NULL, KEY("src.lr"), &source));
    CHECK(source.ptr == NULL && source.len == 0);
    CHECK_OK(hp_scope_exit(inner));
    CHECK_OK(hp_get_source(NULL, KEY("src.lr"), &source));
    CHECK(string_is(source, "config.yaml:train.lr"));

    CHECK_OK(hp_scope_exit(outer));
    hp_scope_free(inner);
    hp_scope_free(outer);
}

static void test_by_hash_and_defaults(void) {
    hp_scope *scope = hp_scope_push();
    bool flag = false;
    double number = 0;
    int64_t integer = 0;
    hp_string text = {NULL, 0};

    CHECK_OK(hp_set_i64(NULL, KEY("fast.n"), 5));
    CHECK_OK(hp_set_str(NULL, KEY("fast.s"), KEY("on")));
    CHECK_OK(hp_set_str(NULL, KEY("fast.bad"), KEY("abc")));

    CHECK_OK(hp_get_i64_by_hash(hash_of("fast.n"), &integer));
    CHECK(integer == 5);
    CHECK_OK(hp_get_f64_by_hash(hash_of("fast.n"), &number));
    CHECK(number == 5.0);
    CHECK_OK(hp_get_bool_by_hash(hash_of("fast.s"), &flag));
    CHECK(flag);
    CHECK_OK(hp_get_str_by_hash(hash_of("fast.n"), &text));
    CHECK(string_is(text, "5"));
    CHECK_STATUS(hp_get_i64_by_hash(hash_of("fast.missing"), &integer), HP_NOT_FOUND);
    CHECK_STATUS(hp_get_i64_by_hash(hash_of("fast.bad"), &integer), HP_TYPE_MISMATCH);
    CHECK_ERROR_MENTIONS("fast.bad"); /* the stored key text names the parameter */

    CHECK(hp_get_i64_or(hash_of("fast.n"), 9) == 5);
    CHECK(hp_get_i64_or(hash_of("fast.missing"), 9) == 9);
    CHECK(hp_get_f64_or(hash_of("fast.missing"), 2.5) == 2.5);
    CHECK(hp_get_bool_or(hash_of("fast.s"), false) == true);
    CHECK(hp_get_i64_or(hash_of("fast.bad"), 9) == 9); /* documented: default, and ... */
    CHECK_ERROR_MENTIONS("cannot convert \"abc\" to int"); /* ... the error says why */

    CHECK_OK(hp_scope_exit(scope));
    hp_scope_free(scope);
}

/* The hooks a host runtime (Python's asyncio) uses to keep its own current scope per task. */
static void test_host_runtime_hooks(void) {
    hp_scope *task = hp_scope_new(NULL);
    hp_scope *pushed;
    hp_scope *root = hp_scope_thread_root();
    hp_scope *fresh = hp_scope_new_root();
    hp_value value;

    CHECK_OK(hp_set_i64(task, KEY("task.x"), 1));
    hp_scope_activate(task);
    CHECK(hp_scope_depth() == 0); /* activation is not an entered scope */
    CHECK(int_of(NULL, "task.x") == 1);
    pushed = hp_scope_push(); /* natively entered scopes stack on top of the activated one */
    CHECK(int_of(NULL, "task.x") == 1);
    CHECK_OK(hp_set_i64(NULL, KEY("task.x"), 2));
    CHECK(int_of(NULL, "task.x") == 2);
    CHECK_OK(hp_scope_exit(pushed));
    hp_scope_free(pushed);
    CHECK(int_of(NULL, "task.x") == 1);
    hp_scope_activate(NULL);
    CHECK_STATUS(int_status(NULL, "task.x"), HP_NOT_FOUND);
    CHECK(int_of(task, "task.x") == 1);

    /* The thread root is what the thread sees outside every scope. */
    CHECK_OK(hp_set_i64(root, KEY("root.y"), 3));
    CHECK(int_of(NULL, "root.y") == 3);
    CHECK_STATUS(int_status(fresh, "root.y"), HP_NOT_FOUND); /* a new root is not this thread's */
    CHECK_OK(hp_scope_clear(root));
    CHECK_STATUS(int_status(NULL, "root.y"), HP_NOT_FOUND);

    /* hp_parse_value applies hp_set_parsed's typing without storing anything. */
    CHECK_OK(hp_parse_value(KEY("64"), &value));
    CHECK(value.kind == HP_KIND_INT && value.integer == 64);
    CHECK_OK(hp_parse_value(KEY("5e-4"), &value));
    CHECK(value.kind == HP_KIND_FLOAT && value.number == 5e-4);
    CHECK_OK(hp_parse_value(KEY("false"), &value));
    CHECK(value.kind == HP_KIND_BOOL && !value.boolean);
    CHECK_OK(hp_parse_value(KEY("nan"), &value)); /* a word stays text */
    CHECK(value.kind == HP_KIND_STR && value.string.len == 3);
    hp_value_clear(&value);

    hp_scope_free(fresh);
    hp_scope_free(root);
    hp_scope_free(task);
}

/* The write hook: a host that mirrors its scopes hears what native code writes into them. */
static struct {
    int calls;
    uint64_t tag;
    char key[64];
    int cleared;
    int64_t value_seen; /* read back from inside the hook, as a host does */
} heard;

static hp_scope *heard_scope;

static void record_write(uint64_t tag, const char *key, size_t key_len) {
    heard.calls++;
    heard.tag = tag;
    heard.cleared = key == NULL && key_len == 0;
    if (key != NULL && key_len < sizeof heard.key) {
        memcpy(heard.key, key, key_len);
        heard.key[key_len] = '\0';
        if (hp_get_i64(heard_scope, key, key_len, &heard.value_seen) != HP_OK) heard.value_seen = -1;
    }
}

static void *write_from_thread(void *scope) {
    CHECK_OK(hp_set_i64((hp_scope *)scope, KEY("w.thread"), 5));
    return NULL;
}

static void test_write_hook(void) {
    hp_scope *watched = hp_scope_new(NULL);
    hp_scope *other = hp_scope_new(NULL);
    heard_scope = watched;
    hp_host_write_register(record_write);

    CHECK_OK(hp_set_i64(watched, KEY("w.before"), 1)); /* not watched yet: nothing heard */
    CHECK(heard.calls == 0);
    CHECK_OK(hp_scope_watch(watched, 42));
    CHECK_OK(hp_set_i64(watched, KEY("w.x"), 7));
    CHECK(heard.calls == 1 && heard.tag == 42 && strcmp(heard.key, "w.x") == 0 && heard.value_seen == 7);
    CHECK_OK(hp_set_source(watched, KEY("w.x"), KEY("-D")));
    CHECK(heard.calls == 2 && strcmp(heard.key, "w.x") == 0);
    CHECK_OK(hp_set_i64(other, KEY("w.x"), 8)); /* another scope: not reported */
    CHECK(heard.calls == 2);

    /* Writes through the current scope reach the hook when the watched scope is current. */
    hp_scope_activate(watched);
    CHECK_OK(hp_set_i64(NULL, KEY("w.y"), 9));
    CHECK(heard.calls == 3 && strcmp(heard.key, "w.y") == 0 && heard.value_seen == 9);
    hp_scope_activate(NULL);

    /* A write from another thread is not reported (the host could be waiting for it). */
    {
        pthread_t thread;
        CHECK(pthread_create(&thread, NULL, write_from_thread, watched) == 0);
        CHECK(pthread_join(thread, NULL) == 0);
        CHECK(int_of(watched, "w.thread") == 5);
        CHECK(heard.calls == 3);
    }

    /* A failed write is not reported. */
    CHECK_STATUS(hp_set_i64(watched, KEY("w..bad"), 1), HP_INVALID_KEY);
    CHECK(heard.calls == 3);

    CHECK_OK(hp_scope_clear(watched));
    CHECK(heard.calls == 4 && heard.cleared);

    CHECK_OK(hp_scope_watch(watched, 0)); /* 0 stops reporting */
    CHECK_OK(hp_set_i64(watched, KEY("w.z"), 1));
    CHECK(heard.calls == 4);
    CHECK_STATUS(hp_scope_watch(NULL, 1), HP_NULL_POINTER);

    hp_host_write_register(NULL);
    hp_scope_free(other);
    hp_scope_free(watched);
}

/* ------------------------------------------------------------------------------------------ */
/* Threads and the frozen baseline */

struct thread_view {
    int32_t base_status;
    double base_lr;
    int32_t base_by_hash_status;
    double base_by_hash;
    int32_t live_status; /* a key only the parent's live scope sets */
    int64_t shared;      /* set in the baseline and overridden in the parent's live scope */
    size_t depth;
    int32_t own_status;
};

static void *read_from_new_thread(void *arg) {
    struct thread_view *view = (struct thread_view *)arg;
    hp_scope *scope;
    view->depth = hp_scope_depth();
    view->base_status = hp_get_f64(NULL, KEY("base.lr"), &view->base_lr);
    {
        uint64_t hash = 0;
        hp_hash(KEY("base.lr"), &hash);
        view->base_by_hash_status = hp_get_f64_by_hash(hash, &view->base_by_hash);
    }
    view->live_status = int_status(NULL, "live.only");
    view->shared = -1;
    hp_get_i64(NULL, KEY("base.shared"), &view->shared);
    /* The thread's own writes stay its own. */
    scope = hp_scope_push();
    hp_set_i64(NULL, KEY("thread.own"), 3);
    view->own_status = int_status(NULL, "thread.own");
    hp_scope_exit(scope);
    hp_scope_free(scope);
    return NULL;
}

struct late_reader {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int stage; /* 0: thread started and read, 1: main froze a new baseline, 2: thread read again */
    double before;
    double after;
};

static void *read_before_and_after_freeze(void *arg) {
    struct late_reader *r = (struct late_reader *)arg;
    r->before = -1;
    r->after = -1;
    hp_get_f64(NULL, KEY("base.lr"), &r->before);
    pthread_mutex_lock(&r->lock);
    r->stage = 0;
    pthread_cond_broadcast(&r->changed);
    while (r->stage != 1) pthread_cond_wait(&r->changed, &r->lock);
    pthread_mutex_unlock(&r->lock);
    hp_get_f64(NULL, KEY("base.lr"), &r->after);
    return NULL;
}

static void test_frozen_and_threads(void) {
    hp_scope *outer = hp_scope_push();
    hp_scope *inner;
    hp_scope *empty;
    struct thread_view view;
    struct late_reader late;
    pthread_t thread;
    double number = 0;

    const uint64_t *published = hp_baseline_generation();
    const uint64_t generation = *published;

    CHECK_OK(hp_set_f64(NULL, KEY("base.lr"), 0.5));
    CHECK_OK(hp_set_i64(NULL, KEY("base.shared"), 1));
    CHECK_OK(hp_frozen());
    CHECK(*published == generation + 1);

    inner = hp_scope_push();
    CHECK_OK(hp_set_i64(NULL, KEY("live.only"), 7));
    CHECK_OK(hp_set_i64(NULL, KEY("base.shared"), 2));

    memset(&view, 0, sizeof view);
    CHECK(pthread_create(&thread, NULL, read_from_new_thread, &view) == 0);
    CHECK(pthread_join(thread, NULL) == 0);
    CHECK(view.depth == 0);
    CHECK_STATUS(view.base_status, HP_OK);
    CHECK(view.base_lr == 0.5);
    CHECK_STATUS(view.base_by_hash_status, HP_OK);
    CHECK(view.base_by_hash == 0.5);
    CHECK_STATUS(view.live_status, HP_NOT_FOUND);
    CHECK(view.shared == 1); /* the baseline, not the parent's live override */
    CHECK_STATUS(view.own_status, HP_OK);
    CHECK_STATUS(int_status(NULL, "thread.own"), HP_NOT_FOUND);
    CHECK(int_of(NULL, "base.shared") == 2);
    CHECK(int_of(NULL, "live.only") == 7);

    CHECK_OK(hp_scope_exit(inner));
    CHECK_OK(hp_scope_exit(outer));
    hp_scope_free(inner);
    hp_scope_free(outer);

    /* The baseline is read live, by this thread's root scope too. */
    CHECK_OK(hp_get_f64(NULL, KEY("base.lr"), &number));
    CHECK(number == 0.5);
    CHECK_OK(hp_get_f64_by_hash(hash_of("base.lr"), &number));
    CHECK(number == 0.5);

    /* A thread already running sees a baseline published after it started. */
    memset(&late, 0, sizeof late);
    late.stage = -1;
    pthread_mutex_init(&late.lock, NULL);
    pthread_cond_init(&late.changed, NULL);
    CHECK(pthread_create(&thread, NULL, read_before_and_after_freeze, &late) == 0);
    pthread_mutex_lock(&late.lock);
    while (late.stage != 0) pthread_cond_wait(&late.changed, &late.lock);
    pthread_mutex_unlock(&late.lock);
    outer = hp_scope_push();
    CHECK_OK(hp_set_f64(NULL, KEY("base.lr"), 0.25));
    CHECK_OK(hp_frozen());
    CHECK_OK(hp_scope_exit(outer));
    hp_scope_free(outer);
    pthread_mutex_lock(&late.lock);
    late.stage = 1;
    pthread_cond_broadcast(&late.changed);
    pthread_mutex_unlock(&late.lock);
    CHECK(pthread_join(thread, NULL) == 0);
    CHECK(late.before == 0.5);
    CHECK(late.after == 0.25);
    pthread_mutex_destroy(&late.lock);
    pthread_cond_destroy(&late.changed);

    /* An empty scope sees no baseline; freezing from inside one publishes an empty baseline. */
    empty = hp_scope_new_empty();
    CHECK_OK(hp_scope_enter(empty));
    CHECK_STATUS(hp_get_f64(NULL, KEY("base.lr"), &number), HP_NOT_FOUND);
    CHECK_OK(hp_frozen());
    CHECK_OK(hp_scope_exit(empty));
    hp_scope_free(empty);
    CHECK_STATUS(hp_get_f64(NULL, KEY("base.lr"), &number), HP_NOT_FOUND);
}

/* ------------------------------------------------------------------------------------------ */
/* Host objects */

struct host_object {
    int released;
};

static void release_host(void *object) {
    ((struct host_object *)object)->released += 1;
}

static void *hold_host_and_exit_thread(void *arg) {
    /* The thread ends with its scope still entered: the library must release what it holds. */
    hp_scope *scope = hp_scope_push();
    hp_set_host(NULL, KEY("thread.host"), arg, release_host);
    hp_scope_free(scope);
    return NULL;
}

static void test_host_objects(void) {
    const size_t start = hp_live_host_objects();
    struct host_object first = {0}, second = {0}, third = {0}, unused = {0}, orphan = {0};
    hp_scope *scope = hp_scope_push();
    hp_scope *child;
    hp_value value;
    int64_t integer = 0;
    pthread_t thread;

    CHECK_OK(hp_set_host(NULL, KEY("host.model"), &first, release_host));
    CHECK(hp_live_host_objects() == start + 1);
    CHECK_OK(hp_get(NULL, KEY("host.model"), &value));
    CHECK(value.kind == HP_KIND_HOST && value.host == &first);
    CHECK_STATUS(hp_get_i64(NULL, KEY("host.model"), &integer), HP_TYPE_MISMATCH);
    CHECK_ERROR_MENTIONS("host.model");

    /* Readers in child scopes borrow the same object; no copy, no release. */
    child = hp_scope_push();
    CHECK_OK(hp_get(NULL, KEY("host.model"), &value));
    CHECK(value.host == &first);
    CHECK_OK(hp_scope_exit(child));
    hp_scope_free(child);
    CHECK(first.released == 0);

    /* Overwriting releases the old object once. */
    CHECK_OK(hp_set_host(NULL, KEY("host.model"), &second, release_host));
    CHECK(first.released == 1 && second.released == 0);
    CHECK_OK(hp_set_i64(NULL, KEY("host.model"), 5));
    CHECK(second.released == 1);
    CHECK(hp_live_host_objects() == start);

    /* A refused write leaves the object with the caller. */
    CHECK_STATUS(hp_set_host(NULL, KEY("host..bad"), &unused, release_host), HP_INVALID_KEY);
    CHECK(unused.released == 0);
    CHECK(hp_live_host_objects() == start);

    /* Objects without a callback are counted and simply forgotten. */
    CHECK_OK(hp_set_host(NULL, KEY("host.plain"), &unused, NULL));
    CHECK(hp_live_host_objects() == start + 1);

    /* Exiting is not the end: the handle still holds the scope, and its values. */
    CHECK_OK(hp_set_host(NULL, KEY("host.last"), &third, release_host));
    CHECK_OK(hp_scope_exit(scope));
    CHECK(third.released == 0);
    CHECK(hp_live_host_objects() == start + 2);
    hp_scope_free(scope);
    CHECK(third.released == 1);
    CHECK(hp_live_host_objects() == start);

    /* hp_scope_clear releases what the scope holds. */
    scope = hp_scope_new(NULL);
    CHECK_OK(hp_set_host(scope, KEY("host.cleared"), &first, release_host));
    CHECK_OK(hp_scope_clear(scope));
    CHECK(first.released == 2);
    hp_scope_free(scope);

    /* A thread that dies inside a scope does not leak it. */
    CHECK(pthread_create(&thread, NULL, hold_host_and_exit_thread, &orphan) == 0);
    CHECK(pthread_join(thread, NULL) == 0);
    CHECK(orphan.released == 1);
    CHECK(hp_live_host_objects() == start);
    CHECK(first.released == 2 && second.released == 1 && third.released == 1 && unused.released == 0);
}

/* A release callback may call back into the library, whatever frees its object. The hardest
 * case: the object is held only by an old baseline, freed when this thread next reads through
 * the baseline; the callback then reads, enters and exits scopes itself. */
struct reentry {
    int released;
    int32_t read_status;
    int64_t read_value;
    int32_t miss_status;
    int32_t exit_status;
    size_t depth;
};

static void release_and_reenter(void *object) {
    struct reentry *r = (struct reentry *)object;
    hp_scope *scope;
    r->released += 1;
    r->read_status = hp_get_i64(NULL, KEY("reentry.outer"), &r->read_value);
    r->miss_status = hp_get_i64_by_hash(hash_of("reentry.missing"), &r->read_value);
    scope = hp_scope_push();
    hp_set_i64(NULL, KEY("reentry.inner"), 1);
    r->depth = hp_scope_depth();
    r->exit_status = hp_scope_exit(scope);
    hp_scope_free(scope);
}

static void test_release_callback_can_reenter(void) {
    struct reentry r;
    hp_scope *published = hp_scope_push();
    hp_scope *outer;
    hp_scope *empty;
    int64_t integer = 0;
    const size_t live = hp_live_host_objects();

    memset(&r, 0, sizeof r);
    r.read_value = -1;
    CHECK_OK(hp_set_host(NULL, KEY("reentry.obj"), &r, release_and_reenter));
    CHECK_OK(hp_frozen()); /* the baseline holds the object too */
    CHECK_OK(hp_scope_exit(published));
    hp_scope_free(published);
    CHECK_STATUS(hp_get_i64(NULL, KEY("reentry.nothing"), &integer), HP_NOT_FOUND);
    CHECK(r.released == 0); /* this thread's baseline cache holds it */

    empty = hp_scope_new_empty();
    CHECK_OK(hp_scope_enter(empty));
    CHECK_OK(hp_frozen()); /* publish an empty baseline: the old one lives in thread caches */
    CHECK_OK(hp_scope_exit(empty));
    hp_scope_free(empty);

    outer = hp_scope_push();
    CHECK_OK(hp_set_i64(NULL, KEY("reentry.outer"), 42));
    CHECK(r.released == 0);
    /* This read refreshes the thread's baseline cache, which frees the old baseline. */
    CHECK_STATUS(hp_get_i64_by_hash(hash_of("reentry.absent"), &integer), HP_NOT_FOUND);
    CHECK(r.released == 1);
    CHECK_STATUS(r.read_status, HP_OK);
    CHECK(r.read_value == 42 || r.read_value == -1);
    CHECK_STATUS(r.miss_status, HP_NOT_FOUND);
    CHECK_STATUS(r.exit_status, HP_OK);
    CHECK(r.depth == hp_scope_depth() + 1);
    CHECK_OK(hp_get_i64(NULL, KEY("reentry.outer"), &integer));
    CHECK(integer == 42);
    CHECK_STATUS(hp_get_i64(NULL, KEY("reentry.inner"), &integer), HP_NOT_FOUND);
    CHECK_OK(hp_scope_exit(outer));
    hp_scope_free(outer);
    CHECK(hp_live_host_objects() == live);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s HASH_VECTORS_FILE\n", argv[0]);
        return 2;
    }
    test_abi_and_status_names();
    test_hash_vectors(argv[1]);
    test_every_kind();
    test_conversions();
    test_nested_scopes_and_rollback();
    test_explicit_handles();
    test_empty_scope();
    test_keys();
    test_set_parsed();
    test_source();
    test_by_hash_and_defaults();
    test_host_runtime_hooks();
    test_write_hook();
    test_frozen_and_threads();
    test_host_objects();
    test_release_callback_can_reenter();
    CHECK(hp_scope_depth() == 0);
    return check_finish("test_c_api");
}
