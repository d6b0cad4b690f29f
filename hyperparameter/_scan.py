"""A static scan of Python sources for parameters: no user code is imported or run.

Finds ``@hp.param`` / ``@auto_param`` functions and classes (each keyword default is a
parameter ``namespace.name``) and reads such as ``hp.scope.train.lr | 0.001``,
``param_scope.train.lr(0.001)`` and ``hp.scope["train.lr"] | 0.001``.
"""

from __future__ import annotations

import ast
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator, Optional

_DECORATORS = {"param", "auto_param"}
_READERS = {"scope", "param_scope"}
#: Methods of ``hp.scope`` and of scope objects: ``hp.scope.current()`` is a call, not a read.
_METHODS = {
    "current",
    "empty",
    "frozen",
    "init",
    "keys",
    "items",
    "values",
    "to_dict",
    "update",
    "clear",
    "set",
    "source",
    "snapshot",
}


@dataclass
class Found:
    """One parameter declaration or read found in a source file."""

    key: str
    kind: str  # "param" (declared by a decorator) or "read"
    default: str  # the default's source text, "" when required
    file: str
    line: int
    where: str  # the function (or class) that declares or reads it

    def as_dict(self) -> dict:
        return asdict(self)


def _decorator_namespace(node: ast.expr, owner: str) -> Optional[str]:
    """The namespace a decorator gives, or None if it is not @hp.param / @auto_param."""
    target = node.func if isinstance(node, ast.Call) else node
    name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", None)
    if name not in _DECORATORS:
        return None
    if isinstance(node, ast.Call) and node.args:
        first = node.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return first.value
    return owner


def _key_path(node: ast.expr, aliases: frozenset = frozenset()) -> Optional[str]:
    """``hp.scope.a.b`` / ``param_scope.a.b`` / ``hp.scope["a.b"]`` -> ``"a.b"``.

    ``aliases`` are names bound by ``with hp.scope(...) as ps``: ``ps.a.b`` reads ``a.b`` too.
    """
    parts: list[str] = []
    while True:
        if isinstance(node, ast.Attribute):
            if node.attr in _READERS and _is_reader_root(node):
                return ".".join(reversed(parts)) or None
            parts.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Subscript) and not parts:
            key = node.slice
            if (
                isinstance(key, ast.Constant)
                and isinstance(key.value, str)
                and _is_reader(node.value, aliases)
            ):
                return key.value
            return None
        elif isinstance(node, ast.Name):
            return (
                ".".join(reversed(parts)) if (node.id in _READERS or node.id in aliases) and parts else None
            )
        else:
            return None


def _is_reader_root(node: ast.Attribute) -> bool:
    return isinstance(node.value, ast.Name)


def _is_reader(node: ast.expr, aliases: frozenset = frozenset()) -> bool:
    if isinstance(node, ast.Name):
        return node.id in _READERS or node.id in aliases
    return isinstance(node, ast.Attribute) and node.attr in _READERS


def _makes_scope(node: ast.expr) -> bool:
    """``hp.scope(...)``, ``param_scope(...)``, ``hp.scope.empty(...)``, ``hp.scope.current()``."""
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr in ("empty", "current") and _is_reader(func.value):
        return True
    return _is_reader(func)


class _Visitor(ast.NodeVisitor):
    def __init__(self, file: str, source: str) -> None:
        self.file, self.source = file, source
        self.found: list[Found] = []
        self.owner: list[str] = ["<module>"]
        self.aliases: list[set[str]] = [set()]

    def text(self, node: Optional[ast.expr]) -> str:
        return "" if node is None else (ast.get_source_segment(self.source, node) or ast.unparse(node))

    def declare(self, func: ast.FunctionDef | ast.AsyncFunctionDef, namespace: str, where: str) -> None:
        args = func.args
        positional = [*args.posonlyargs, *args.args]
        defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
        pairs = [*zip(positional, defaults), *zip(args.kwonlyargs, args.kw_defaults)]
        for arg, default in pairs:
            if default is not None:
                self.found.append(
                    Found(f"{namespace}.{arg.arg}", "param", self.text(default), self.file, arg.lineno, where)
                )

    def visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for decorator in node.decorator_list:
            namespace = _decorator_namespace(decorator, node.name)
            if namespace is not None:
                self.declare(node, namespace, node.name)
        self.owner.append(node.name)
        self.aliases.append(set())
        self.generic_visit(node)
        self.aliases.pop()
        self.owner.pop()

    visit_FunctionDef = visit_function
    visit_AsyncFunctionDef = visit_function

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for decorator in node.decorator_list:
            namespace = _decorator_namespace(decorator, node.name)
            if namespace is None:
                continue
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                    self.declare(item, namespace, node.name)
        self.owner.append(node.name)
        self.generic_visit(node)
        self.owner.pop()

    def visit_With(self, node: ast.With | ast.AsyncWith) -> None:
        for item in node.items:
            if isinstance(item.optional_vars, ast.Name) and _makes_scope(item.context_expr):
                self.aliases[-1].add(item.optional_vars.id)
        self.generic_visit(node)

    visit_AsyncWith = visit_With

    def read(self, target: ast.expr, default: Optional[ast.expr], line: int) -> None:
        key = _key_path(target, frozenset().union(*self.aliases))
        if key and key not in _METHODS:
            self.found.append(Found(key, "read", self.text(default), self.file, line, self.owner[-1]))

    def visit_BinOp(self, node: ast.BinOp) -> None:
        if isinstance(node.op, ast.BitOr):
            self.read(node.left, node.right, node.lineno)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        if len(node.args) <= 1 and not node.keywords:
            self.read(node.func, node.args[0] if node.args else None, node.lineno)
        self.generic_visit(node)


def python_files(path: Path) -> Iterator[Path]:
    if path.is_file():
        yield path
        return
    for file in sorted(path.rglob("*.py")):
        if not any(part.startswith(".") or part in ("__pycache__", "build", "dist") for part in file.parts):
            yield file


def scan(path: Path) -> tuple[list[Found], list[str]]:
    """Every parameter declared or read under ``path``, and the files that could not be parsed."""
    found: list[Found] = []
    errors: list[str] = []
    for file in python_files(path):
        try:
            source = file.read_text(encoding="utf-8")
            tree = ast.parse(source, filename=str(file))
        except (SyntaxError, UnicodeDecodeError, ValueError) as exc:
            errors.append(f"{file}: cannot parse: {exc}")
            continue
        visitor = _Visitor(str(file), source)
        visitor.visit(tree)
        found.extend(visitor.found)
    found.sort(key=lambda f: (f.key, f.file, f.line))
    return found, errors
