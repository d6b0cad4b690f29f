package hyperparameter

/*
#include <hyperparameter.h>
*/
import "C"

import (
	"errors"
	"strconv"
	"strings"
)

// Status is a status code of the engine's C ABI. The non-zero codes are exported as error
// values (ErrNotFound, ErrTypeMismatch, ...), so that
//
//	errors.Is(err, hyperparameter.ErrTypeMismatch)
//
// tells what an *Error returned by this package was about.
type Status int32

// The engine's failure statuses, as error values for errors.Is.
const (
	// ErrNotFound means that the key is set in no scope the read can see, nor in the frozen
	// baseline.
	ErrNotFound Status = C.HP_NOT_FOUND
	// ErrTypeMismatch means the value cannot be converted to the requested type.
	ErrTypeMismatch Status = C.HP_TYPE_MISMATCH
	// ErrInvalidKey means the key is empty, has an empty segment, a character outside
	// letters, digits, '_' and '-', or is longer than 1024 bytes.
	ErrInvalidKey Status = C.HP_INVALID_KEY
	// ErrInvalidArgument means an argument is out of its domain, such as a definition
	// without '=' or a Go value of a type the engine cannot hold.
	ErrInvalidArgument Status = C.HP_INVALID_ARGUMENT
	// ErrScopeOrder means a scope was exited while it was not the thread's innermost one.
	ErrScopeOrder Status = C.HP_SCOPE_ORDER
	// ErrNullPointer means a required pointer was NULL (not expected from this package).
	ErrNullPointer Status = C.HP_NULL_POINTER
	// ErrInvalidUTF8 means a key, value or definition is not valid UTF-8.
	ErrInvalidUTF8 Status = C.HP_INVALID_UTF8
	// ErrKeyCollision means a different key with the same 64-bit hash is already set in the
	// scope.
	ErrKeyCollision Status = C.HP_KEY_COLLISION
	// ErrPanic means an internal error of the engine was caught at its boundary; the engine
	// stays usable.
	ErrPanic Status = C.HP_PANIC
	// ErrHostError means a host runtime sharing the process (Python) could not bring the
	// thread's scopes up to date, so the read did not happen.
	ErrHostError Status = C.HP_HOST_ERROR
	// ErrOtherEngine means another copy of the engine library is loaded in the process, so
	// this one refuses every call; the message names both files.
	ErrOtherEngine Status = C.HP_OTHER_ENGINE
)

// String is the name of the status's C constant, such as "HP_NOT_FOUND".
func (s Status) String() string {
	return C.GoString(C.hp_status_name(C.int32_t(s)))
}

// Error makes a Status usable as a sentinel for errors.Is.
func (s Status) Error() string {
	return "hyperparameter: " + s.String()
}

// Error is a failure reported by the engine, or found by this package before calling it.
// Message is the engine's explanation, which names the key and, for conversions, the value
// and the wanted type:
//
//	hyperparameter: parameter "train.bs": cannot convert "3.5" to int (HP_TYPE_MISMATCH)
type Error struct {
	// Status is the engine's status code; errors.Is(err, Status) compares it.
	Status Status
	// Key is the key the call was about, "" when it was about none.
	Key string
	// Message is the engine's explanation of the failure.
	Message string
}

// Error formats the engine's message with the status name, adding the key when the message
// does not already show it (the engine does not repeat a key that is not valid UTF-8).
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("hyperparameter: ")
	msg := e.Message
	if msg == "" {
		msg = "failed"
	}
	b.WriteString(msg)
	if e.Key != "" && !strings.Contains(msg, e.Key) {
		key := e.Key
		if len(key) > maxKeyShown {
			key = key[:maxKeyShown]
		}
		b.WriteString(" (key ")
		b.WriteString(strconv.Quote(key))
		if len(key) < len(e.Key) {
			b.WriteString("...")
		}
		b.WriteString(")")
	}
	b.WriteString(" (")
	b.WriteString(e.Status.String())
	b.WriteString(")")
	return b.String()
}

// maxKeyShown bounds how much of a key an error message repeats: a key that is too long is an
// error itself and may be of any length.
const maxKeyShown = 80

// Is reports whether target is the Status of e, so errors.Is(err, ErrNotFound) works.
func (e *Error) Is(target error) bool {
	s, ok := target.(Status)
	return ok && s == e.Status
}

// ErrClosed is returned by every use of a Scope after Close, and of a nil *Scope.
var ErrClosed = errors.New("hyperparameter: scope is closed")

// ErrNoScope is returned by Set and Current on a goroutine that is not inside With: outside
// With the goroutine runs on whichever OS thread is free, and a write there would land in
// that thread's root scope and be seen later by unrelated goroutines.
var ErrNoScope = errors.New("hyperparameter: no scope is entered on this goroutine; " +
	"use it inside With, or write to a Scope")
