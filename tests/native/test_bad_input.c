/*
 * Bad input through the C ABI: every call must return its documented status, explain itself
 * in hp_last_error(), leave out-parameters and state untouched, and never crash.
 *
 * State is watched through a "guard" scope entered at the start: after every refused call the
 * thread's depth, the visible keys and a sentinel value must be exactly as before.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdbool.h>

#include "check.h"

static size_t expected_depth;
static char expected_keys[256];

static void snapshot_state(void) {
    hp_string keys = {NULL, 0};
    expected_depth = hp_scope_depth();
    CHECK_OK(hp_keys(NULL, &keys));
    CHECK(keys.len < sizeof expected_keys);
    memcpy(expected_keys, keys.ptr ? keys.ptr : "", keys.len);
    expected_keys[keys.len] = '\0';
    hp_string_free(keys);
}

static int state_unchanged(void) {
    hp_string keys = {NULL, 0};
    int64_t sentinel = 0;
    int same = hp_scope_depth() == expected_depth;
    same = same && hp_get_i64(NULL, KEY("state.sentinel"), &sentinel) == HP_OK && sentinel == 7;
    same = same && hp_keys(NULL, &keys) == HP_OK && keys.len == strlen(expected_keys) &&
           (keys.len == 0 || memcmp(keys.ptr, expected_keys, keys.len) == 0);
    hp_string_free(keys);
    return same;
}

/* The refused call, its status, a fragment its message must contain, and no change of state. */
#define REFUSED(call, status, fragment)          \
    do {                                         \
        CHECK_STATUS(call, status);              \
        CHECK_ERROR_MENTIONS(fragment);          \
        CHECK(state_unchanged());                \
    } while (0)

/* ------------------------------------------------------------------------------------------ */

