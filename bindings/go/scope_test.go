package hyperparameter_test

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	hp "github.com/reiase/hyperparameter/bindings/go"
)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func equal[T comparable](t *testing.T, what string, got T, err error, want T) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if got != want {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}

func newScope(t *testing.T) *hp.Scope {
	t.Helper()
	s := hp.NewScope()
	t.Cleanup(func() { s.Close() })
	return s
}

func TestTypedReadsAndDefaults(t *testing.T) {
	s := newScope(t)
	must(t, s.Update(map[string]any{
		"a.int":   int64(7),
		"a.float": 0.25,
		"a.bool":  true,
		"a.str":   "adam",
		"a.zero":  0,
		"a.false": false,
		"a.empty": "",
	}))
	i, err := hp.GetIn(s, "a.int", int64(1))
	equal(t, "a.int", i, err, 7)
	f, err := hp.GetIn(s, "a.float", 1.0)
	equal(t, "a.float", f, err, 0.25)
	b, err := hp.GetIn(s, "a.bool", false)
	equal(t, "a.bool", b, err, true)
	str, err := hp.GetIn(s, "a.str", "sgd")
	equal(t, "a.str", str, err, "adam")

	// Only a missing key takes the default: 0, false and "" are values.
	z, err := hp.GetIn(s, "a.zero", 5)
	equal(t, "a.zero", z, err, 0)
	fb, err := hp.GetIn(s, "a.false", true)
	equal(t, "a.false", fb, err, false)
	e, err := hp.GetIn(s, "a.empty", "x")
	equal(t, "a.empty", e, err, "")
	d, err := hp.GetIn(s, "a.missing", 42)
	equal(t, "a.missing", d, err, 42)

	_, err = hp.RequireIn[int](s, "a.missing")
	if !errors.Is(err, hp.ErrNotFound) {
		t.Fatalf("RequireIn of a missing key: %v", err)
	}
	var hpErr *hp.Error
	if !errors.As(err, &hpErr) || hpErr.Key != "a.missing" || hpErr.Status != hp.ErrNotFound {
		t.Fatalf("RequireIn of a missing key: %#v", err)
	}
	r, err := hp.RequireIn[string](s, "a.int")
	equal(t, "a.int as string", r, err, "7")
}

func TestConversionsFollowTheEngineRules(t *testing.T) {
	s := newScope(t)
	must(t, s.Update(map[string]any{"n": "42", "x": "2.5", "yes": "yes", "off": "off", "f": 3.0}))
	n, err := hp.GetIn(s, "n", 0)
	equal(t, "n", n, err, 42)
	x, err := hp.GetIn(s, "x", 0.0)
	equal(t, "x", x, err, 2.5)
	y, err := hp.GetIn(s, "yes", false)
	equal(t, "yes", y, err, true)
	o, err := hp.GetIn(s, "off", true)
	equal(t, "off", o, err, false)
	f, err := hp.GetIn(s, "f", int64(0))
	equal(t, "3.0 as int", f, err, 3)
	// Named types read through their underlying type.
	type Mode string
	m, err := hp.GetIn(s, "yes", Mode("no"))
	equal(t, "named string", m, err, Mode("yes"))
	u, err := hp.GetIn(s, "n", uint8(0))
	equal(t, "uint8", u, err, 42)
	f32, err := hp.GetIn(s, "x", float32(0))
	equal(t, "float32", f32, err, 2.5)
}

