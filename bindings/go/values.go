package hyperparameter

/*
#include <hyperparameter.h>

// Typed reads that return the result rather than write it through a pointer: a Go variable
// whose address goes to C is moved to the heap, one allocation per read.
typedef struct { int32_t status; int64_t value; } hpgo_i64;
typedef struct { int32_t status; double value; } hpgo_f64;
typedef struct { int32_t status; bool value; } hpgo_bool;
typedef struct { int32_t status; hp_string value; } hpgo_str;

static hpgo_i64 hpgo_get_i64(const hp_scope *s, const char *k, size_t n) {
	hpgo_i64 r = {0, 0};
	r.status = hp_get_i64(s, k, n, &r.value);
	return r;
}
static hpgo_f64 hpgo_get_f64(const hp_scope *s, const char *k, size_t n) {
	hpgo_f64 r = {0, 0.0};
	r.status = hp_get_f64(s, k, n, &r.value);
	return r;
}
static hpgo_bool hpgo_get_bool(const hp_scope *s, const char *k, size_t n) {
	hpgo_bool r = {0, false};
	r.status = hp_get_bool(s, k, n, &r.value);
	return r;
}
static hpgo_str hpgo_get_str(const hp_scope *s, const char *k, size_t n) {
	hpgo_str r = {0, {NULL, 0}};
	r.status = hp_get_str(s, k, n, &r.value);
	return r;
}
*/
import "C"

import (
	"fmt"
	"math"
	"reflect"
	"runtime"
	"sort"
)

// Value is the set of Go types a parameter can be read as. The engine holds booleans, 64-bit
// integers, 64-bit floats and text; the other types are read through those and checked
// against their range, so a value that does not fit is an ErrTypeMismatch, never a wrapped
// number. Named types (type Mode string) are read by their underlying type.
type Value interface {
	~bool | ~string |
		~int | ~int8 | ~int16 | ~int32 | ~int64 |
		~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64 |
		~float32 | ~float64
}

// read reads key from scope h (nil: the calling thread's current scope), converted by the
// engine's rules to T. It returns the status separately so that callers with a default can
// tell a missing key from a failure without inspecting the error.
func read[T Value](h *C.hp_scope, key string) (T, Status, error) {
	var res T
	// Reads sit on hot paths, so the common types skip reflection.
	switch p := any(&res).(type) {
	case *int:
		v, st, err := readInt(h, key)
		if err == nil && int64(int(v)) != v {
			return res, ErrTypeMismatch, mismatch(key, v, reflect.TypeOf(res))
		}
		*p = int(v)
		return res, st, err
	case *int64:
		v, st, err := readInt(h, key)
		*p = v
		return res, st, err
	case *float64:
		v, st, err := readFloat(h, key)
		*p = v
		return res, st, err
	case *bool:
		v, st, err := readBool(h, key)
		*p = v
		return res, st, err
	case *string:
		v, st, err := readString(h, key)
		*p = v
		return res, st, err
	}
	rv := reflect.ValueOf(&res).Elem()
	switch rv.Kind() {
	case reflect.Bool:
		v, st, err := readBool(h, key)
		if err != nil {
			return res, st, err
		}
		rv.SetBool(v)
	case reflect.String:
		v, st, err := readString(h, key)
		if err != nil {
			return res, st, err
		}
		rv.SetString(v)
	case reflect.Float32, reflect.Float64:
		v, st, err := readFloat(h, key)
		if err != nil {
			return res, st, err
		}
		if rv.OverflowFloat(v) {
			return res, ErrTypeMismatch, mismatch(key, v, rv.Type())
		}
		rv.SetFloat(v)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v, st, err := readInt(h, key)
		if err != nil {
			return res, st, err
		}
		if rv.OverflowInt(v) {
			return res, ErrTypeMismatch, mismatch(key, v, rv.Type())
		}
		rv.SetInt(v)
	default: // the unsigned kinds, the rest of Value
		v, st, err := readInt(h, key)
		if err != nil {
			return res, st, err
		}
		if v < 0 || rv.OverflowUint(uint64(v)) {
			return res, ErrTypeMismatch, mismatch(key, v, rv.Type())
		}
		rv.SetUint(uint64(v))
	}
	return res, 0, nil
}

func readInt(h *C.hp_scope, key string) (int64, Status, error) {
	k, n := text(key)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	r := C.hpgo_get_i64(h, k, n)
	if r.status != C.HP_OK {
		return 0, Status(r.status), check(r.status, key)
	}
	return int64(r.value), 0, nil
}

func readFloat(h *C.hp_scope, key string) (float64, Status, error) {
	k, n := text(key)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	r := C.hpgo_get_f64(h, k, n)
	if r.status != C.HP_OK {
		return 0, Status(r.status), check(r.status, key)
	}
	return float64(r.value), 0, nil
}

func readBool(h *C.hp_scope, key string) (bool, Status, error) {
	k, n := text(key)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	r := C.hpgo_get_bool(h, k, n)
	if r.status != C.HP_OK {
		return false, Status(r.status), check(r.status, key)
	}
	return bool(r.value), 0, nil
}