static void test_null_pointers(void) {
    hp_scope *scope = hp_scope_new(NULL);
    hp_value value;
    hp_string text = {NULL, 0};
    uint64_t hash = 0;
    uint64_t sentinel_hash = 0;
    uint64_t flag_hash = 0;
    bool flag = false;
    int64_t integer = 0;
    double number = 0;

    CHECK_OK(hp_hash(KEY("state.sentinel"), &sentinel_hash));
    CHECK_OK(hp_hash(KEY("state.flag"), &flag_hash));

    REFUSED(hp_hash(NULL, 3, &hash), HP_NULL_POINTER, "key is NULL");
    REFUSED(hp_hash(NULL, 0, &hash), HP_NULL_POINTER, "key is NULL");
    REFUSED(hp_hash(KEY("a"), NULL), HP_NULL_POINTER, "output pointer is NULL");
    REFUSED(hp_key_check(NULL, 1), HP_NULL_POINTER, "key is NULL");

    REFUSED(hp_scope_enter(NULL), HP_NULL_POINTER, "scope is NULL");
    REFUSED(hp_scope_exit(NULL), HP_NULL_POINTER, "scope is NULL");
    REFUSED(hp_keys(NULL, NULL), HP_NULL_POINTER, "output pointer is NULL");
    REFUSED(hp_keys(scope, NULL), HP_NULL_POINTER, "output pointer is NULL");
    CHECK(hp_scope_generation(NULL) == NULL);

    REFUSED(hp_set_null(NULL, NULL, 1), HP_NULL_POINTER, "key is NULL");
    REFUSED(hp_set_bool(NULL, NULL, 1, true), HP_NULL_POINTER, "key is NULL");
    REFUSED(hp_set_i64(NULL, NULL, 1, 1), HP_NULL_POINTER, "key is NULL");
    REFUSED(hp_set_f64(NULL, NULL, 1, 1.0), HP_NULL_POINTER, "key is NULL");
    REFUSED(hp_set_str(NULL, NULL, 1, KEY("v")), HP_NULL_POINTER, "key is NULL");
    REFUSED(hp_set_str(NULL, KEY("state.sentinel"), NULL, 0), HP_NULL_POINTER, "value is NULL");
    REFUSED(hp_set_str(NULL, KEY("state.sentinel"), NULL, 5), HP_NULL_POINTER, "value is NULL");
    REFUSED(hp_set_host(NULL, NULL, 1, &flag, NULL), HP_NULL_POINTER, "key is NULL");
    REFUSED(hp_set_parsed(NULL, NULL, 3), HP_NULL_POINTER, "definition is NULL");
    REFUSED(hp_set_source(NULL, NULL, 1, KEY("s")), HP_NULL_POINTER, "key is NULL");
    REFUSED(hp_set_source(NULL, KEY("state.sentinel"), NULL, 1), HP_NULL_POINTER, "source is NULL");

    REFUSED(hp_get(NULL, NULL, 1, &value), HP_NULL_POINTER, "key is NULL");
    REFUSED(hp_get(NULL, KEY("state.sentinel"), NULL), HP_NULL_POINTER, "output pointer is NULL");
    REFUSED(hp_get(NULL, KEY("state.text"), NULL), HP_NULL_POINTER, "output pointer is NULL");
    REFUSED(hp_get_bool(NULL, NULL, 1, &flag), HP_NULL_POINTER, "key is NULL");
    REFUSED(hp_get_bool(NULL, KEY("state.flag"), NULL), HP_NULL_POINTER, "output pointer is NULL");
    REFUSED(hp_get_i64(NULL, NULL, 1, &integer), HP_NULL_POINTER, "key is NULL");
    REFUSED(hp_get_i64(NULL, KEY("state.sentinel"), NULL), HP_NULL_POINTER, "output pointer is NULL");
    REFUSED(hp_get_f64(NULL, NULL, 1, &number), HP_NULL_POINTER, "key is NULL");
    REFUSED(hp_get_f64(NULL, KEY("state.sentinel"), NULL), HP_NULL_POINTER, "output pointer is NULL");
    REFUSED(hp_get_str(NULL, NULL, 1, &text), HP_NULL_POINTER, "key is NULL");
    REFUSED(hp_get_str(NULL, KEY("state.text"), NULL), HP_NULL_POINTER, "output pointer is NULL");
    REFUSED(hp_get_source(NULL, NULL, 1, &text), HP_NULL_POINTER, "key is NULL");
    REFUSED(hp_get_source(NULL, KEY("state.text"), NULL), HP_NULL_POINTER, "output pointer is NULL");

    /* By hash: the key exists, so only the NULL output can be the problem. */
    REFUSED(hp_get_bool_by_hash(flag_hash, NULL), HP_NULL_POINTER, "output pointer is NULL");
    REFUSED(hp_get_i64_by_hash(sentinel_hash, NULL), HP_NULL_POINTER, "output pointer is NULL");
    REFUSED(hp_get_f64_by_hash(sentinel_hash, NULL), HP_NULL_POINTER, "output pointer is NULL");
    REFUSED(hp_get_str_by_hash(sentinel_hash, NULL), HP_NULL_POINTER, "output pointer is NULL");

    memset(&value, 0, sizeof value);
    value.kind = HP_KIND_INT;
    REFUSED(hp_convert(NULL, HP_KIND_STR, &value), HP_NULL_POINTER, "value is NULL");
    REFUSED(hp_convert(&value, HP_KIND_STR, NULL), HP_NULL_POINTER, "output pointer is NULL");
    REFUSED(hp_parse_value(NULL, 1, &value), HP_NULL_POINTER, "text is NULL");
    REFUSED(hp_parse_value(KEY("1"), NULL), HP_NULL_POINTER, "output pointer is NULL");

    /* Releasing nothing is allowed and does nothing. */
    hp_scope_free(NULL);
    hp_value_clear(NULL);
    text.ptr = NULL;
    text.len = 0;
    hp_string_free(text);
    CHECK(state_unchanged());
    hp_scope_free(scope);
}

static void test_invalid_utf8(void) {
    static const char *const bad[] = {"\xff", "a.\xc3", "\xed\xa0\x80", "\xc0\xaf", "ok.\x80"};
    hp_value value;
    uint64_t hash = 0;
    int64_t integer = 0;
    size_t i;

    for (i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
        const size_t n = strlen(bad[i]);
        REFUSED(hp_key_check(bad[i], n), HP_INVALID_UTF8, "key is not valid UTF-8");
        REFUSED(hp_set_i64(NULL, bad[i], n, 1), HP_INVALID_UTF8, "key is not valid UTF-8");
        REFUSED(hp_get_i64(NULL, bad[i], n, &integer), HP_INVALID_UTF8, "key is not valid UTF-8");
        REFUSED(hp_set_str(NULL, KEY("state.sentinel"), bad[i], n), HP_INVALID_UTF8, "value is not valid UTF-8");
        REFUSED(hp_set_source(NULL, KEY("state.sentinel"), bad[i], n), HP_INVALID_UTF8, "source is not valid UTF-8");
        /* Hashing is defined on bytes, so it accepts what keys do not. */
        CHECK_OK(hp_hash(bad[i], n, &hash));
    }
    REFUSED(hp_set_parsed(NULL, KEY("state.sentinel=\xff")), HP_INVALID_UTF8, "definition is not valid UTF-8");
    REFUSED(hp_parse_value(KEY("\xc3"), &value), HP_INVALID_UTF8, "text is not valid UTF-8");

    memset(&value, 0, sizeof value);
    value.kind = HP_KIND_STR;
    value.string.ptr = (char *)"\xfe";
    value.string.len = 1;
    {
        hp_value out;
        out.kind = -1;
        REFUSED(hp_convert(&value, HP_KIND_INT, &out), HP_INVALID_UTF8, "not valid UTF-8");
        CHECK(out.kind == -1);
    }
}

