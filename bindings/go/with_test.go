package hyperparameter_test

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"

	hp "github.com/reiase/hyperparameter/bindings/go"
	"github.com/reiase/hyperparameter/bindings/go/internal/cnative"
)

// resetBaseline publishes an empty baseline again, what a fresh process starts from.
func resetBaseline(t *testing.T) {
	t.Helper()
	empty := hp.NewEmptyScope()
	defer empty.Close()
	must(t, empty.With(hp.Frozen))
}

func get[T hp.Value](t *testing.T, key string, def T) T {
	t.Helper()
	v, err := hp.Get(key, def)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	return v
}

func TestWithNestsAndRollsBack(t *testing.T) {
	if v := get(t, "w.a", -1); v != -1 {
		t.Fatalf("w.a is %d before any With", v)
	}
	err := hp.With(map[string]any{"w.a": 1, "w.b": "outer"}, func() error {
		if v := get(t, "w.a", -1); v != 1 {
			return fmt.Errorf("outer: w.a = %d", v)
		}
		err := hp.With(map[string]any{"w.a": 2}, func() error {
			if v := get(t, "w.a", -1); v != 2 {
				return fmt.Errorf("inner overrides outer: w.a = %d", v)
			}
			if v := get(t, "w.b", ""); v != "outer" {
				return fmt.Errorf("inner sees outer: w.b = %q", v)
			}
			// Native code on this thread reads what Go set.
			if v := cnative.IntOr("w.a", -1); v != 2 {
				return fmt.Errorf("native read of w.a = %d", v)
			}
			if d := cnative.Depth(); d != 2 {
				return fmt.Errorf("depth %d inside two With", d)
			}
			// Writes go to the innermost scope ...
			return hp.Set("w.c", 3)
		})
		if err != nil {
			return err
		}
		// ... and vanish with it; the outer values are back.
		if v := get(t, "w.a", -1); v != 1 {
			return fmt.Errorf("after the inner With: w.a = %d", v)
		}
		if v := get(t, "w.c", -1); v != -1 {
			return fmt.Errorf("the inner With's write leaked: w.c = %d", v)
		}
		if v := cnative.IntOr("w.a", -1); v != 1 {
			return fmt.Errorf("native read after the inner With: w.a = %d", v)
		}
		return nil
	})
	must(t, err)
	if v := get(t, "w.a", -1); v != -1 {
		t.Fatalf("w.a is %d after With", v)
	}
}

func TestWithReturnsTheFunctionsError(t *testing.T) {
	sentinel := errors.New("stop")
	if err := hp.With(nil, func() error { return sentinel }); err != sentinel {
		t.Fatalf("With returned %v", err)
	}
}

func TestSetOutsideWithIsRefused(t *testing.T) {
	err := hp.Set("x.y", 1)
	if !errors.Is(err, hp.ErrNoScope) || !contains(err.Error(), `"x.y"`) {
		t.Fatalf("Set outside With: %v", err)
	}
	if _, err := hp.Current(); !errors.Is(err, hp.ErrNoScope) {
		t.Fatalf("Current outside With: %v", err)
	}
	if v := get(t, "x.y", 0); v != 0 {
		t.Fatalf("the refused write is visible: %d", v)
	}
}

func TestThreadCurrentReadsAndErrors(t *testing.T) {
	must(t, hp.With(map[string]any{"c.s": "abc", "c.n": nil, "c.f": 1.5}, func() error {
		_, err := hp.Get("c.s", 0)
		if !errors.Is(err, hp.ErrTypeMismatch) || !contains(err.Error(), `"c.s"`) {
			return fmt.Errorf("text as int: %v", err)
		}
		if _, err := hp.Require[float64]("c.missing"); !errors.Is(err, hp.ErrNotFound) {
			return fmt.Errorf("Require of a missing key: %v", err)
		}
		if v, err := hp.Lookup("c.n"); err != nil || v != nil {
			return fmt.Errorf("Lookup of null: %#v, %v", v, err)
		}
		if v, err := hp.Require[float64]("c.f"); err != nil || v != 1.5 {
			return fmt.Errorf("Require: %v, %v", v, err)
		}
		if err := hp.Set("", 1); !errors.Is(err, hp.ErrInvalidKey) {
			return fmt.Errorf("Set with an empty key: %v", err)
		}
		return nil
	}))
}

