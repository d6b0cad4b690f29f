"""hyperparameter 0.6's public-API tests of dict configs, ported to ``hp.config(mapping)``.

From upstream's tests/test_schema_validation.py, tests/test_loader_interpolation.py,
tests/test_loader_validation.py and tests/test_loader.py. Upstream called some internals on
dicts (``_resolve_interpolations``, ``loader.validate``, ``_merge_dicts``): here that is
``hp.config(dict)``, with a schema where upstream validated. Where this library departs on
purpose, the test says how (errors are ``hp.ConfigError``, a ``ValueError`` naming the key;
unknown keys are errors, not ignored).

No ``from __future__ import annotations`` here, as upstream: the schemas defined inside test
functions refer to each other by real annotations.
"""

import dataclasses
import json
import typing
from pathlib import Path

import pytest

import hyperparameter as hp

# --- from tests/test_schema_validation.py -------------------------------------------------------


@dataclasses.dataclass
class ServerConfig:
    host: str = "localhost"
    port: int = 8080


@dataclasses.dataclass
class AppConfig:
    name: str
    server: ServerConfig
    debug: bool = False


def test_schema_validation_basic() -> None:
    config = {"name": "my-app", "server": {"host": "127.0.0.1", "port": 9090}, "debug": True}
    loaded = hp.config(config, schema=AppConfig)
    assert isinstance(loaded, AppConfig)
    assert loaded.name == "my-app"
    assert isinstance(loaded.server, ServerConfig)
    assert loaded.server.port == 9090
    assert loaded.debug is True


def test_schema_validation_type_error() -> None:
    config = {"name": "my-app", "server": {"port": "invalid-port"}}
    with pytest.raises(Exception) as info:  # upstream: "some exception"; here, a ConfigError naming it
        hp.config(config, schema=AppConfig)
    assert str(info.value) == "<mapping>: server.port: expected int, got 'invalid-port'"


def test_schema_validation_missing_required() -> None:
    with pytest.raises(Exception) as info:
        hp.config({"server": {}}, schema=AppConfig)
    assert str(info.value) == "<mapping>: name: required str is missing"


def test_load_without_schema() -> None:
    loaded = hp.config({"a": 1})
    assert isinstance(loaded, dict)
    assert loaded["a"] == 1


# --- from tests/test_loader_interpolation.py (upstream: _resolve_interpolations(dict)) ----------


def test_interpolation_basic() -> None:
    config = {
        "server": {"host": "localhost", "port": 8080},
        "database": {"url": "http://${server.host}:${server.port}/db"},
        "service": {"name": "my-service", "full_name": "${service.name}-v1"},
    }
    resolved = hp.config(config)
    assert resolved["database"]["url"] == "http://localhost:8080/db"
    assert resolved["service"]["full_name"] == "my-service-v1"


def test_interpolation_type_preservation() -> None:
    resolved = hp.config({"a": 100, "b": "${a}", "c": "value is ${a}"})
    assert resolved["b"] == 100
    assert isinstance(resolved["b"], int)
    assert resolved["c"] == "value is 100"


def test_interpolation_nested() -> None:
    resolved = hp.config({"a": "A", "b": {"c": "${a}", "d": {"e": "${b.c}"}}})
    assert resolved["b"]["d"]["e"] == "A"


def test_interpolation_missing_key() -> None:
    # upstream raises KeyError; here a ConfigError (a ValueError) that names the key and chain
    with pytest.raises(hp.ConfigError, match=r"reference \$\{missing_key\} is not set"):
        hp.config({"a": "${missing_key}"})


def test_interpolation_circular() -> None:
    # upstream: ValueError "Circular dependency ..."; here ConfigError (a ValueError) "reference cycle"
    with pytest.raises(ValueError, match="reference cycle: a -> b -> a"):
        hp.config({"a": "${b}", "b": "${a}"})


# --- from tests/test_loader_validation.py (upstream: loader.validate(dict, schema)) -------------


def test_validate_simple_types() -> None:
    class TrainConfig:
        lr: float
        batch_size: int
        enable_logging: bool

    validated = hp.config({"lr": "0.01", "batch_size": "32", "enable_logging": "true"}, schema=TrainConfig)
    assert validated.lr == 0.01 and isinstance(validated.lr, float)
    assert validated.batch_size == 32 and isinstance(validated.batch_size, int)
    assert validated.enable_logging is True


def test_validate_nested_class() -> None:
    class ServerConfig:
        port: int

    class AppConfig:
        server: ServerConfig

    validated = hp.config({"server": {"port": "8080"}}, schema=AppConfig)
    assert validated.server.port == 8080
    assert isinstance(validated.server, ServerConfig)


def test_validate_nested_dict_annotation() -> None:
    class ModelConfig:
        params: typing.Dict[str, int]

    validated = hp.config({"params": {"a": "1", "b": "2"}}, schema=ModelConfig)
    assert validated.params == {"a": 1, "b": 2}


def test_validate_list_annotation() -> None:
    class NetConfig:
        layers: typing.List[int]

    validated = hp.config({"layers": ["128", "256"]}, schema=NetConfig)
    assert validated.layers == [128, 256]
    assert isinstance(validated.layers[0], int)


def test_validate_missing_field() -> None:
    class Config:
        a: int
        b: int

    # upstream: ValueError "Missing required field: 'b'"; here ConfigError (a ValueError)
    with pytest.raises(ValueError, match="b: required int is missing"):
        hp.config({"a": 1}, schema=Config)


def test_validate_optional_field() -> None:
    class Config:
        a: int
        b: typing.Optional[int] = None

    validated = hp.config({"a": 1}, schema=Config)
    assert validated.a == 1
    assert validated.b is None


def test_validate_extra_fields_are_errors_here() -> None:
    class Config:
        a: int

    # upstream ignores unknown keys; here they are errors (a typo must not pass silently)
    with pytest.raises(hp.ConfigError, match="unknown: unknown key for Config"):
        hp.config({"a": 1, "unknown": 2}, schema=Config)


# --- from tests/test_loader.py (upstream's test_deep_merge: _merge_dicts(base, override)) -------


def test_deep_merge() -> None:
    merged = hp.config([{"a": 1, "b": {"c": 2, "d": 3}}, {"b": {"c": 4}, "e": 5}])
    assert merged["a"] == 1
    assert merged["b"]["c"] == 4
    assert merged["b"]["d"] == 3
    assert merged["e"] == 5


def test_load_single_json(tmp_path: Path) -> None:
    data = {"a": 1, "b": "test"}
    (tmp_path / "config.json").write_text(json.dumps(data))
    assert hp.config(str(tmp_path / "config.json")) == data


def test_load_composition(tmp_path: Path) -> None:
    (tmp_path / "base.json").write_text(
        json.dumps({"model": {"layers": 3, "hidden": 128}, "train": {"lr": 0.01}})
    )
    (tmp_path / "override.json").write_text(json.dumps({"model": {"layers": 4}, "train": {"batch_size": 32}}))
    (tmp_path / "final.toml").write_text("[train]\nlr = 0.001\n")
    paths = [str(tmp_path / name) for name in ("base.json", "override.json", "final.toml")]
    configs = hp.config(paths)
    assert configs["model"]["layers"] == 4
    assert configs["model"]["hidden"] == 128
    assert configs["train"]["lr"] == 0.001
    assert configs["train"]["batch_size"] == 32
    # and with the last file given as a mapping instead
    configs = hp.config([*paths[:2], {"train": {"lr": 0.001}}])
    assert configs["train"] == {"lr": 0.001, "batch_size": 32}