static void test_invalid_keys(void) {
    static char long_key[2001];
    static char limit_key[1025];
    struct bad_key {
        const char *key;
        const char *reason;
    };
    static const struct bad_key bad[] = {
        {"", "key is empty"},
        {"a..b", "empty segment"},
        {".a", "empty segment"},
        {"a.", "empty segment"},
        {"a b", "' '"},
        {"a=b", "'='"},
        {"a\n", "'\\n'"},
        {"a/b", "'/'"},
    };
    hp_value value;
    bool flag = false;
    int64_t integer = -1;
    size_t i;

    memset(long_key, 'k', 2000);
    memset(limit_key, 'k', 1024);

    for (i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
        const char *key = bad[i].key;
        const size_t n = strlen(key);
        REFUSED(hp_key_check(key, n), HP_INVALID_KEY, bad[i].reason);
        REFUSED(hp_set_i64(NULL, key, n, 1), HP_INVALID_KEY, bad[i].reason);
        REFUSED(hp_set_null(NULL, key, n), HP_INVALID_KEY, "invalid key");
        REFUSED(hp_set_str(NULL, key, n, KEY("v")), HP_INVALID_KEY, "invalid key");
        REFUSED(hp_get(NULL, key, n, &value), HP_INVALID_KEY, bad[i].reason);
        REFUSED(hp_get_i64(NULL, key, n, &integer), HP_INVALID_KEY, "invalid key");
        REFUSED(hp_get_bool(NULL, key, n, &flag), HP_INVALID_KEY, "invalid key");
        REFUSED(hp_set_source(NULL, key, n, KEY("s")), HP_INVALID_KEY, "invalid key");
        CHECK(integer == -1);
    }
    REFUSED(hp_set_i64(NULL, long_key, 2000, 1), HP_INVALID_KEY, "2000 bytes long, the limit is 1024");
    REFUSED(hp_get_i64(NULL, long_key, 2000, &integer), HP_INVALID_KEY, "limit is 1024");
    REFUSED(hp_set_i64(NULL, limit_key, 1025, 1), HP_INVALID_KEY, "1025 bytes long");
    CHECK_OK(hp_key_check(limit_key, 1024)); /* the limit itself is allowed */

    REFUSED(hp_set_parsed(NULL, KEY("a b=1")), HP_INVALID_KEY, "' '");
    REFUSED(hp_set_parsed(NULL, KEY("=1")), HP_INVALID_KEY, "key is empty");
    REFUSED(hp_set_parsed(NULL, KEY("no equals sign")), HP_INVALID_ARGUMENT, "expected key=value");
    {
        int released = 0;
        const size_t live = hp_live_host_objects();
        REFUSED(hp_set_host(NULL, KEY("a..b"), &released, NULL), HP_INVALID_KEY, "empty segment");
        CHECK(hp_live_host_objects() == live);
    }
    /* A key that is valid but unset is "not found", never "invalid". */
    REFUSED(hp_get_i64(NULL, KEY("valid.but.unset"), &integer), HP_NOT_FOUND, "valid.but.unset");
    REFUSED(hp_set_source(NULL, KEY("valid.but.unset"), KEY("s")), HP_NOT_FOUND, "valid.but.unset");
}

/* ------------------------------------------------------------------------------------------ */

static int host_released = 0;

static void count_release(void *object) {
    (void)object;
    ++host_released;
}

