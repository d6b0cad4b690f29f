"""Fuzz target for the configuration loader, ``hp.config(paths, schema=None)``.

The contract under test: whatever the files hold, ``hp.config`` returns, or raises
``hp.ConfigError`` — never another exception, never a hang, never unbounded memory.

Each input is decoded (by hand, so the same bytes mean the same files with or without atheris)
into one of:

- raw bytes written as one ``.json`` / ``.toml`` / ``.yaml`` / ``.yml`` file;
- a small random tree of sections, rendered as JSON, TOML or YAML, over one to three files
  that name each other as bases (``defaults:``), with ``${...}`` references (to keys, list
  items, the environment, escaped, nested, cyclic), optionally with a few bytes mutated;
- a pattern grown long from a repeated fragment (deep nesting, alias and reference bombs,
  long reference chains, huge numbers, long file names);

and loaded with no schema or with a random dataclass / annotated-class schema.

Run it with atheris (a dev tool: ``pip install atheris``), from the repository root::

    python fuzz/python/config_loader.py fuzz/work/config_loader fuzz/corpus/config_loader \\
        -dict=fuzz/python/config.dict -max_total_time=600 -timeout=20 -rss_limit_mb=2048 -max_len=8192

The kept inputs in ``fuzz/regressions/config_loader/`` and the seeds in
``fuzz/corpus/config_loader/`` are replayed by ``tests/config/test_fuzz_regressions.py``.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import os
import sys
import tempfile
import typing
from pathlib import Path
from typing import Any, Dict, FrozenSet, List, Literal, Optional, Tuple, Union

# Run from a checkout without installing: the package is two levels up.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import hyperparameter as hp  # noqa: E402

os.environ["HP_FUZZ_SET"] = "from-env"
os.environ.pop("HP_FUZZ_UNSET", None)

EXTENSIONS = [".json", ".toml", ".yaml", ".yml"]
KEYS = ["a", "b", "c", "lr", "train", "data", "root", "x", "0", "A", "a.b", "k-1", "défaut", "defaults"]
WORDS = ["", "adam", "8080", "3.5", "true", "no", "null", "1e3", "${", "}", "$${a}", "é", "\x00"]


class Input:
    """Reads choices from the fuzz bytes; past the end every read gives zeros."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def byte(self) -> int:
        if self.pos >= len(self.data):
            return 0
        self.pos += 1
        return self.data[self.pos - 1]

    def below(self, n: int) -> int:
        return self.byte() % n

    def pick(self, items: typing.Sequence[Any]) -> Any:
        return items[self.below(len(items))]

    def u16(self) -> int:
        return self.byte() | self.byte() << 8

    def raw(self, limit: int) -> bytes:
        n = min(self.u16() % (limit + 1), len(self.data) - self.pos)
        self.pos += n
        return self.data[self.pos - n : self.pos]

    def rest(self) -> bytes:
        rest = self.data[self.pos :]
        self.pos = len(self.data)
        return rest


# --- random trees -------------------------------------------------------------------------


def gen_path(inp: Input) -> str:
    parts = [inp.pick(KEYS) for _ in range(1 + inp.below(3))]
    if inp.below(4) == 0:
        parts.append(inp.pick(["0", "1", "7", "00", "-1", "²", "١", "0" * 30]))
    return ".".join(parts)


def gen_string(inp: Input) -> str:
    pieces = []
    for _ in range(1 + inp.below(3)):
        kind = inp.below(9)
        if kind <= 2:
            pieces.append("${" + gen_path(inp) + "}")
        elif kind == 3:
            pieces.append(
                inp.pick(
                    ["${env:HP_FUZZ_SET}", "${env:HP_FUZZ_UNSET}", "${env:HP_FUZZ_UNSET, dflt}", "${env:}"]
                )
            )
        elif kind == 4:
            pieces.append(inp.pick(["$${a}", "${}", "${ ", "${a.${b}}", "$$", "${a}}"]))
        elif kind == 5:
            pieces.append(inp.raw(8).decode("utf-8", "replace"))
        else:
            pieces.append(inp.pick(WORDS))
    return "".join(pieces)


def gen_scalar(inp: Input) -> Any:
    kind = inp.below(8)
    if kind == 0:
        return inp.pick([0, 1, -1, 8080, 2**63 - 1, -(2**63), 2**63, 10**30])
    if kind == 1:
        return inp.pick([0.0, -0.0, 0.5, 1e300, 3.0, float("inf"), float("nan")])
    if kind == 2:
        return inp.byte() & 1 == 1
    if kind == 3:
        return None
    return gen_string(inp)


