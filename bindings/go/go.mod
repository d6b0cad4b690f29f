module github.com/reiase/hyperparameter/bindings/go

go 1.21