static void test_wrong_type_reads(void) {
    hp_scope *scope = hp_scope_push();
    hp_value in, out;
    hp_string text = {NULL, 0};
    uint64_t host_hash = 0, abc_hash = 0;
    bool flag = false;
    int64_t integer = -1;
    double number = -1;

    CHECK_OK(hp_set_host(NULL, KEY("wrong.host"), &integer, count_release));
    CHECK_OK(hp_set_str(NULL, KEY("wrong.abc"), KEY("abc")));
    CHECK_OK(hp_set_str(NULL, KEY("wrong.text35"), KEY("3.5")));
    CHECK_OK(hp_set_f64(NULL, KEY("wrong.f35"), 3.5));
    CHECK_OK(hp_set_null(NULL, KEY("wrong.null")));
    CHECK_OK(hp_set_i64(NULL, KEY("wrong.two"), 2));
    snapshot_state();

    REFUSED(hp_get_i64(NULL, KEY("wrong.host"), &integer), HP_TYPE_MISMATCH, "parameter \"wrong.host\": cannot convert <host object");
    CHECK_ERROR_MENTIONS("to int");
    REFUSED(hp_get_bool(NULL, KEY("wrong.host"), &flag), HP_TYPE_MISMATCH, "to bool");
    REFUSED(hp_get_f64(NULL, KEY("wrong.host"), &number), HP_TYPE_MISMATCH, "to float");
    REFUSED(hp_get_str(NULL, KEY("wrong.host"), &text), HP_TYPE_MISMATCH, "to str");
    REFUSED(hp_get_i64(NULL, KEY("wrong.abc"), &integer), HP_TYPE_MISMATCH, "parameter \"wrong.abc\": cannot convert \"abc\" to int");
    REFUSED(hp_get_f64(NULL, KEY("wrong.abc"), &number), HP_TYPE_MISMATCH, "\"abc\" to float");
    REFUSED(hp_get_bool(NULL, KEY("wrong.abc"), &flag), HP_TYPE_MISMATCH, "\"abc\" to bool");
    REFUSED(hp_get_i64(NULL, KEY("wrong.text35"), &integer), HP_TYPE_MISMATCH, "cannot convert \"3.5\" to int");
    REFUSED(hp_get_i64(NULL, KEY("wrong.f35"), &integer), HP_TYPE_MISMATCH, "cannot convert 3.5 to int");
    REFUSED(hp_get_bool(NULL, KEY("wrong.two"), &flag), HP_TYPE_MISMATCH, "cannot convert 2 to bool");
    REFUSED(hp_get_i64(NULL, KEY("wrong.null"), &integer), HP_TYPE_MISMATCH, "cannot convert null to int");
    REFUSED(hp_get_str(NULL, KEY("wrong.null"), &text), HP_TYPE_MISMATCH, "null to str");
    CHECK(integer == -1 && number == -1 && !flag && text.ptr == NULL); /* outputs untouched */

    CHECK_OK(hp_hash(KEY("wrong.host"), &host_hash));
    CHECK_OK(hp_hash(KEY("wrong.abc"), &abc_hash));
    REFUSED(hp_get_i64_by_hash(host_hash, &integer), HP_TYPE_MISMATCH, "wrong.host");
    REFUSED(hp_get_str_by_hash(host_hash, &text), HP_TYPE_MISMATCH, "to str");
    REFUSED(hp_get_i64_by_hash(abc_hash, &integer), HP_TYPE_MISMATCH, "parameter \"wrong.abc\": cannot convert \"abc\" to int");
    CHECK(hp_get_i64_or(abc_hash, 42) == 42);
    CHECK_ERROR_MENTIONS("\"abc\" to int");
    CHECK(integer == -1 && text.ptr == NULL);

    memset(&in, 0, sizeof in);
    in.kind = HP_KIND_HOST;
    REFUSED(hp_convert(&in, HP_KIND_INT, &out), HP_INVALID_ARGUMENT, "cannot be converted");
    in.kind = 77;
    REFUSED(hp_convert(&in, HP_KIND_INT, &out), HP_INVALID_ARGUMENT, "value kind 77");
    in.kind = HP_KIND_INT;
    REFUSED(hp_convert(&in, HP_KIND_HOST, &out), HP_INVALID_ARGUMENT, "cannot convert to kind");

    CHECK(host_released == 0);
    CHECK_OK(hp_scope_exit(scope));
    hp_scope_free(scope);
    CHECK(host_released == 1);
}

/* ------------------------------------------------------------------------------------------ */