def gen_value(inp: Input, depth: int) -> Any:
    kind = inp.below(6)
    if depth < 3 and kind == 0:
        return gen_section(inp, depth + 1)
    if depth < 3 and kind == 1:
        return [gen_value(inp, depth + 1) for _ in range(inp.below(4))]
    return gen_scalar(inp)


def gen_section(inp: Input, depth: int) -> dict:
    return {inp.pick(KEYS): gen_value(inp, depth) for _ in range(inp.below(5))}


# --- rendering ------------------------------------------------------------------------------


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value != value:
            return "nan"
        if value in (float("inf"), float("-inf")):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if value is None:
        return '"null"'  # TOML has no null
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(str(k))} = {toml_value(v)}" for k, v in value.items()) + "}"


def render(data: dict, ext: str) -> bytes:
    if ext == ".json":
        return json.dumps(data).encode()
    if ext == ".toml":
        return "\n".join(f"{json.dumps(str(k))} = {toml_value(v)}" for k, v in data.items()).encode()
    import yaml

    return yaml.safe_dump(data, allow_unicode=True).encode()


def mutate(inp: Input, text: bytes) -> bytes:
    """A few byte edits, so that near-valid syntax gets explored too."""
    out = bytearray(text)
    for _ in range(inp.below(4)):
        if not out:
            break
        at = inp.u16() % len(out)
        op = inp.below(3)
        if op == 0:
            out[at] = inp.byte()
        elif op == 1:
            del out[at]
        else:
            out.insert(at, inp.pick(b"[]{}:,-&*!'\"\n #$"))
    return bytes(out)


# --- long patterns --------------------------------------------------------------------------

PATTERNS = [
    # (extension, head, fragment repeated n times, tail)
    (".yaml", "a: ", "[", ""),
    (".yaml", "a: ", "{a: ", ""),
    (".yaml", "", "- ", "x"),
    (".yaml", "a:\n", " ", "b: 1"),
    (".yaml", "a: ", "? ", "x"),
    (".yaml", "a: ", "!!seq [", ""),
    (".yaml", "a: ", "&x [", ""),
    (".yaml", "a: 1", ":59", ""),
    (".yaml", "a: ", "1", ""),
    (".yaml", "a: 2001-", "1", "-01"),
    (".json", '{"a": ', "[", ""),
    (".json", '{"a": ', "1", "}"),
    (".json", '{"a": ', '{"a": ', ""),
    (".toml", "a = ", "[", ""),
    (".toml", "a = ", "{a = ", ""),
    (".toml", "a = 0x", "f", ""),
    (".toml", "a = ", "1", ""),
]


def yaml_alias_bomb(levels: int, width: int) -> bytes:
    lines = ["l0: &l0 [x, x]"]
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]")
    return "\n".join(lines).encode()


def reference_bomb(levels: int) -> bytes:
    data: dict = {"r0": {"x": 1}}
    for i in range(1, levels):
        data[f"r{i}"] = {"p": f"${{r{i - 1}}}", "q": f"${{r{i - 1}}}"}
    return json.dumps(data).encode()


def reference_chain(length: int, deep: int) -> bytes:
    data: dict = {}
    for i in range(length):
        node: Any = f"${{k{i + 1}}}"
        for _ in range(deep):
            node = {"n": node}
        data[f"k{i}"] = node
    data[f"k{length}"] = 1
    return json.dumps(data).encode()


# --- schemas --------------------------------------------------------------------------------


class Color(enum.Enum):
    red = "red"
    green = 2


SCALAR_TYPES: list = [
    int,
    float,
    str,
    bool,
    Any,
    Optional[int],
    List[int],
    List[str],
    Dict[str, int],
    Tuple[int, str],
    Tuple[float, ...],
    FrozenSet[str],
    Literal["adam", 1, True],
    Union[int, str],
    Color,
    Optional[List[float]],
]


def gen_type(inp: Input, depth: int) -> Any:
    if depth < 2 and inp.below(5) == 0:
        return gen_schema(inp, depth + 1)
    return inp.pick(SCALAR_TYPES)


