package hyperparameter_test

import (
	"errors"
	"strings"
	"testing"

	hp "github.com/reiase/hyperparameter/bindings/go"
)

func contains(s, sub string) bool { return strings.Contains(s, sub) }

var badKeys = []struct {
	key    string
	status hp.Status
	shows  string // what the error must show of the key
}{
	{"", hp.ErrInvalidKey, `""`},
	{"a..b", hp.ErrInvalidKey, "a..b"},
	{".a", hp.ErrInvalidKey, ".a"},
	{"a.", hp.ErrInvalidKey, "a."},
	{"a b", hp.ErrInvalidKey, "a b"},
	{"a/b", hp.ErrInvalidKey, "a/b"},
	{"emoji.😀", hp.ErrInvalidKey, "emoji.😀"},
	{"line\nbreak", hp.ErrInvalidKey, "line"},
	{"bad\xff", hp.ErrInvalidUTF8, `"bad\xff"`},
	{strings.Repeat("x", 1025), hp.ErrInvalidKey, "1025"},
}

func TestValidKeys(t *testing.T) {
	valid := []string{
		"a", "a.b", "Train.LR", "a-b.c_d", "über.größe", "模型.学习率", "layers.0.size",
		strings.Repeat("x", 1024),
	}
	for _, key := range valid {
		if err := hp.CheckKey(key); err != nil {
			t.Errorf("CheckKey(%q): %v", key, err)
		}
	}
}

func TestInvalidKeysAreErrors(t *testing.T) {
	s := newScope(t)
	must(t, s.Set("good", 1))
	for _, c := range badKeys {
		errs := map[string]error{"CheckKey": hp.CheckKey(c.key), "Set": s.Set(c.key, 1)}
		_, errs["GetIn"] = hp.GetIn(s, c.key, 0)
		_, errs["RequireIn"] = hp.RequireIn[string](s, c.key)
		_, errs["Lookup"] = s.Lookup(c.key)
		_, errs["Source"] = s.Source(c.key)
		errs["Update"] = s.Update(map[string]any{"fine": 2, c.key: 1})
		errs["With"] = hp.With(map[string]any{c.key: 1}, func() error {
			t.Errorf("With ran its function with key %q", c.key)
			return nil
		})
		for op, err := range errs {
			if !errors.Is(err, c.status) {
				t.Errorf("%s(%q): got %v, want %v", op, c.key, err, c.status)
				continue
			}
			if !contains(err.Error(), c.shows) {
				t.Errorf("%s(%q): %q does not show %s", op, c.key, err, c.shows)
			}
			if len(err.Error()) > 400 {
				t.Errorf("%s: a %d-byte message for a %d-byte key", op, len(err.Error()), len(c.key))
			}
		}
	}
	// Nothing was written, and what was there is intact.
	keys, err := s.OwnKeys()
	must(t, err)
	if len(keys) != 1 || keys[0] != "good" {
		t.Fatalf("keys after the failed writes: %q", keys)
	}
	v, err := hp.GetIn(s, "good", 0)
	equal(t, "good", v, err, 1)
}

func TestInvalidUTF8Value(t *testing.T) {
	s := newScope(t)
	err := s.Set("k", "bad\xff")
	if !errors.Is(err, hp.ErrInvalidUTF8) || !contains(err.Error(), `"k"`) {
		t.Fatalf("Set of invalid UTF-8 text: %v", err)
	}
	if _, err := s.Lookup("k"); !errors.Is(err, hp.ErrNotFound) {
		t.Fatalf("the refused value was stored: %v", err)
	}
}

func TestStatusNames(t *testing.T) {
	for st, name := range map[hp.Status]string{
		hp.ErrNotFound: "HP_NOT_FOUND", hp.ErrTypeMismatch: "HP_TYPE_MISMATCH",
		hp.ErrInvalidKey: "HP_INVALID_KEY", hp.ErrScopeOrder: "HP_SCOPE_ORDER",
		hp.ErrHostError: "HP_HOST_ERROR", hp.ErrOtherEngine: "HP_OTHER_ENGINE", hp.Status(999): "HP_UNKNOWN",
	} {
		if st.String() != name || !contains(st.Error(), name) {
			t.Errorf("status %d: String %q, Error %q, want %s", int32(st), st.String(), st.Error(), name)
		}
	}
	err := error(&hp.Error{Status: hp.ErrNotFound, Key: "k", Message: `parameter "k" is not set`})
	if !errors.Is(err, hp.ErrNotFound) || errors.Is(err, hp.ErrTypeMismatch) {
		t.Fatal("errors.Is compares the status")
	}
	if got := err.Error(); got != `hyperparameter: parameter "k" is not set (HP_NOT_FOUND)` {
		t.Fatalf("Error() = %q", got)
	}
}