func TestPanicInsideWithExitsTheScope(t *testing.T) {
	must(t, hp.With(map[string]any{"p.v": "outer"}, func() error {
		func() {
			defer func() {
				if r := recover(); r != "boom" {
					t.Errorf("recovered %v", r)
				}
			}()
			_ = hp.With(map[string]any{"p.v": "inner"}, func() error {
				panic("boom")
			})
		}()
		// Still on the thread the outer With pinned: the inner scope is gone.
		if d := cnative.Depth(); d != 1 {
			return fmt.Errorf("depth %d after the panic", d)
		}
		if v := get(t, "p.v", ""); v != "outer" {
			return fmt.Errorf("after the panic p.v = %q", v)
		}
		return nil
	}))
	if v := get(t, "p.v", "none"); v != "none" {
		t.Fatalf("p.v = %q after With", v)
	}
	// A goroutine whose only With panicked gives back a clean thread.
	done := make(chan int)
	go func() {
		defer func() {
			recover()
			done <- cnative.Depth()
		}()
		_ = hp.With(map[string]any{"p.v": "lost"}, func() error { panic("boom") })
	}()
	if d := <-done; d != 0 {
		t.Fatalf("depth %d after a panic in the goroutine's only With", d)
	}
}

func TestGoexitInsideWithExitsTheScope(t *testing.T) {
	done := make(chan int)
	go func() {
		defer func() { done <- cnative.Depth() }()
		_ = hp.With(map[string]any{"g.v": 1}, func() error {
			runtime.Goexit()
			return nil
		})
	}()
	if d := <-done; d != 0 {
		t.Fatalf("depth %d after Goexit inside With", d)
	}
}

// Goroutines each in their own With, many times over, on threads they share in turns: each
// sees only its own values, from Go and from native code.
func TestGoroutinesSeeOnlyTheirOwnWith(t *testing.T) {
	const goroutines, rounds = 4, 3000
	var wg sync.WaitGroup
	errs := make(chan error, goroutines+1)
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				want := int64(g*1_000_000 + i)
				err := hp.With(map[string]any{"iso.v": want, "iso.g": g}, func() error {
					runtime.Gosched() // invite the scheduler to move things around
					if v, err := hp.Get("iso.v", int64(-1)); err != nil || v != want {
						return fmt.Errorf("goroutine %d round %d: Get = %d, %v", g, i, v, err)
					}
					if v := cnative.IntOr("iso.v", -1); v != want {
						return fmt.Errorf("goroutine %d round %d: native read = %d", g, i, v)
					}
					return hp.With(map[string]any{"iso.v": want + 1}, func() error {
						if v, err := hp.Get("iso.g", -1); err != nil || v != g {
							return fmt.Errorf("goroutine %d round %d: nested iso.g = %d, %v", g, i, v, err)
						}
						return nil
					})
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}(g)
	}
	// A goroutine outside any With meanwhile never sees the others' values.
	stop := make(chan struct{})
	var outside sync.WaitGroup
	outside.Add(1)
	go func() {
		defer outside.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if v, err := hp.Get("iso.v", int64(-1)); err != nil || v != -1 {
				errs <- fmt.Errorf("outside With: iso.v = %d, %v", v, err)
				return
			}
			if v := cnative.IntOr("iso.v", -1); v != -1 {
				errs <- fmt.Errorf("outside With, native: iso.v = %d", v)
				return
			}
			runtime.Gosched()
		}
	}()
	wg.Wait()
	close(stop)
	outside.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestCurrentHandsTheScopeToOtherGoroutines(t *testing.T) {
	must(t, hp.With(map[string]any{"h.lr": 0.5}, func() error {
		s, err := hp.Current()
		if err != nil {
			return err
		}
		defer s.Close()
		result := make(chan error)
		go func() {
			// Another goroutine, maybe another thread: the handle still reads the With's scope,
			// and entering it there makes it current for that goroutine too.
			lr, err := hp.GetIn(s, "h.lr", 0.0)
			if err != nil || lr != 0.5 {
				result <- fmt.Errorf("GetIn through Current: %v, %v", lr, err)
				return
			}
			result <- s.With(func() error {
				if v := get(t, "h.lr", 0.0); v != 0.5 {
					return fmt.Errorf("inside Scope.With: h.lr = %v", v)
				}
				return hp.Set("h.local", 1)
			})
		}()
		if err := <-result; err != nil {
			return err
		}
		// The write inside Scope.With went to its own child and vanished.
		if v := get(t, "h.local", 0); v != 0 {
			return fmt.Errorf("Scope.With's write leaked: h.local = %d", v)
		}
		// A write through the handle goes to the With's scope.
		if err := s.Set("h.via", 7); err != nil {
			return err
		}
		if v := get(t, "h.via", 0); v != 7 {
			return fmt.Errorf("write through Current: h.via = %d", v)
		}
		return nil
	}))
}

