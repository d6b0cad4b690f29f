package hyperparameter_test

import (
	"errors"
	"fmt"

	hp "github.com/reiase/hyperparameter/bindings/go"
)

// With pins the goroutine to its OS thread and enters a scope there; Get reads it, and so
// would C or C++ code called from the function.
func Example() {
	err := hp.With(map[string]any{"train.lr": 0.01}, func() error {
		lr, err := hp.Get("train.lr", 0.001)
		if err != nil {
			return err
		}
		bs, err := hp.Get("train.batch_size", 32) // not set: the default
		if err != nil {
			return err
		}
		fmt.Println("lr", lr, "batch size", bs)
		return nil
	})
	if err != nil {
		fmt.Println(err)
	}
	lr, _ := hp.Get("train.lr", 0.001)
	fmt.Println("after With: lr", lr)
	// Output:
	// lr 0.01 batch size 32
	// after With: lr 0.001
}

// Inner scopes override outer ones, and writes vanish with the scope they were made in.
func ExampleWith_nested() {
	_ = hp.With(map[string]any{"model.layers": 4, "model.act": "relu"}, func() error {
		_ = hp.With(map[string]any{"model.layers": 8}, func() error {
			_ = hp.Set("model.dropout", 0.1)
			layers, _ := hp.Get("model.layers", 0)
			act, _ := hp.Get("model.act", "")
			dropout, _ := hp.Get("model.dropout", 0.0)
			fmt.Println(layers, act, dropout)
			return nil
		})
		layers, _ := hp.Get("model.layers", 0)
		dropout, _ := hp.Get("model.dropout", 0.0)
		fmt.Println(layers, dropout)
		return nil
	})
	// Output:
	// 8 relu 0.1
	// 4 0
}

// Scope handles work from any goroutine without pinning anything.
func ExampleScope() {
	run := hp.NewScope()
	defer run.Close()
	_ = run.Define("train.batch_size=64") // as from -D on a command line
	_ = run.Set("train.optimizer", "adam")

	trial, _ := run.NewChild()
	defer trial.Close()
	_ = trial.Set("train.batch_size", "128") // text converts when read as a number

	bs, _ := hp.GetIn(trial, "train.batch_size", 32)
	opt, _ := hp.GetIn(trial, "train.optimizer", "sgd")
	outer, _ := hp.GetIn(run, "train.batch_size", 32)
	fmt.Println(bs, opt, outer)
	// Output: 128 adam 64
}

// A value that cannot be converted is an error naming key, value and type, never the default.
func ExampleGetIn_conversionError() {
	s := hp.NewScope()
	defer s.Close()
	_ = s.Set("train.optimizer", "adam")
	_, err := hp.GetIn(s, "train.optimizer", 1)
	fmt.Println(err)
	fmt.Println(errors.Is(err, hp.ErrTypeMismatch))
	// Output:
	// hyperparameter: parameter "train.optimizer": cannot convert "adam" to int (HP_TYPE_MISMATCH)
	// true
}

// Current hands the scope of a With to goroutines, which run on other threads.
func ExampleCurrent() {
	_ = hp.With(map[string]any{"serve.variant": "b"}, func() error {
		s, err := hp.Current()
		if err != nil {
			return err
		}
		defer s.Close()
		done := make(chan string)
		go func() {
			v, _ := hp.GetIn(s, "serve.variant", "a")
			done <- v
		}()
		fmt.Println(<-done)
		return nil
	})
	// Output: b
}
