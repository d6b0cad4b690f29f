package hyperparameter

/*
#include <hyperparameter.h>
*/
import "C"

import (
	"runtime"
	"strings"
	"sync"
)

// Scope is a handle to one of the engine's scopes, usable from any goroutine: it is never
// tied to the OS thread that created it. Reads through a Scope see its own values, then its
// parents', then the frozen baseline; writes go to the Scope itself and never to its parents.
//
// A Scope is safe for concurrent use. Close it when done; a Scope that is garbage collected
// unclosed releases its handle then. Children, and goroutines inside Scope.With, keep the
// engine's scope alive after Close.
type Scope struct {
	// mu is held for reading during every call that uses handle and for writing by Close, so
	// a Close racing with a read yields ErrClosed rather than a freed handle.
	mu     sync.RWMutex
	handle *C.hp_scope
}

func wrap(h *C.hp_scope) *Scope {
	s := &Scope{handle: h}
	runtime.SetFinalizer(s, (*Scope).release)
	return s
}

// NewScope returns a new scope with no parent that reads through to the frozen baseline:
// until written it shows exactly the baseline's keys and values.
func NewScope() *Scope {
	return wrap(C.hp_scope_new_root())
}

// Baseline returns a new scope that shows the frozen baseline: the values Frozen (or any
// other language's frozen call) last published, nothing if none was. It is a NewScope under a
// name that says what it is for; writes to it stay in it and never change the baseline.
func Baseline() *Scope {
	return NewScope()
}

// NewEmptyScope returns a new scope that inherits nothing, not even the frozen baseline.
func NewEmptyScope() *Scope {
	return wrap(C.hp_scope_new_empty())
}

// Current returns a handle to the innermost scope of the With the calling goroutine is in,
// for handing that scope to other goroutines (which read it with GetIn or enter it with
// Scope.With). Writes through it go to that With's scope. Outside With it returns ErrNoScope.
func Current() (*Scope, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if C.hp_scope_depth() == 0 {
		return nil, ErrNoScope
	}
	return wrap(C.hp_scope_current()), nil
}

// acquire returns s's handle with s read-locked; the caller calls s.mu.RUnlock after its last
// use of the handle, which also keeps s reachable (and its finalizer away) until then.
func (s *Scope) acquire() (*C.hp_scope, error) {
	if s == nil {
		return nil, ErrClosed
	}
	s.mu.RLock()
	if s.handle == nil {
		s.mu.RUnlock()
		return nil, ErrClosed
	}
	return s.handle, nil
}

// NewChild returns a new scope whose parent is s: it sees everything s sees, and what is
// written to it stays in it.
func (s *Scope) NewChild() (*Scope, error) {
	h, err := s.acquire()
	if err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	return wrap(C.hp_scope_new(h)), nil
}

// Set writes key = value into s. Values are nil, booleans, integers that fit int64, floats
// and strings, also of named types (a time.Duration is stored as its nanoseconds).
func (s *Scope) Set(key string, value any) error {
	v, err := encode(key, value)
	if err != nil {
		return err
	}
	h, err := s.acquire()
	if err != nil {
		return err
	}
	defer s.mu.RUnlock()
	return store(h, key, v)
}

// Update writes every entry of values into s. All keys and values are checked first, so on
// an error s is unchanged.
func (s *Scope) Update(values map[string]any) error {
	h, err := s.acquire()
	if err != nil {
		return err
	}
	defer s.mu.RUnlock()
	return update(h, values)
}

// Define parses a "key=value" definition, as given to -D on a command line, and sets it in
// s. The value becomes an integer, a float, a boolean (true/false), null (null/none) or else
// the text itself, exactly as in every other language of the project. Its Source is
// "key=value", the label Python gives the same definition.
func (s *Scope) Define(definition string) error {
	h, err := s.acquire()
	if err != nil {
		return err
	}
	defer s.mu.RUnlock()
	d, n := text(definition)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	key, _, _ := strings.Cut(definition, "=")
	return check(C.hp_set_parsed(h, d, n), key)
}

// Lookup returns the value of key as seen from s, as the engine holds it: nil (null), bool,
// int64, float64 or string. A missing key is an error with status ErrNotFound.
func (s *Scope) Lookup(key string) (any, error) {
	h, err := s.acquire()
	if err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	return lookup(h, key)
}

// GetIn reads key as seen from s, converted to T by the engine's rules, or returns def when
// no scope s reads through sets key. A value that cannot be converted is an error naming the
// key, the value and the type, never def.
//
//	lr, err := hyperparameter.GetIn(s, "train.lr", 0.001)
func GetIn[T Value](s *Scope, key string, def T) (T, error) {
	h, err := s.acquire()
	if err != nil {
		return def, err
	}
	defer s.mu.RUnlock()
	return readOr(h, key, def)
}

// RequireIn reads key as seen from s, converted to T; a missing key is an error with status
// ErrNotFound.
func RequireIn[T Value](s *Scope, key string) (T, error) {
	h, err := s.acquire()
	if err != nil {
		var zero T
		return zero, err
	}
	defer s.mu.RUnlock()
	v, _, err := read[T](h, key)
	return v, err
}

// Keys returns every key visible from s, its own and those it reads through, sorted.
func (s *Scope) Keys() ([]string, error) {
	return s.keys(false)
}

// OwnKeys returns the keys s itself holds, sorted.
func (s *Scope) OwnKeys() ([]string, error) {
	return s.keys(true)
}

func (s *Scope) keys(own bool) ([]string, error) {
	h, err := s.acquire()
	if err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	var out C.hp_string
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var st C.int32_t
	if own {
		st = C.hp_keys_own(h, &out)
	} else {
		st = C.hp_keys(h, &out)
	}
	if err := check(st, ""); err != nil {
		return nil, err
	}
	joined := takeString(out)
	if joined == "" {
		return []string{}, nil
	}
	// Keys cannot contain '\n', so the engine's separator is unambiguous.
	return strings.Split(joined, "\n"), nil
}

// SetSource labels where the value of key in s itself came from ("config.yaml:train.lr",
// "-D", ...). It is an ErrNotFound when s itself does not hold key.
func (s *Scope) SetSource(key, source string) error {
	h, err := s.acquire()
	if err != nil {
		return err
	}
	defer s.mu.RUnlock()
	k, n := text(key)
	src, sn := text(source)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	return check(C.hp_set_source(h, k, n, src, sn), key)
}

// Source returns the provenance label of key as seen from s, "" when none was set.
func (s *Scope) Source(key string) (string, error) {
	h, err := s.acquire()
	if err != nil {
		return "", err
	}
	defer s.mu.RUnlock()
	k, n := text(key)
	var out C.hp_string
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := check(C.hp_get_source(h, k, n, &out), key); err != nil {
		return "", err
	}
	return takeString(out), nil
}

// Clear removes every entry s itself holds; its parents keep theirs.
func (s *Scope) Clear() error {
	h, err := s.acquire()
	if err != nil {
		return err
	}
	defer s.mu.RUnlock()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	return check(C.hp_scope_clear(h), "")
}

// Close releases the handle. Later uses of s return ErrClosed; closing again does nothing.
// It always returns nil.
func (s *Scope) Close() error {
	if s == nil {
		return nil
	}
	runtime.SetFinalizer(s, nil)
	s.release()
	return nil
}

func (s *Scope) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.handle != nil {
		C.hp_scope_free(s.handle)
		s.handle = nil
	}
}
