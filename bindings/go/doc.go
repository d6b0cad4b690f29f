// Package hyperparameter reads and writes the parameters of the hyperparameter engine from
// Go, through its C ABI. Python, C, C++, Rust and Go share one engine per process, so they
// see the same values, hash keys the same way (Hash) and convert values by the same rules.
//
// # Scopes and goroutines
//
// The engine keeps a stack of scopes per OS thread, while goroutines move between threads.
// The package offers two ways to work with that:
//
//   - Scope handles, which are not tied to any thread: NewScope (over the frozen baseline),
//     NewEmptyScope, Scope.NewChild; write with Scope.Set, read with GetIn or RequireIn,
//     release with Scope.Close. Use these in ordinary Go code.
//   - With, which locks the goroutine to its thread, enters a scope holding the given values
//     there, runs a function, and exits the scope however the function ends. Inside it, the
//     thread-current functions (Get, Require, Lookup, Set, Current, Frozen) and any C or C++
//     code called through cgo see the values. Outside With those functions see only the
//     frozen baseline, and Set and Current refuse to work.
//
// Reads look in the innermost scope, then its parents, then the frozen baseline, and fall
// back to the caller's default only for a missing key. Writes go to the innermost scope only.
//
// # Example
//
//	err := hyperparameter.With(map[string]any{"train.lr": 0.01}, func() error {
//		lr, err := hyperparameter.Get("train.lr", 0.001) // 0.01; C code called here reads it too
//		if err != nil {
//			return err
//		}
//		bs, err := hyperparameter.Get("train.batch_size", 32) // 32: not set, the default
//		if err != nil {
//			return err
//		}
//		return train(lr, bs)
//	})
//
//	s := hyperparameter.NewScope()
//	defer s.Close()
//	_ = s.Set("train.batch_size", "64")
//	bs, err := hyperparameter.GetIn(s, "train.batch_size", 32) // 64, converted from "64"
//
// # Errors
//
// Failures are *Error values carrying the engine's status and message, which names the key
// and, for a conversion, the value and the wanted type. Compare with errors.Is against the
// Status values ErrNotFound, ErrTypeMismatch, ErrInvalidKey and the rest.
//
// # Building
//
// The package finds the engine with pkg-config. The Python package ships the library and
// its hyperparameter.pc:
//
//	PKG_CONFIG_PATH=$(python -m hyperparameter --pkgconfigdir) go build ./...
package hyperparameter
