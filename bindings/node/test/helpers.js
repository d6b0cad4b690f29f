'use strict';
// What the tests need beyond the package: a stand-in for another native addon, which links the
// same engine and reads the thread's current scope (it never sees the binding's async context).

const koffi = require('koffi');
const hp = require('..');

let addon = null;

function nativeAddon() {
  if (addon) return addon;
  // The same file the package loaded: the dynamic loader hands back the one loaded copy, so
  // this shares the package's engine state, as a C++ addon linking it would.
  const lib = koffi.load(hp.libraryPath());
  const getI64 = lib.func('int32_t hp_get_i64(void *scope, const char *key, size_t len, _Out_ int64_t *out)');
  const newEmpty = lib.func('void *hp_scope_new_empty(void)');
  const enter = lib.func('int32_t hp_scope_enter(void *scope)');
  const exit = lib.func('int32_t hp_scope_exit(void *scope)');
  const free = lib.func('void hp_scope_free(void *scope)');
  const push = lib.func('void *hp_scope_push(void)');
  const current = lib.func('void *hp_scope_current(void)');
  const frozen = lib.func('int32_t hp_frozen(void)');
  const out = new BigInt64Array(1);
  addon = {
    /** The thread's current value of key as an int, or null when it is not set. */
    readInt(key) {
      const status = getI64(null, key, Buffer.byteLength(key), out);
      if (status === 1) return null;
      if (status !== 0) throw new Error(`hp_get_i64("${key}") failed with status ${status}`);
      return Number(out[0]);
    },
    /** Enter a scope natively and leave it entered (a misbehaving addon). Returns its exit. */
    pushAndLeaveOpen() {
      const scope = push();
      return () => {
        const status = exit(scope);
        free(scope);
        return status;
      };
    },
    /** Exit the thread's innermost scope through a fresh handle to it. Returns the status. */
    exitCurrent() {
      const scope = current();
      const status = exit(scope);
      free(scope);
      return status;
    },
    /** Publish an empty baseline again: what a fresh process starts from. */
    resetBaseline() {
      const scope = newEmpty();
      enter(scope);
      frozen();
      exit(scope);
      free(scope);
    },
  };
  return addon;
}

/** The package's counters, for asserting that a test left nothing behind. */
function snapshot() {
  return hp.diagnostics();
}

/** Wait a macrotask, so that other async contexts run in between. */
function tick(ms = 0) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

module.exports = { nativeAddon, snapshot, tick };
