"""A static scan of Python sources for parameters: no user code is imported or run.

Finds ``@hp.param`` / ``@auto_param`` functions and classes (each keyword default is a
parameter ``namespace.name``) and reads such as ``hp.scope.train.lr | 0.001``,
``param_scope.train.lr(0.001)`` and ``hp.scope["train.lr"] | 0.001``.
"""

from __future__ import annotations

import ast
import inspect
import io
import os
import stat
import tokenize
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional

from .. import _scope

_DECORATORS = {"param", "auto_param"}
_READERS = {"scope", "param_scope"}


def _methods(cls: type) -> frozenset[str]:
    """The public methods of ``cls``: ``hp.scope.current()`` is a call, not a read of ``current``."""
    return frozenset(name for name in dir(cls) if not name.startswith("_") and callable(getattr(cls, name)))


#: Methods of ``hp.scope`` (a scope object's are among them), taken from its class.
_METHODS = _methods(type(_scope.scope))


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


#: Markers on the walk's stack: the end of a function's body, of a class's body.
_END_FUNCTION, _END_CLASS = object(), object()


class _Scanner:
    """Walks one module's tree with its own stack, not Python's: deep nesting cannot overflow it."""

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

    def read(self, target: ast.expr, default: Optional[ast.expr], line: int) -> None:
        key = _key_path(target, frozenset().union(*self.aliases))
        if key and key not in _METHODS:
            self.found.append(Found(key, "read", self.text(default), self.file, line, self.owner[-1]))

    def run(self, tree: ast.AST) -> list[Found]:
        """Every node in source order; a function or class is the owner of what is inside it."""
        stack: list = [tree]
        while stack:
            node = stack.pop()
            if node is _END_FUNCTION:
                self.aliases.pop()
                self.owner.pop()
                continue
            if node is _END_CLASS:
                self.owner.pop()
                continue
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for decorator in node.decorator_list:
                    namespace = _decorator_namespace(decorator, node.name)
                    if namespace is not None:
                        self.declare(node, namespace, node.name)
                self.owner.append(node.name)
                self.aliases.append(set())
                stack.append(_END_FUNCTION)
            elif isinstance(node, ast.ClassDef):
                for decorator in node.decorator_list:
                    namespace = _decorator_namespace(decorator, node.name)
                    if namespace is None:
                        continue
                    for item in node.body:
                        if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                            self.declare(item, namespace, node.name)
                self.owner.append(node.name)
                stack.append(_END_CLASS)
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                for item in node.items:
                    if isinstance(item.optional_vars, ast.Name) and _makes_scope(item.context_expr):
                        self.aliases[-1].add(item.optional_vars.id)
            elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
                self.read(node.left, node.right, node.lineno)
            elif isinstance(node, ast.Call) and len(node.args) <= 1 and not node.keywords:
                self.read(node.func, node.args[0] if node.args else None, node.lineno)
            stack.extend(reversed(list(ast.iter_child_nodes(node))))
        return self.found


#: Folders (and files) a folder scan passes over, besides those whose name starts with ".".
_PASSED_OVER = {"__pycache__", "build", "dist"}


def python_files(path: Path, problems: list[str]) -> Iterator[Path]:
    """``path`` itself if it is not a folder, else the ``.py`` files below it, in name order.

    Symbolic links to folders are not followed (even one named ``*.py``), so a link loop cannot
    trap the walk; links to files are yielded like files. A folder that cannot be listed is
    added to ``problems``.
    """
    if not path.is_dir():
        yield path
        return
    folders = [path]
    while folders:
        folder = folders.pop()
        try:
            with os.scandir(folder) as entries:
                listed = sorted(entries, key=lambda entry: entry.name)
        except OSError as exc:
            problems.append(f"{folder}: cannot read the folder: {exc.strerror or exc}")
            continue
        below = []
        for entry in listed:
            if entry.name.startswith(".") or entry.name in _PASSED_OVER:
                continue
            try:
                is_folder = entry.is_dir(follow_symlinks=False)
            except OSError:
                is_folder = False
            if is_folder:
                below.append(folder / entry.name)
            elif entry.name.endswith(".py") and not _links_to_folder(entry):
                yield folder / entry.name
        folders.extend(reversed(below))


def _links_to_folder(entry: os.DirEntry) -> bool:
    try:
        return entry.is_symlink() and entry.is_dir()
    except OSError:  # a link loop: reported when it is read
        return False


