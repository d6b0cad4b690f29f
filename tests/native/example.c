/* example.c: scoped parameters from C. Build from the repository root with
 *
 *     cargo build --release
 *     cc -std=c99 -I include example.c -L target/release -lhyperparameter \
 *        -Wl,-rpath,"$PWD/target/release" -o example
 */
#include <stdio.h>
#include <string.h>

#include "hyperparameter.h"

/* A string literal as the (pointer, length) pair the API takes. */
#define KEY(literal) (literal), (sizeof(literal) - 1)

/* Report a failed call with its status name and the library's explanation. */
static int failed(int32_t status, const char *what) {
    if (status == HP_OK) return 0;
    fprintf(stderr, "%s: %s: %s\n", what, hp_status_name(status), hp_last_error());
    return 1;
}

/* Library code reads its knobs with defaults; it does not care who set them. */
static double learning_rate(void) {
    double lr = 0.001; /* the default, kept when no scope sets train.lr */
    int32_t status = hp_get_f64(NULL, KEY("train.lr"), &lr);
    if (status != HP_OK && status != HP_NOT_FOUND) failed(status, "train.lr");
    return lr;
}

int main(void) {
    hp_scope *run;
    hp_scope *trial;
    hp_string optimizer = {NULL, 0};
    int64_t batch = 0;
    int32_t status;

    if (hp_abi_version() != HP_ABI_VERSION) {
        fprintf(stderr, "libhyperparameter ABI %u, header %d\n", hp_abi_version(), HP_ABI_VERSION);
        return 1;
    }
    printf("default lr: %g\n", learning_rate());

    /* A scope for the whole run, filled from code and from -D style definitions. */
    run = hp_scope_push();
    if (failed(hp_set_f64(NULL, KEY("train.lr"), 0.01), "set train.lr")) return 1;
    if (failed(hp_set_parsed(NULL, KEY("train.batch_size=64")), "-D train.batch_size")) return 1;
    if (failed(hp_set_str(NULL, KEY("train.optimizer"), KEY("adam")), "set train.optimizer")) return 1;

    if (failed(hp_get_i64(NULL, KEY("train.batch_size"), &batch), "get batch size")) return 1;
    if (failed(hp_get_str(NULL, KEY("train.optimizer"), &optimizer), "get optimizer")) return 1;
    printf("run: lr %g, batch %lld, optimizer %.*s\n", learning_rate(), (long long)batch,
           (int)optimizer.len, optimizer.ptr);
    hp_string_free(optimizer); /* strings the library returns are ours to free */

    /* A nested scope overrides one value; leaving it restores the outer one. */
    trial = hp_scope_push();
    hp_set_f64(NULL, KEY("train.lr"), 0.1);
    printf("trial: lr %g\n", learning_rate());
    hp_scope_exit(trial);
    hp_scope_free(trial);
    printf("after trial: lr %g\n", learning_rate());

    /* Errors are status codes plus a message naming key, value and wanted type. */
    status = hp_get_i64(NULL, KEY("train.optimizer"), &batch);
    printf("optimizer as int: %s (%s)\n", hp_status_name(status), hp_last_error());

    hp_scope_exit(run);
    hp_scope_free(run);
    printf("after run: lr %g\n", learning_rate());
    return status == HP_TYPE_MISMATCH && learning_rate() == 0.001 ? 0 : 1;
}
