"""Wrong programs, as a type checker sees them: ``mypy --strict`` reports each line marked
``# E:`` (with that text in its message) and no other (test_typing.py). Checked only, never run.
"""

from __future__ import annotations

import dataclasses
from typing import Optional

import hyperparameter as hp


@dataclasses.dataclass
class AppConfig:
    lr: float = 0.001


@hp.param
def train(lr: float = 0.001, batch_size: int = 32) -> float:
    return lr * batch_size


@hp.param("model")
def build(depth: int = 2) -> int:
    return depth


@hp.param
class Model:
    def __init__(self, depth: int = 2) -> None:
        self.depth = depth


@hp.param("optim")
class Optimizer:
    def __init__(self, lr: float = 0.1) -> None:
        self.lr = lr


def wrong(path: str) -> None:
    y: str = hp.scope.train.lr | 0.001  # E: expression has type "float", variable has type "str"
    a: str = hp.scope.train.lr(0.001)  # E: expression has type "float", variable has type "str"
    b: str = hp.scope["train.lr"] | 1  # E: expression has type "int", variable has type "str"
    n: int = hp.scope.train.lr | None  # E: expression has type "Any | None", variable has type "int"
    with hp.scope() as ps:
        c: str = ps.train.lr | 0.001  # E: expression has type "float", variable has type "str"
    cfg: int = hp.config(path, schema=AppConfig)  # E: type "AppConfig", variable has type "int"
    raw: int = hp.config(path)  # E: expression has type "Config", variable has type "int"
    train(lr="fast")  # E: Argument "lr" to "train" has incompatible type "str"; expected "float"
    train(0.1, 32, 5)  # E: Too many arguments for "train"
    build(depth="deep")  # E: Argument "depth" to "build" has incompatible type "str"; expected "int"
    Model(depth=2.5)  # E: Argument "depth" to "Model" has incompatible type "float"; expected "int"
    Optimizer(rate=0.1)  # E: Unexpected keyword argument "rate" for "Optimizer"
    d: Optional[str] = build()  # E: expression has type "int", variable has type "str | None"
    del y, a, b, n, c, cfg, raw, d
