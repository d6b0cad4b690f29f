package hyperparameter

/*
#cgo pkg-config: hyperparameter
#include <hyperparameter.h>

// The ABI refuses a NULL pointer even for text of length 0, and an empty Go string may have
// no bytes behind it, so empty text is passed as this.
static const char hpgo_empty[1] = {0};
static const char *hpgo_empty_text(void) { return hpgo_empty; }

// The hash returned by value, so no Go variable's address goes to C (see values.go).
static uint64_t hpgo_hash(const char *key, size_t len) {
	uint64_t out = 0;
	hp_hash(key, len, &out);
	return out;
}
*/
import "C"

import (
	"fmt"
	"runtime"
	"unsafe"
)

var emptyText = C.hpgo_empty_text()

func init() {
	// A library whose structs differ from the header compiled in would be read wrongly, not
	// refused, so a mismatch stops the program before any call is made.
	if v := C.hp_abi_version(); v != C.HP_ABI_VERSION {
		panic(fmt.Sprintf("hyperparameter: the loaded libhyperparameter has ABI version %d, "+
			"this package was built against version %d", uint32(v), C.HP_ABI_VERSION))
	}
	// A second copy of the engine in the process would keep scopes of its own: stop here, with
	// the engine's message naming both files, rather than at the first read.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if C.hp_engine_check() != C.HP_OK {
		panic("hyperparameter: " + C.GoString(C.hp_last_error()))
	}
}

// ABIVersion is the ABI version of the loaded engine library. The package refuses to start
// when it differs from the version of the header it was built against.
func ABIVersion() uint32 {
	return uint32(C.hp_abi_version())
}

// Hash is the engine's key hash: XXH64 of the key's UTF-8 bytes with seed 42, the same value
// C, C++, Rust and Python compute for the key. Any string hashes; it is not checked as a key.
//
//	Hash("train.lr") == 1730067025249070946
func Hash(key string) uint64 {
	k, n := text(key)
	// hp_hash fails only for a NULL pointer, which text never returns.
	return uint64(C.hpgo_hash(k, n))
}

// CheckKey reports whether key is a valid key: segments of letters, digits, '_' or '-'
// joined by '.', at most 1024 bytes of UTF-8. The error is an *Error with status
// ErrInvalidKey or ErrInvalidUTF8.
func CheckKey(key string) error {
	k, n := text(key)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	return check(C.hp_key_check(k, n), key)
}

// text passes s to C as the (pointer, length) pair the ABI takes. The ABI only borrows text
// for the duration of a call and string bytes hold no Go pointers, so handing C the string's
// own bytes is within cgo's rules and saves a copy.
func text(s string) (*C.char, C.size_t) {
	if len(s) == 0 {
		return emptyText, 0
	}
	return (*C.char)(unsafe.Pointer(unsafe.StringData(s))), C.size_t(len(s))
}

// takeString copies a string the engine handed over and frees the engine's copy.
func takeString(s C.hp_string) string {
	defer C.hp_string_free(s)
	return copyString(s)
}

// copyString copies the bytes of an engine string into Go memory; it may hold NUL bytes.
func copyString(s C.hp_string) string {
	if s.ptr == nil {
		return ""
	}
	return string(unsafe.Slice((*byte)(unsafe.Pointer(s.ptr)), int(s.len)))
}

// check turns a status into an error. The engine keeps its message per OS thread, so the
// caller must hold runtime.LockOSThread from the failing call until check returns: otherwise
// the goroutine could move to another thread and report that thread's last failure.
func check(status C.int32_t, key string) error {
	if status == C.HP_OK {
		return nil
	}
	return &Error{Status: Status(status), Key: key, Message: C.GoString(C.hp_last_error())}
}