func TestConversionErrorsNameKeyAndValue(t *testing.T) {
	s := newScope(t)
	must(t, s.Update(map[string]any{
		"train.optimizer": "adam", "train.bs": "3.5", "big": 300, "neg": -1, "none": nil, "huge": 1e300,
	}))
	cases := []struct {
		name string
		read func() error
		want []string
	}{
		{"text as int", func() error { _, err := hp.GetIn(s, "train.optimizer", 1); return err },
			[]string{`"train.optimizer"`, `"adam"`, "int"}},
		{"3.5 as int", func() error { _, err := hp.GetIn(s, "train.bs", int64(1)); return err },
			[]string{`"train.bs"`, "3.5", "int"}},
		{"text as bool", func() error { _, err := hp.GetIn(s, "train.optimizer", true); return err },
			[]string{`"train.optimizer"`, `"adam"`, "bool"}},
		{"text as float", func() error { _, err := hp.GetIn(s, "train.optimizer", 0.5); return err },
			[]string{`"train.optimizer"`, `"adam"`, "float"}},
		{"null as int", func() error { _, err := hp.GetIn(s, "none", 1); return err },
			[]string{`"none"`, "null"}},
		{"null as string", func() error { _, err := hp.GetIn(s, "none", "x"); return err },
			[]string{`"none"`, "null"}},
		{"300 as int8", func() error { _, err := hp.GetIn(s, "big", int8(1)); return err },
			[]string{`"big"`, "300", "int8"}},
		{"-1 as uint", func() error { _, err := hp.GetIn(s, "neg", uint(1)); return err },
			[]string{`"neg"`, "-1", "uint"}},
		{"1e300 as float32", func() error { _, err := hp.GetIn(s, "huge", float32(1)); return err },
			[]string{`"huge"`, "float32"}},
	}
	for _, c := range cases {
		err := c.read()
		if !errors.Is(err, hp.ErrTypeMismatch) {
			t.Errorf("%s: got %v, want ErrTypeMismatch", c.name, err)
			continue
		}
		for _, w := range c.want {
			if !contains(err.Error(), w) {
				t.Errorf("%s: %q does not mention %s", c.name, err, w)
			}
		}
		if errors.Is(err, hp.ErrNotFound) {
			t.Errorf("%s: a mismatch also matches ErrNotFound", c.name)
		}
	}
	// The failed reads changed nothing.
	v, err := hp.GetIn(s, "train.optimizer", "")
	equal(t, "train.optimizer", v, err, "adam")
}

func TestSetGoTypes(t *testing.T) {
	s := newScope(t)
	type Level int
	must(t, s.Set("lvl", Level(3)))
	must(t, s.Set("u", uint32(9)))
	must(t, s.Set("f32", float32(0.5)))
	must(t, s.Set("d", 2*time.Second))
	must(t, s.Set("n", nil))
	for key, want := range map[string]any{
		"lvl": int64(3), "u": int64(9), "f32": 0.5, "d": int64(2e9), "n": nil,
	} {
		got, err := s.Lookup(key)
		if err != nil || got != want {
			t.Errorf("Lookup(%s) = %#v, %v; want %#v", key, got, err, want)
		}
	}
	err := s.Set("too.big", uint64(1)<<63)
	if !errors.Is(err, hp.ErrInvalidArgument) || !contains(err.Error(), `"too.big"`) {
		t.Fatalf("uint64 above int64: %v", err)
	}
	err = s.Set("a.slice", []int{1})
	if !errors.Is(err, hp.ErrInvalidArgument) || !contains(err.Error(), "[]int") {
		t.Fatalf("a slice: %v", err)
	}
	err = s.Update(map[string]any{"ok.one": 1, "bad.one": struct{}{}})
	if !errors.Is(err, hp.ErrInvalidArgument) {
		t.Fatalf("Update with a struct: %v", err)
	}
	own, err := s.OwnKeys()
	must(t, err)
	if !reflect.DeepEqual(own, []string{"d", "f32", "lvl", "n", "u"}) {
		t.Fatalf("a refused Update wrote something: %v", own)
	}
	// Text keeps interior NUL bytes and any Unicode.
	must(t, s.Set("t", "a\x00b ü 😀"))
	str, err := hp.GetIn(s, "t", "")
	equal(t, "t", str, err, "a\x00b ü 😀")
}

func TestChildScopes(t *testing.T) {
	parent := newScope(t)
	must(t, parent.Update(map[string]any{"a": 1, "b": 2}))
	child, err := parent.NewChild()
	must(t, err)
	defer child.Close()

	a, err := hp.GetIn(child, "a", 0)
	equal(t, "child sees the parent", a, err, 1)
	must(t, child.Set("b", 20))
	must(t, child.Set("c", 30))
	b, err := hp.GetIn(child, "b", 0)
	equal(t, "child's own value", b, err, 20)
	b, err = hp.GetIn(parent, "b", 0)
	equal(t, "the parent keeps its value", b, err, 2)
	c, err := hp.GetIn(parent, "c", -1)
	equal(t, "the child's key does not leak", c, err, -1)

	// The child sees later writes to its parent: it reads through, it is no copy.
	must(t, parent.Set("a", 100))
	a, err = hp.GetIn(child, "a", 0)
	equal(t, "child sees the parent's new value", a, err, 100)

	keys, err := child.Keys()
	must(t, err)
	own, err := child.OwnKeys()
	must(t, err)
	if !reflect.DeepEqual(keys, []string{"a", "b", "c"}) ||
		!reflect.DeepEqual(own, []string{"b", "c"}) {
		t.Fatalf("Keys %v, OwnKeys %v", keys, own)
	}
	must(t, child.Clear())
	b, err = hp.GetIn(child, "b", 0)
	equal(t, "after Clear the parent shows through", b, err, 2)
}

