package hyperparameter

/*
#include <hyperparameter.h>
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime"
)

// With runs fn inside a new scope holding values, on top of the scopes the calling goroutine
// is already in. For the duration of fn the goroutine is locked to its OS thread
// (runtime.LockOSThread) and the scope is entered on that thread, so the thread-current
// functions (Get, Require, Lookup, Set, Current, Frozen) and native C or C++ code that fn
// calls through cgo all see values. When fn returns or panics, the scope is exited (writes
// made in it vanish) and the thread is unlocked; a panic goes on after that.
//
// Goroutines started by fn run on other threads and do not see the scope: hand them a
// Current() handle instead.
//
// The entries of values are checked before fn runs: an invalid key or a value of an
// unsupported type is returned as an error and fn is not called. The error of fn is returned
// as it is.
//
// Should code called by fn enter a scope on the thread and not exit it, the thread's scopes
// are no longer in order: With then returns an error with status ErrScopeOrder and leaves the
// goroutine locked to the thread, so that the Go runtime ends the thread with the goroutine
// rather than handing it, with the stray scope, to another goroutine.
func With(values map[string]any, fn func() error) error {
	runtime.LockOSThread()
	// Made on the pinned thread, so its parent is this goroutine's innermost scope.
	child := C.hp_scope_new(nil)
	if err := update(child, values); err != nil {
		C.hp_scope_free(child)
		runtime.UnlockOSThread()
		return err
	}
	return run(child, fn)
}

// With runs fn inside a new child of s, entered on the calling goroutine's OS thread as by
// the package-level With: thread-current reads in fn, and native code fn calls, see what s
// sees (not the scopes the goroutine was in before), and writes made in fn go to the child
// and vanish when fn returns.
func (s *Scope) With(fn func() error) error {
	h, err := s.acquire()
	if err != nil {
		return err
	}
	// A child of our own rather than s itself: With then owns the handle it exits and frees,
	// however s is used or closed meanwhile.
	child := C.hp_scope_new(h)
	s.mu.RUnlock()
	runtime.LockOSThread()
	return run(child, fn)
}

// run enters child on the calling goroutine's thread, calls fn, then exits and frees child.
// The caller has locked the goroutine to its thread; run owns child and that lock.
func run(child *C.hp_scope, fn func() error) (err error) {
	if st := C.hp_scope_enter(child); st != C.HP_OK {
		err = check(st, "")
		C.hp_scope_free(child)
		runtime.UnlockOSThread()
		return err
	}
	defer func() {
		st := C.hp_scope_exit(child)
		exitErr := check(st, "")
		C.hp_scope_free(child)
		if exitErr != nil {
			// The lock is kept on purpose, see With.
			err = errors.Join(err, fmt.Errorf("hyperparameter: leaving With: a scope entered "+
				"inside it was not exited; this goroutine stays locked to its thread: %w", exitErr))
			return
		}
		runtime.UnlockOSThread()
	}()
	return fn()
}

// Get reads key from the calling goroutine's innermost scope, converted to T by the engine's
// rules, or returns def when no scope sets key. A value that cannot be converted is an error
// naming the key, the value and the type, never def.
//
// Get is meant for use inside With. Outside With, the goroutine may be on any OS thread and
// there is no scope of its own to read: Get then sees only the frozen baseline.
//
//	bs, err := hyperparameter.Get("train.batch_size", 32) // T is int
func Get[T Value](key string, def T) (T, error) {
	return readOr[T](nil, key, def)
}

// Require reads key like Get but has no default: a missing key is an error with status
// ErrNotFound. Like Get, it is meant for use inside With.
func Require[T Value](key string) (T, error) {
	v, _, err := read[T](nil, key)
	return v, err
}

// Lookup returns the value of key in the calling goroutine's innermost scope as the engine
// holds it: nil (null), bool, int64, float64 or string. Like Get, it is meant for use inside
// With.
func Lookup(key string) (any, error) {
	return lookup(nil, key)
}

// Set writes key = value into the innermost scope of the With the calling goroutine is in;
// the value vanishes when that With returns. Outside With it returns ErrNoScope.
func Set(key string, value any) error {
	v, err := encode(key, value)
	if err != nil {
		return err
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	// Checked on the same locked thread as the write: a thread with no scope entered is one no
	// With of this goroutine pinned, and its root scope outlives the call.
	if C.hp_scope_depth() == 0 {
		return fmt.Errorf("hyperparameter: cannot set %q: %w", key, ErrNoScope)
	}
	return store(nil, key, v)
}

// Frozen publishes what the calling goroutine sees now as the frozen baseline: every thread
// (native ones included) reads it for the keys its own scopes do not set. It is meant for use
// inside With; outside it the goroutine sees only the baseline, and publishing that changes
// nothing.
//
//	hyperparameter.With(map[string]any{"train.lr": 0.01}, hyperparameter.Frozen)
func Frozen() error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	return check(C.hp_frozen(), "")
}