func readString(h *C.hp_scope, key string) (string, Status, error) {
	k, n := text(key)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	r := C.hpgo_get_str(h, k, n)
	if r.status != C.HP_OK {
		return "", Status(r.status), check(r.status, key)
	}
	return takeString(r.value), 0, nil
}

// mismatch is the error for a number the engine converted but that does not fit the Go type,
// worded like the engine's own conversion errors.
func mismatch(key string, value any, to reflect.Type) error {
	return &Error{
		Status:  ErrTypeMismatch,
		Key:     key,
		Message: fmt.Sprintf("parameter %q: %v does not fit %s", key, value, to),
	}
}

// readOr is read with a default for a missing key, and only for a missing key: an explicit
// null, 0, false or "" is a value.
func readOr[T Value](h *C.hp_scope, key string, def T) (T, error) {
	v, st, err := read[T](h, key)
	if st == ErrNotFound {
		return def, nil
	}
	return v, err
}

// lookup reads the value of key as the engine holds it.
func lookup(h *C.hp_scope, key string) (any, error) {
	var v C.hp_value
	k, n := text(key)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := check(C.hp_get(h, k, n, &v), key); err != nil {
		return nil, err
	}
	defer C.hp_value_clear(&v)
	switch v.kind {
	case C.HP_KIND_NULL:
		return nil, nil
	case C.HP_KIND_BOOL:
		return bool(v.boolean), nil
	case C.HP_KIND_INT:
		return int64(v.integer), nil
	case C.HP_KIND_FLOAT:
		return float64(v.number), nil
	case C.HP_KIND_STR:
		// The string belongs to v, which hp_value_clear frees, so it is copied, not taken.
		return copyString(v.string), nil
	}
	// A host runtime's object (a Python object set from Python): the engine lends a pointer
	// that means nothing to Go.
	return nil, &Error{
		Status: ErrTypeMismatch,
		Key:    key,
		Message: fmt.Sprintf("parameter %q holds an object of the host runtime, "+
			"which Go cannot read", key),
	}
}

// value is a Go value reduced to one of the engine's kinds.
type value struct {
	kind C.int32_t
	b    bool
	i    int64
	f    float64
	s    string
}

// encode reduces v to a kind the engine holds: nil, booleans, integers that fit int64, floats
// and strings, also of named types (a time.Duration is stored as its count of nanoseconds).
// Anything else is refused rather than stored as some text the reader would have to guess.
func encode(key string, v any) (value, error) {
	if v == nil {
		return value{kind: C.HP_KIND_NULL}, nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Bool:
		return value{kind: C.HP_KIND_BOOL, b: rv.Bool()}, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return value{kind: C.HP_KIND_INT, i: rv.Int()}, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if u := rv.Uint(); u <= math.MaxInt64 {
			return value{kind: C.HP_KIND_INT, i: int64(u)}, nil
		}
		return value{}, &Error{
			Status: ErrInvalidArgument,
			Key:    key,
			Message: fmt.Sprintf("parameter %q: %d does not fit the engine's 64-bit signed "+
				"integers", key, v),
		}
	case reflect.Float32, reflect.Float64:
		return value{kind: C.HP_KIND_FLOAT, f: rv.Float()}, nil
	case reflect.String:
		return value{kind: C.HP_KIND_STR, s: rv.String()}, nil
	}
	return value{}, &Error{
		Status: ErrInvalidArgument,
		Key:    key,
		Message: fmt.Sprintf("parameter %q: cannot store a value of Go type %T (want nil, "+
			"a bool, an integer, a float or a string)", key, v),
	}
}

// store writes v under key into scope h (nil: the calling thread's innermost scope).
func store(h *C.hp_scope, key string, v value) error {
	k, n := text(key)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var st C.int32_t
	switch v.kind {
	case C.HP_KIND_NULL:
		st = C.hp_set_null(h, k, n)
	case C.HP_KIND_BOOL:
		st = C.hp_set_bool(h, k, n, C.bool(v.b))
	case C.HP_KIND_INT:
		st = C.hp_set_i64(h, k, n, C.int64_t(v.i))
	case C.HP_KIND_FLOAT:
		st = C.hp_set_f64(h, k, n, C.double(v.f))
	default:
		s, sn := text(v.s)
		st = C.hp_set_str(h, k, n, s, sn)
	}
	return check(st, key)
}

// update writes every entry of values into scope h, in key order so that the first error
// reported is the same on every run. Keys and values are all checked before the first write,
// so a bad entry leaves the scope as it was.
func update(h *C.hp_scope, values map[string]any) error {
	if len(values) == 0 {
		return nil
	}
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	encoded := make([]value, len(keys))
	for i, k := range keys {
		if err := CheckKey(k); err != nil {
			return err
		}
		v, err := encode(k, values[k])
		if err != nil {
			return err
		}
		encoded[i] = v
	}
	for i, k := range keys {
		if err := store(h, k, encoded[i]); err != nil {
			return err
		}
	}
	return nil
}