func TestEmptyScopeIgnoresBaseline(t *testing.T) {
	defer resetBaseline(t)
	must(t, hp.With(map[string]any{"base.k": 5}, hp.Frozen))
	base := hp.Baseline()
	defer base.Close()
	k, err := hp.GetIn(base, "base.k", 0)
	equal(t, "Baseline", k, err, 5)
	empty := hp.NewEmptyScope()
	defer empty.Close()
	k, err = hp.GetIn(empty, "base.k", 0)
	equal(t, "NewEmptyScope", k, err, 0)
	keys, err := empty.Keys()
	must(t, err)
	if len(keys) != 0 {
		t.Fatalf("an empty scope has keys %v", keys)
	}
}

func TestDefineAndSource(t *testing.T) {
	s := newScope(t)
	must(t, s.Define("train.lr=0.01"))
	must(t, s.Define("train.bs=64"))
	must(t, s.Define("train.amp=true"))
	must(t, s.Define("train.name=resnet"))
	for key, want := range map[string]any{
		"train.lr": 0.01, "train.bs": int64(64), "train.amp": true, "train.name": "resnet",
	} {
		got, err := s.Lookup(key)
		if err != nil || got != want {
			t.Errorf("Lookup(%s) = %#v, %v; want %#v", key, got, err, want)
		}
	}
	// Labelled as Python labels hp.scope("train.lr=0.01").
	src, err := s.Source("train.lr")
	equal(t, "source of a definition", src, err, "key=value")
	must(t, s.Set("x", 1))
	must(t, s.SetSource("x", "config.yaml:x"))
	src, err = s.Source("x")
	equal(t, "source", src, err, "config.yaml:x")
	if err := s.SetSource("absent", "y"); !errors.Is(err, hp.ErrNotFound) {
		t.Fatalf("SetSource of an absent key: %v", err)
	}
	if err := s.Define("no-equals-sign"); !errors.Is(err, hp.ErrInvalidArgument) {
		t.Fatalf("Define without '=': %v", err)
	}
	if err := s.Define("a..b=1"); !errors.Is(err, hp.ErrInvalidKey) || !contains(err.Error(), "a..b") {
		t.Fatalf("Define with a bad key: %v", err)
	}
}

func TestClosedScope(t *testing.T) {
	s := hp.NewScope()
	must(t, s.Set("k", 1))
	child, err := s.NewChild()
	must(t, err)
	defer child.Close()
	must(t, s.Close())
	must(t, s.Close())
	if err := s.Set("k", 2); !errors.Is(err, hp.ErrClosed) {
		t.Fatalf("Set after Close: %v", err)
	}
	if _, err := hp.GetIn(s, "k", 0); !errors.Is(err, hp.ErrClosed) {
		t.Fatalf("GetIn after Close: %v", err)
	}
	if err := s.With(func() error { return nil }); !errors.Is(err, hp.ErrClosed) {
		t.Fatalf("With after Close: %v", err)
	}
	var nilScope *hp.Scope
	if _, err := hp.GetIn(nilScope, "k", 0); !errors.Is(err, hp.ErrClosed) {
		t.Fatalf("GetIn on nil: %v", err)
	}
	// The child keeps its parent's scope alive.
	k, err := hp.GetIn(child, "k", 0)
	equal(t, "child of a closed scope", k, err, 1)
}

// One scope shared by many goroutines, closed while they use it: each call either works or
// reports ErrClosed.
func TestScopeSharedAcrossGoroutines(t *testing.T) {
	s := hp.NewScope()
	must(t, s.Set("shared.n", 1))
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 2000; i++ {
				if err := s.Set("own.k", g); err != nil && !errors.Is(err, hp.ErrClosed) {
					errs <- err
					return
				}
				n, err := hp.GetIn(s, "shared.n", 0)
				if errors.Is(err, hp.ErrClosed) {
					return
				}
				if err != nil || n != 1 {
					errs <- fmt.Errorf("goroutine %d read shared.n = %d, %v", g, n, err)
					return
				}
			}
		}(g)
	}
	time.Sleep(5 * time.Millisecond)
	must(t, s.Close())
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
