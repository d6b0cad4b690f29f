"""The Python examples of the quick-start guide, in order, printing what it says they print."""

import concurrent.futures

from hyperparameter import auto_param, param_scope

# 1.1 reading with defaults
lr = param_scope.train.lr | 0.001
batch_size = param_scope.train.batch_size | 32
use_cache = param_scope.model.cache(True)
print(lr, batch_size, use_cache)
try:
    param_scope.model.required_key()
except KeyError as exc:
    print("KeyError:", exc)

# 1.2 scopes roll back
print(param_scope.model.dropout | 0.1)
with param_scope(**{"model.dropout": 0.3}):
    print(param_scope.model.dropout | 0.1)
print(param_scope.model.dropout | 0.1)


# 2.1 @auto_param
@auto_param("train")
def train(lr=1e-3, batch_size=32, epochs=10):
    print(f"lr={lr}, batch_size={batch_size}, epochs={epochs}")


train()
with param_scope(**{"train.lr": 5e-4, "train.batch_size": 64}):
    train()
train(lr=1e-2)


# 3.1 nested scopes for model variants
@auto_param("modelA")
def run_model_a(dropout=0.1, hidden=128):
    print(f"ModelA: dropout={dropout}, hidden={hidden}")


@auto_param("modelB")
def run_model_b(dropout=0.2, hidden=256):
    print(f"ModelB: dropout={dropout}, hidden={hidden}")


base = {"data.path": "/data/mnist"}
variants = [
    {"modelA.dropout": 0.3},
    {"modelB.hidden": 512, "modelB.dropout": 0.15},
]
with param_scope(**base):
    for cfg in variants:
        with param_scope(**cfg):
            run_model_a()
            run_model_b()


# 3.2 dynamic keys
def train_task(task_name):
    lr = param_scope[f"task.{task_name}.lr"] | 1e-3
    wd = param_scope[f"task.{task_name}.weight_decay"] | 0.01
    print(f"{task_name}: lr={lr}, weight_decay={wd}")


with param_scope(**{
    "task.cls.lr": 1e-3,
    "task.cls.weight_decay": 0.01,
    "task.seg.lr": 5e-4,
    "task.seg.weight_decay": 0.001,
}):
    train_task("cls")
    train_task("seg")


# 4.2 thread pool: each worker enters its own scope
def preprocess(shard, cfg):
    with param_scope(**cfg):
        clean = param_scope.pre.clean_noise(False)
        norm = param_scope.pre.norm | "zscore"
        return (shard, clean, norm)


cfg = {"pre.clean_noise": True, "pre.norm": "minmax"}
with concurrent.futures.ThreadPoolExecutor(max_workers=4) as executor:
    print(list(executor.map(lambda s: preprocess(s, cfg), [0, 1, 2])))


# 5.4 early stopping reads defaults
def check_early_stop(metric, best, wait):
    patience = param_scope.scheduler.patience | 5
    delta = param_scope.scheduler.min_delta | 0.001
    if metric > best + delta:
        return False, metric, 0
    wait += 1
    return wait >= patience, best, wait


print(check_early_stop(0.5, 0.6, 4))
