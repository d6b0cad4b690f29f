"""A correct program, as a type checker sees it: ``mypy --strict`` passes it (test_typing.py).

Each ``# R:`` comment is what mypy reveals for that line (less ``builtins.``); an
``assert_type`` fails the run if the type is not exactly the one named. Checked, never run.
"""

from __future__ import annotations

import dataclasses
import pathlib
from typing import Any, Optional

from typing_extensions import assert_type, reveal_type

import hyperparameter as hp


@dataclasses.dataclass
class AppConfig:
    lr: float = 0.001
    name: str = "run"


@hp.param
def train(lr: float = 0.001, batch_size: int = 32, *, tag: str = "") -> str:
    return f"{lr} {batch_size} {tag}"


@hp.param("model")
def build(depth: int = 2, act: str = "relu") -> list[str]:
    return [act] * depth


@hp.param("job")
async def job(retries: int = 3) -> bool:
    return retries > 0


@hp.param
class Model:
    def __init__(self, depth: int = 2) -> None:
        self.depth = depth


@hp.param("optim")
class Optimizer:
    def __init__(self, lr: float = 0.1) -> None:
        self.lr = lr


class BigModel(Model):  # a decorated class is still a class
    pass


@hp.auto_param("legacy")
def legacy(x: int = 1) -> int:
    return x


def reads() -> None:
    # A read with a default has the default's type.
    lr: float = hp.scope.train.lr | 0.001
    assert_type(hp.scope.train.lr | 0.001, float)
    assert_type(hp.scope.train.bs | 32, int)
    assert_type(hp.scope.train.fast | False, bool)
    assert_type(hp.scope.train.name | "", str)
    assert_type(hp.scope.train.steps | [1, 2], list[int])
    assert_type(hp.scope.train.lr(0.001), float)
    assert_type(hp.scope["train.lr"] | 0.001, float)
    assert_type(hp.scope["train.lr"](1), int)
    assert_type(hp.scope.get | 1, int)  # a parameter named like a dict method
    assert_type(hp.param_scope.train.lr | 0.001, float)
    # A default of None reads "Any | None"; a required read is Any.
    assert_type(hp.scope.train.lr | None, Optional[Any])
    assert_type(hp.scope.train.lr(None), Optional[Any])
    assert_type(hp.scope.train.lr(), Any)
    maybe: Optional[float] = hp.scope.train.lr | None
    required: float = hp.scope.train.lr()
    # Through a scope object.
    with hp.scope(**{"train.lr": 0.01}) as ps:
        assert_type(ps, hp.Scope)
        assert_type(ps.train.lr | 0.001, float)
        assert_type(ps["train.lr"] | 1, int)
        assert_type(hp.scope.current().train.lr | "", str)
        ps.train.warmup = 500
        hp.scope.train.seed = 1
    del lr, maybe, required


def configs(path: pathlib.Path) -> None:
    assert_type(hp.config(path), hp.Config)
    assert_type(hp.config([path, "other.toml"]), hp.Config)
    assert_type(hp.config(path, schema=AppConfig), AppConfig)
    assert_type(hp.config(path, AppConfig), AppConfig)
    cfg: AppConfig = hp.config(path, schema=AppConfig)
    rate: float = cfg.lr
    del rate


def calls() -> None:
    reveal_type(train)  # R: def (lr: float =, batch_size: int =, *, tag: str =) -> str
    reveal_type(build)  # R: def (depth: int =, act: str =) -> list[str]
    reveal_type(job)  # R: def (retries: int =) -> typing.Coroutine[Any, Any, bool]
    reveal_type(legacy)  # R: def (x: int =) -> int
    reveal_type(Model)  # R: def (depth: int =) -> typed_ok.Model
    reveal_type(Optimizer)  # R: def (lr: float =) -> typed_ok.Optimizer
    assert_type(train(0.1, tag="x"), str)
    assert_type(Model(depth=3), Model)
    assert_type(Model(depth=3).depth, int)
    assert_type(BigModel(), BigModel)
    assert_type(Optimizer().lr, float)
    assert_type(isinstance(object(), Model), bool)