def _kind(mode: int) -> Optional[str]:
    """What a file that is not a regular file is, or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    kinds = {
        stat.S_ISDIR: "a folder",
        stat.S_ISFIFO: "a FIFO",
        stat.S_ISSOCK: "a socket",
        stat.S_ISCHR: "a character device",
        stat.S_ISBLK: "a block device",
    }
    return next((name for test, name in kinds.items() if test(mode)), "not a regular file")


class _Skipped(Exception):
    """A path that is not a regular file: it is not opened (a FIFO would block the read)."""


#: O_NONBLOCK: opening a FIFO (put in place after the check) returns at once instead of waiting.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


def _read(file: Path) -> bytes:
    """The bytes of a regular file; ``_Skipped`` for anything else, ``OSError`` if it cannot be read.

    The file is checked before it is opened, and again once open (without blocking, in case it
    was replaced in between): a FIFO or a device is never read.
    """
    kind = _kind(os.stat(file).st_mode)
    if kind is not None:
        raise _Skipped(kind)
    fd = os.open(file, _OPEN_FLAGS)
    try:
        kind = _kind(os.fstat(fd).st_mode)
        if kind is not None:
            raise _Skipped(kind)
        with open(fd, "rb", closefd=False) as stream:
            return stream.read()
    finally:
        os.close(fd)


def _decode(data: bytes) -> str:
    """Source text as Python reads it: in the encoding its coding line names, else UTF-8.

    Bytes that do not decode raise ``ValueError`` naming the byte and its line.
    """
    try:
        try:
            encoding = tokenize.detect_encoding(io.BytesIO(data).readline)[0]
        except SyntaxError:
            data.decode("utf-8")  # not UTF-8 in the first two lines: name the byte (below)
            raise
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ValueError(f"not valid {exc.encoding}: byte {data[exc.start]:#04x} on line {line}") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _scan_file(file: Path) -> list[Found]:
    """The parameters of one file; raises what makes it unreadable (see ``scan``)."""
    source = _decode(_read(file))
    tree = ast.parse(source, filename=str(file))
    return _Scanner(str(file), source).run(tree)


def scan(path: Path) -> tuple[list[Found], list[str]]:
    """Every parameter declared or read under ``path``, and one line for each file passed over.

    A file that cannot be read or parsed (a syntax error, undecodable bytes, code nested too
    deeply for the parser) or that is not a regular file (a FIFO, a socket, a device) is
    reported and the scan goes on with the others.
    """
    found: list[Found] = []
    problems: list[str] = []
    for file in python_files(path, problems):
        try:
            found.extend(_scan_file(file))
        except _Skipped as exc:
            problems.append(f"{file}: skipped: not a regular file ({exc})")
        except OSError as exc:
            problems.append(f"{file}: cannot read: {exc.strerror or exc}")
        except RecursionError:
            problems.append(f"{file}: cannot parse: nested too deeply (RecursionError)")
        except MemoryError:
            problems.append(f"{file}: cannot parse: too complex or too large (MemoryError)")
        except SyntaxError as exc:
            line = f" on line {exc.lineno}" if exc.lineno else ""
            problems.append(f"{file}: cannot parse: {exc.msg}{line}")
        except ValueError as exc:  # undecodable bytes, null bytes
            problems.append(f"{file}: cannot parse: {exc}")
    found.sort(key=lambda f: (f.key, f.file, f.line))
    return found, problems


class SourceScan:
    """What a program's source files declare (``@hp.param``) and read (``hp.scope.x.y | 1``),
    from a scan of their text: the keys ``-lps``, ``-ep`` and ``--strict`` know besides the
    registry, and the types of ``-D`` keys that only the code reads."""

    def __init__(self, files: Iterable[str]) -> None:
        self.declared: dict[str, list[Found]] = {}
        self.reads: dict[str, list[Found]] = {}
        for file in files:
            found, _ = scan(Path(file))
            for f in found:
                (self.declared if f.kind == "param" else self.reads).setdefault(f.key, []).append(f)

    @classmethod
    def of(cls, functions: Iterable[Any]) -> SourceScan:
        """The scan of the files that define ``functions`` (each unwrapped, as
        ``Command.target`` is)."""
        files: list[str] = []
        for function in functions:
            try:
                file = inspect.getsourcefile(function)
            except TypeError:
                file = None
            if file and file not in files and os.path.isfile(file):
                files.append(file)
        return cls(files)

    def keys(self) -> set[str]:
        return set(self.declared) | set(self.reads)

    def default(self, key: str) -> tuple[bool, Any]:
        """``(True, value)`` for the first read of ``key`` whose default is a literal."""
        for found in self.reads.get(key, ()):
            if found.default:
                try:
                    return True, ast.literal_eval(found.default)
                except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                    continue
        return False, None