func TestScopeWithReplacesTheOuterScopes(t *testing.T) {
	s := newScope(t)
	must(t, s.Set("r.only", 1))
	must(t, hp.With(map[string]any{"r.outer": 1}, func() error {
		err := s.With(func() error {
			if v := get(t, "r.only", 0); v != 1 {
				return fmt.Errorf("r.only = %d", v)
			}
			if v := get(t, "r.outer", 0); v != 0 {
				return fmt.Errorf("Scope.With sees the goroutine's outer With: r.outer = %d", v)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if v := get(t, "r.outer", 0); v != 1 {
			return fmt.Errorf("after Scope.With: r.outer = %d", v)
		}
		return nil
	}))
	own, err := s.OwnKeys()
	must(t, err)
	if len(own) != 1 {
		t.Fatalf("Scope.With changed the scope: %v", own)
	}
}

func TestFrozenPublishesTheBaseline(t *testing.T) {
	defer resetBaseline(t)
	must(t, hp.With(map[string]any{"f.lr": 0.1, "f.bs": 8}, func() error {
		return hp.With(map[string]any{"f.bs": 16}, hp.Frozen)
	}))
	// Every goroutine now reads the baseline, inside With or not, and native code too.
	if v := get(t, "f.bs", 0); v != 16 {
		t.Fatalf("f.bs = %d outside With after Frozen", v)
	}
	done := make(chan error)
	go func() {
		if v := cnative.IntOr("f.bs", 0); v != 16 {
			done <- fmt.Errorf("native read of the baseline: f.bs = %d", v)
			return
		}
		done <- hp.With(map[string]any{"f.bs": 32}, func() error {
			if v := get(t, "f.lr", 0.0); v != 0.1 {
				return fmt.Errorf("baseline under a With: f.lr = %v", v)
			}
			if v := get(t, "f.bs", 0); v != 32 {
				return fmt.Errorf("With over the baseline: f.bs = %d", v)
			}
			return nil
		})
	}()
	must(t, <-done)
	base := hp.Baseline()
	defer base.Close()
	keys, err := base.Keys()
	must(t, err)
	if len(keys) != 2 || keys[0] != "f.bs" || keys[1] != "f.lr" {
		t.Fatalf("baseline keys %v", keys)
	}
	resetBaseline(t)
	if v := get(t, "f.bs", 0); v != 0 {
		t.Fatalf("f.bs = %d after the reset", v)
	}
}

// Native code inside With that enters a scope and leaves it entered: With reports it and
// keeps the goroutine on its thread, so the stray scope goes with the thread.
func TestStrayNativeScopeRetiresTheThread(t *testing.T) {
	type outcome struct {
		err   error
		depth int
	}
	done := make(chan outcome)
	go func() {
		err := hp.With(map[string]any{"stray.v": 1}, func() error {
			cnative.PushAndForget()
			return nil
		})
		// Still on the same thread, so the depth counts both scopes, still entered.
		done <- outcome{err, cnative.Depth()}
	}()
	got := <-done
	if !errors.Is(got.err, hp.ErrScopeOrder) || got.depth != 2 {
		t.Fatalf("With over a stray scope: %v, depth %d", got.err, got.depth)
	}
	// No other goroutine ever lands on that thread.
	for i := 0; i < 200; i++ {
		if v := get(t, "stray.v", 0); v != 0 {
			t.Fatalf("the stray thread's scope is visible: stray.v = %d", v)
		}
		runtime.Gosched()
	}
}

func TestCurrentHandleOutlivesTheWith(t *testing.T) {
	var s *hp.Scope
	must(t, hp.With(map[string]any{"o.v": 3}, func() error {
		var err error
		s, err = hp.Current()
		return err
	}))
	defer s.Close()
	v, err := hp.GetIn(s, "o.v", 0)
	equal(t, "read through the handle after With", v, err, 3)
	if v := get(t, "o.v", 0); v != 0 {
		t.Fatalf("o.v = %d outside With", v)
	}
}