static void test_scope_order(void) {
    hp_scope *a = hp_scope_push();
    hp_scope *b;
    int64_t integer = 0;

    CHECK_OK(hp_set_i64(NULL, KEY("order.level"), 1));
    b = hp_scope_push();
    CHECK_OK(hp_set_i64(NULL, KEY("order.level"), 2));
    snapshot_state();

    /* Out of order: A is not the innermost. Nothing moves; B is still current. */
    REFUSED(hp_scope_exit(a), HP_SCOPE_ORDER, "out of order");
    CHECK_OK(hp_get_i64(NULL, KEY("order.level"), &integer));
    CHECK(integer == 2);

    /* A scope that was never entered is not the innermost either. */
    {
        hp_scope *never = hp_scope_new(NULL);
        REFUSED(hp_scope_exit(never), HP_SCOPE_ORDER, "not the innermost");
        hp_scope_free(never);
    }

    CHECK_OK(hp_scope_exit(b));
    snapshot_state();
    CHECK_OK(hp_get_i64(NULL, KEY("order.level"), &integer));
    CHECK(integer == 1);

    /* Double exit, while other scopes are open: not called "out of order", it is not open. */
    REFUSED(hp_scope_exit(b), HP_SCOPE_ORDER, "exited twice, never entered, or entered on another thread");
    CHECK_OK(hp_get_i64(NULL, KEY("order.level"), &integer));
    CHECK(integer == 1);

    CHECK_OK(hp_scope_exit(a));
    hp_scope_free(a);
    hp_scope_free(b);
}

/* Double exit with nothing open at all: the message says what probably happened. */
static void test_exit_with_nothing_open(void) {
    const size_t depth = hp_scope_depth();
    hp_scope *scope;
    CHECK(depth == 0);
    scope = hp_scope_push();
    CHECK_OK(hp_scope_exit(scope));
    CHECK_STATUS(hp_scope_exit(scope), HP_SCOPE_ORDER);
    CHECK_ERROR_MENTIONS("exited twice, or entered on another thread");
    CHECK(hp_scope_depth() == 0);
    hp_scope_free(scope);
}

/* A scope entered on one thread cannot be exited by another. */
struct other_thread {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int stage; /* 1: scope entered there, 2: main tried to exit it, 3: thread done */
    hp_scope *scope;
    int32_t still_visible;
    int32_t own_exit;
    size_t depth_after;
};

static void wait_for(struct other_thread *t, int stage) {
    pthread_mutex_lock(&t->lock);
    while (t->stage < stage) pthread_cond_wait(&t->changed, &t->lock);
    pthread_mutex_unlock(&t->lock);
}

static void advance(struct other_thread *t, int stage) {
    pthread_mutex_lock(&t->lock);
    t->stage = stage;
    pthread_cond_broadcast(&t->changed);
    pthread_mutex_unlock(&t->lock);
}

static void *enter_and_wait(void *arg) {
    struct other_thread *t = (struct other_thread *)arg;
    int64_t integer = 0;
    t->scope = hp_scope_push();
    hp_set_i64(NULL, KEY("thread.value"), 5);
    advance(t, 1);
    wait_for(t, 2);
    t->still_visible = hp_get_i64(NULL, KEY("thread.value"), &integer);
    if (integer != 5) t->still_visible = -1;
    t->own_exit = hp_scope_exit(t->scope);
    t->depth_after = hp_scope_depth();
    advance(t, 3);
    return NULL;
}

static void test_exit_from_another_thread(void) {
    struct other_thread t;
    pthread_t thread;

    memset(&t, 0, sizeof t);
    pthread_mutex_init(&t.lock, NULL);
    pthread_cond_init(&t.changed, NULL);
    CHECK(pthread_create(&thread, NULL, enter_and_wait, &t) == 0);
    wait_for(&t, 1);

    snapshot_state();
    REFUSED(hp_scope_exit(t.scope), HP_SCOPE_ORDER, "not the innermost scope of this thread");
    REFUSED(hp_scope_enter(NULL), HP_NULL_POINTER, "scope is NULL");
    advance(&t, 2);
    wait_for(&t, 3);
    CHECK(pthread_join(thread, NULL) == 0);

    CHECK_STATUS(t.still_visible, HP_OK);
    CHECK_STATUS(t.own_exit, HP_OK);
    CHECK(t.depth_after == 0);
    CHECK(state_unchanged());
    hp_scope_free(t.scope);
    pthread_mutex_destroy(&t.lock);
    pthread_cond_destroy(&t.changed);
}

int main(void) {
    hp_scope *guard = hp_scope_push();
    CHECK_OK(hp_set_i64(NULL, KEY("state.sentinel"), 7));
    CHECK_OK(hp_set_bool(NULL, KEY("state.flag"), true));
    CHECK_OK(hp_set_str(NULL, KEY("state.text"), KEY("text")));
    snapshot_state();

    test_null_pointers();
    test_invalid_utf8();
    test_invalid_keys();
    test_wrong_type_reads();
    snapshot_state();
    test_scope_order();
    snapshot_state();
    test_exit_from_another_thread();

    CHECK(state_unchanged());
    CHECK_OK(hp_scope_exit(guard));
    hp_scope_free(guard);
    test_exit_with_nothing_open();
    return check_finish("test_bad_input");
}
