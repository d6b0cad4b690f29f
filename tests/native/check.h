/*
 * check.h: the tiny test harness shared by the native test programs (C99 and C++17).
 *
 * CHECK reports file:line and keeps going, so one run lists every failure; check_finish()
 * prints the summary and gives the exit status. The counters are not atomic: call CHECK from
 * the main thread only and hand results back from other threads.
 */
#ifndef HP_TESTS_CHECK_H
#define HP_TESTS_CHECK_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hyperparameter.h"

static int check_total = 0;
static int check_failed = 0;

static inline int check_report(int ok, const char *what, const char *file, int line) {
    ++check_total;
    if (!ok) {
        ++check_failed;
        fprintf(stderr, "%s:%d: CHECK failed: %s\n", file, line, what);
    }
    return ok;
}

static inline int check_status_report(int32_t got, int32_t want, const char *call, const char *file, int line) {
    ++check_total;
    if (got != want) {
        ++check_failed;
        fprintf(stderr, "%s:%d: %s returned %s, expected %s (last error: %s)\n", file, line, call,
                hp_status_name(got), hp_status_name(want), hp_last_error());
    }
    return got == want;
}

/* hp_last_error() must explain the failure, naming what the caller needs to fix. */
static inline int check_error_report(const char *fragment, const char *file, int line) {
    const char *message = hp_last_error();
    ++check_total;
    if (message == NULL || strstr(message, fragment) == NULL) {
        ++check_failed;
        fprintf(stderr, "%s:%d: last error \"%s\" does not mention \"%s\"\n", file, line,
                message ? message : "(NULL)", fragment);
        return 0;
    }
    return 1;
}

#define CHECK(cond) check_report((cond) ? 1 : 0, #cond, __FILE__, __LINE__)
#define CHECK_STATUS(call, want) check_status_report((call), (want), #call, __FILE__, __LINE__)
#define CHECK_OK(call) CHECK_STATUS(call, HP_OK)
#define CHECK_ERROR_MENTIONS(fragment) check_error_report((fragment), __FILE__, __LINE__)

/* A string literal as the (pointer, length) pair the C ABI takes. */
#define KEY(literal) (literal), (sizeof(literal) - 1)

static inline int check_finish(const char *program) {
    printf("%s: %d checks, %d failed\n", program, check_total, check_failed);
    return check_failed == 0 ? 0 : 1;
}

/*
 * Hash vectors, as written by tests/native/test_native.py from tests/vectors/hash.json: one per
 * line, "<xxh64 decimal> <utf8 length> <key bytes in hex>" (the hex is empty for the empty key),
 * so no JSON parser is needed here. Calls `visit` for each; returns the count, or -1 if the file
 * cannot be read or a line is malformed.
 */
typedef void (*vector_visitor)(const char *key, size_t len, uint64_t hash, void *context);

static inline int hex_digit(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static inline int for_each_vector(const char *path, vector_visitor visit, void *context) {
    FILE *file = fopen(path, "r");
    char line[1024];
    char key[512];
    int count = 0;
    if (file == NULL) return -1;
    while (fgets(line, sizeof line, file) != NULL) {
        char *cursor = line;
        char *end = NULL;
        unsigned long long hash = strtoull(cursor, &end, 10);
        size_t len;
        size_t i;
        if (end == cursor) break;
        cursor = end;
        len = (size_t)strtoul(cursor, &end, 10);
        if (end == cursor || *end != ' ' || len >= sizeof key) goto malformed;
        cursor = end + 1;
        for (i = 0; i < len; ++i) {
            int hi = hex_digit((unsigned char)cursor[2 * i]);
            int lo = hi < 0 ? -1 : hex_digit((unsigned char)cursor[2 * i + 1]);
            if (lo < 0) goto malformed;
            key[i] = (char)(hi * 16 + lo);
        }
        key[len] = '\0';
        visit(key, len, (uint64_t)hash, context);
        ++count;
    }
    fclose(file);
    return count;
malformed:
    fclose(file);
    return -1;
}

#endif /* HP_TESTS_CHECK_H */