def gen_schema(inp: Input, depth: int = 0) -> type:
    names = list(dict.fromkeys(inp.pick(KEYS[:10]).replace(".", "_") for _ in range(1 + inp.below(4))))
    names = [n if n.isidentifier() else f"f{n}" for n in names]
    fields = [(name, gen_type(inp, depth)) for name in names]
    if inp.below(3) == 0:
        # A plain class with annotations (and, for some fields, a class attribute default).
        namespace: dict = {"__annotations__": dict(fields)}
        for name, tp in fields:
            if inp.below(3) == 0 and tp in (int, str, Any, Optional[int]):
                namespace[name] = None
        return type(f"Plain{depth}", (), namespace)
    spec = []
    for name, tp in fields:
        if inp.below(3) == 0 and tp in (int, float, str, bool, Optional[int]):
            spec.append(
                (name, tp, dataclasses.field(default=tp() if tp in (int, float, str, bool) else None))
            )
        else:
            spec.append((name, tp))
    spec.sort(key=lambda f: len(f) == 3)  # defaults after the required fields
    return dataclasses.make_dataclass(f"Schema{depth}", spec)


# --- the check ----------------------------------------------------------------------------


def build(inp: Input, folder: Path) -> tuple[list[Path], Optional[type]]:
    """Write the files one input describes; the paths to load and the schema."""
    mode = inp.below(8)
    if mode <= 1:
        path = folder / ("main" + inp.pick(EXTENSIONS))
        schema = gen_schema(inp) if inp.below(4) == 0 else None
        path.write_bytes(inp.rest())
        return [path], schema
    if mode <= 5:
        count = 1 + inp.below(3)
        names = [f"f{i}{inp.pick(EXTENSIONS)}" for i in range(count)]
        for name in names:
            data = gen_section(inp, 0)
            choice = inp.below(6)
            if choice == 1:
                data["defaults"] = inp.pick(names)
            elif choice == 2:
                data["defaults"] = [inp.pick(names), inp.pick(names)]
            elif choice == 3:
                data["defaults"] = inp.pick(
                    ["missing.yaml", "x" * 300 + ".json", "../f0.json", "", 3, ["a", 1]]
                )
            text = render(data, Path(name).suffix)
            if inp.below(3) == 0:
                text = mutate(inp, text)
            (folder / name).write_bytes(text)
        loaded = [folder / names[0]] if inp.below(2) else [folder / n for n in names]
        schema = gen_schema(inp) if inp.below(3) == 0 else None
        return loaded, schema
    kind = inp.below(6)
    if kind == 0:
        ext, head, fragment, tail = inp.pick(PATTERNS)
        text = (head + fragment * (inp.u16() % 20000) + tail).encode()
    elif kind == 1:
        ext, text = ".yaml", yaml_alias_bomb(2 + inp.below(30), 1 + inp.below(10))
    elif kind == 2:
        ext, text = ".json", reference_bomb(2 + inp.below(40))
    elif kind == 3:
        ext, text = ".json", reference_chain(inp.u16() % 2000, inp.below(120))
    elif kind == 4:
        ext, text = ".json", json.dumps({"defaults": ["n" * (inp.u16() % 5000) + ".yaml"]}).encode()
    else:
        ext = inp.pick(EXTENSIONS)
        text = json.dumps({"l": [1, 2], "r": "${l." + "0" * (inp.u16() % 6000) + "}"}).encode()
        text = text if ext == ".json" else b"l: [1, 2]\nr: '" + json.loads(text)["r"].encode() + b"'\n"
        ext = ".json" if ext == ".json" else ".yaml"
    path = folder / ("long" + ext)
    path.write_bytes(text)
    return [path], (gen_schema(inp) if inp.below(4) == 0 else None)


def check(data: bytes) -> None:
    """Load what ``data`` describes; anything but a result or hp.ConfigError propagates."""
    inp = Input(data)
    with tempfile.TemporaryDirectory(prefix="hp-fuzz-") as tmp:
        paths, schema = build(inp, Path(tmp))
        try:
            result = hp.config(paths, schema=schema)
        except hp.ConfigError as exc:
            assert exc.problems, "a ConfigError with no problem"
            str(exc)
            return
        if schema is None:
            assert isinstance(result, hp.Config)
            for key, _value, source in result.flat():
                assert isinstance(key, str)
                assert source is None or isinstance(source, str)
        else:
            assert isinstance(result, schema)


def main() -> None:
    import atheris
    import tomllib  # noqa: F401
    import yaml  # noqa: F401

    # Loaded now so that instrument_all() instruments the loader and the schema checks.
    import hyperparameter._config  # noqa: F401
    import hyperparameter._schema  # noqa: F401

    atheris.instrument_all()
    atheris.Setup(sys.argv, check)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
