"""The tree keeps its shape: imports run one way, and no module borrows another's private names.

Read from the source, not from a running interpreter: every import counts, also one inside a
function (it runs sooner or later), except the package root's lazy loads (``hp.config`` and
``hp.launch`` import their modules when called, so ``import hyperparameter`` stays fast).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "hyperparameter"
CRATE = ROOT / "rust" / "src"


# --- Python -----------------------------------------------------------------------------------


def python_modules() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package."""
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def is_package(name: str, modules: dict[str, Path]) -> bool:
    return modules[name].name == "__init__.py"


def imports_of(name: str, modules: dict[str, Path]) -> list[tuple[str, list[str], int]]:
    """``(module imported, names taken from it, line)`` for each import in module ``name``."""
    tree = ast.parse(modules[name].read_text(encoding="utf-8"))
    lazy = set()
    if name == "hyperparameter":  # the root's lazy loads: imports inside its functions
        for func in ast.walk(tree):
            if isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lazy.update(id(node) for node in ast.walk(func))
    found = []
    for node in ast.walk(tree):
        if id(node) in lazy:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "hyperparameter":
                    found.append((alias.name, [], node.lineno))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name if is_package(name, modules) else name.rpartition(".")[0]
                for _ in range(node.level - 1):
                    base = base.rpartition(".")[0]
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            if target.split(".")[0] == "hyperparameter":
                found.append((target, [alias.name for alias in node.names], node.lineno))
    return found


def python_graph() -> tuple[dict[str, set[str]], list[str]]:
    """Edges between the package's modules, and the private names some module imports."""
    modules = python_modules()
    edges: dict[str, set[str]] = {name: set() for name in modules}
    borrowed = []
    for name in modules:
        for target, names, line in imports_of(name, modules):
            for taken in names:
                submodule = f"{target}.{taken}"
                if submodule in modules:
                    edges[name].add(submodule)
                elif target in modules:
                    edges[name].add(target)
                    if taken.startswith("_") and not taken.startswith("__"):
                        where = f"{modules[name].relative_to(ROOT)}:{line}"
                        borrowed.append(f"{where} imports {taken} from {target}")
            if not names and target in modules:
                edges[name].add(target)
    return edges, borrowed


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every cycle found by a depth-first walk (one per back edge)."""
    found, state = [], {}
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = "open"
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt == node:
                continue
            if state.get(nxt) == "open":
                found.append(path[path.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = "done"

    for node in sorted(edges):
        if node not in state:
            visit(node)
    return found


def without_package_roots(edges: dict[str, set[str]]) -> dict[str, set[str]]:
    """A package's ``__init__`` re-exporting its modules, which import siblings through the
    package, is how a package is built, not a cycle between concerns: edges into a package
    root from its own modules are left out."""
    return {
        name: {t for t in targets if not (name.startswith(t + ".") and t != "hyperparameter")}
        for name, targets in edges.items()
    }


def test_python_modules_import_one_way():
    edges, _ = python_graph()
    assert cycles(without_package_roots(edges)) == []


def test_no_python_module_imports_another_modules_private_names():
    _, borrowed = python_graph()
    assert borrowed == []


# --- Rust -------------------------------------------------------------------------------------


def rust_modules() -> dict[str, Path]:
    """``a::b`` -> file for every module of the crate (``lib.rs`` is the root, left out)."""
    modules = {}
    for path in CRATE.rglob("*.rs"):
        parts = list(path.relative_to(CRATE).with_suffix("").parts)
        if parts == ["lib"]:
            continue
        if parts[-1] == "mod":
            parts = parts[:-1]
        modules["::".join(parts)] = path
    return modules


def rust_graph() -> dict[str, set[str]]:
    modules = rust_modules()
    edges: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        text = path.read_text(encoding="utf-8")
        text = text.split("#[cfg(test)]")[0]  # unit tests may reach anywhere
        text = re.sub(r"//[^\n]*", "", text)
        parent = name.rpartition("::")[0]
        for prefix, rest in re.findall(r"\b(crate|super)::((?:\w+::)*\w+)", text):
            base = [] if prefix == "crate" else (parent.split("::") if parent else [])
            parts = base + rest.split("::")
            for end in range(len(parts), 0, -1):  # the longest module path named
                target = "::".join(parts[:end])
                if target in modules:
                    if target != name and not name.startswith(target + "::"):
                        edges[name].add(target)
                    break
        # `use super::{a, b}` / `use crate::{a, b}` lists
        for prefix, group in re.findall(r"\b(crate|super)::\{([^}]*)\}", text):
            base = [] if prefix == "crate" else (parent.split("::") if parent else [])
            for item in re.findall(r"\b(\w+)\b", group):
                target = "::".join(base + [item])
                if target in modules and target != name:
                    edges[name].add(target)
    return edges


def test_rust_modules_depend_one_way():
    assert cycles(rust_graph()) == []


def test_the_checks_see_the_tree():
    # A check that reads nothing passes vacuously: make sure it reads what it should.
    edges, _ = python_graph()
    assert "hyperparameter._scope" in edges and edges["hyperparameter._scope"]
    rust = rust_graph()
    assert "scope" in rust and "cache" in rust["scope"]
    assert cycles({"a": {"b"}, "b": {"a"}}) == [["a", "b", "a"]]
