// Package cnative stands in, in the tests, for C or C++ code that a Go program calls through
// cgo: it reads and enters scopes on the calling thread with the C ABI alone, the way such
// code would.
package cnative

/*
#cgo pkg-config: hyperparameter
#include <stdlib.h>
#include <hyperparameter.h>

// GET_PARAM of the C++ layer in C: hash the key, read the current scope by hash.
static int64_t cnative_get_i64_or(const char *key, size_t len, int64_t def) {
	uint64_t hash = 0;
	hp_hash(key, len, &hash);
	return hp_get_i64_or(hash, def);
}

// A scope entered and never exited, as buggy native code might leave one.
static void cnative_push_and_forget(void) {
	hp_scope_free(hp_scope_push());
}
*/
import "C"

import "unsafe"

// IntOr reads key as an int from the calling thread's current scope, or def.
func IntOr(key string, def int64) int64 {
	ckey := C.CString(key)
	defer C.free(unsafe.Pointer(ckey))
	return int64(C.cnative_get_i64_or(ckey, C.size_t(len(key)), C.int64_t(def)))
}

// PushAndForget enters a scope on the calling thread and never exits it.
func PushAndForget() {
	C.cnative_push_and_forget()
}

// Depth is the number of scopes entered on the calling thread.
func Depth() int {
	return int(C.hp_scope_depth())
}
