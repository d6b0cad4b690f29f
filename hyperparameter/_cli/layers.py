"""The values of a run, weakest first: ``--config`` files < ``-D KEY=VALUE`` < explicit options
(the signature's defaults are beneath them all). Each value is checked and converted before
the program runs; a bad one is a usage error naming where it came from.
"""

from __future__ import annotations

from typing import Any, Callable, NoReturn, Optional

from .. import _scope
from .._errors import ConfigError, ConversionError, HyperparameterError
from .._param import registry
from .._scope import Scope
from .._state import CONVERTIBLE, valid_key
from .command import check_value, convert_text, nullable, value_type
from .options import Invocation
from .sweeps import SweepError, check_plain, looks_like_sweep


class Layers:
    """Every value the command line sets, by layer."""

    def __init__(
        self,
        files: list[tuple[str, Any, Optional[str]]],
        definitions: list[tuple[str, Any]],
        options: list[tuple[str, Any]],
        unknown: list[str],
    ) -> None:
        #: ``(key, value, source)`` of the ``--config`` files, the source naming file and key
        self.files = files
        #: ``(key, value)`` of each ``-D KEY=VALUE``
        self.definitions = definitions
        #: ``(key, value)`` of each parameter set by its option
        self.options = options
        #: the ``-D`` keys that no ``@hp.param`` declares and that nothing has read so far
        self.unknown = unknown

    def apply(self, ps: Scope) -> None:
        """Set every value in ``ps``, weakest first, each with its source."""
        for key, value, source in self.files:
            ps.set(key, value, source=source)
        for key, value in self.definitions:
            ps.set(key, value, source="-D")
        for key, value in self.options:
            ps.set(key, value, source="option")

    def defined(self) -> list[str]:
        """The keys set by ``-D`` and by files."""
        return [k for k, _ in self.definitions] + [k for k, _, _ in self.files]


def read(invocation: Invocation, definitions: Optional[list[str]] = None) -> Layers:
    """The layers of ``invocation`` (with ``definitions`` instead of its ``-D`` texts, if
    given); a bad value (and, with ``--strict``, an unknown ``-D`` key) is a usage error."""
    error = invocation.error
    files = _load_configs(error, invocation.options.config)
    texts = invocation.definitions if definitions is None else definitions
    parsed = convert_definitions(invocation, texts)
    unknown = [k for k, _ in parsed if k not in registry and k not in _scope.referenced_keys]
    if unknown and invocation.options.strict:
        from .report import unknown_keys_message

        message = unknown_keys_message(unknown, invocation.source_scan)
        if message:
            error(message)
    return Layers(files, parsed, invocation.option_values(), unknown)


def convert_definitions(invocation: Invocation, texts: list[str]) -> list[tuple[str, Any]]:
    """``(key, value)`` of each ``KEY=VALUE`` text, converted to the key's type (a usage error
    naming key and value when it does not convert)."""
    return _parse_definitions(invocation.error, texts, lambda key: wanted_type(invocation, key))


def wanted_type(invocation: Invocation, key: str) -> tuple[Optional[type], bool]:
    """``(type, whether None is allowed)`` of a ``-D`` key: a parameter's, else the type of
    the literal default where the program's source reads it, else unknown."""
    info = registry.get(key)
    if info is not None:
        return value_type(info), nullable(info)
    known, default = invocation.source_scan.default(key)
    return (type(default), False) if known and type(default) in CONVERTIBLE else (None, False)


def _parse_definitions(
    error: Callable[[str], NoReturn],
    definitions: list[str],
    wanted_of: Callable[[str], tuple[Optional[type], bool]],
) -> list[tuple[str, Any]]:
    parsed = []
    for text in definitions:
        key, sep, raw = text.partition("=")
        key = key.strip()
        if not sep:
            error(f"argument -D/--define: {text!r} is not KEY=VALUE")
        try:
            valid_key(key)
        except HyperparameterError as exc:
            error(f"argument -D/--define: {exc}")
        try:
            check_plain(raw)
        except SweepError as exc:
            error(f"argument -D/--define: {key}: {exc}")
        wanted, allow_none = wanted_of(key)
        try:
            value = convert_text(key, raw, wanted, allow_none)
        except ConversionError:
            hint = " (a sweep, which needs -m)" if looks_like_sweep(raw) else ""
            error(
                f"argument -D/--define: {key}={raw!r} is not a valid "
                f"{wanted.__name__ if wanted else 'value'}{hint}"
            )
        parsed.append((key, value))
    return parsed


def _load_configs(error: Callable[[str], NoReturn], files: list[str]) -> list[tuple[str, Any, Optional[str]]]:
    """Every value of the ``--config`` files, converted to the declared parameters' types."""
    if not files:
        return []
    from .._config import load

    try:
        loaded = list(load(files).flat())
    except ConfigError as exc:
        error(f"argument --config: {exc}")
    checked = []
    for key, value, source in loaded:
        try:
            valid_key(key)
        except HyperparameterError as exc:
            error(f"argument --config: {source}: {exc}")
        info = registry.get(key)
        wanted = value_type(info) if info else None
        if wanted is not None and value is not None:
            try:
                value = check_value(key, value, wanted)
            except ConversionError:
                error(f"argument --config: {source}: {value!r} is not a valid {wanted.__name__}")
        checked.append((key, value, source))
    return checked
