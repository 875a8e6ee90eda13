"""The import graph of archive/ and web/: no cycles, layers kept apart.

Imports are read with `ast`, function-level (deferred) ones included: a
cycle hidden behind a lazy import is still a cycle for the next person who
changes either module.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("archive", "web")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(path: Path) -> set[str]:
    """Every module `path` imports, anywhere in the file (absolute names)."""
    module = _module_name(path)
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(module, path.name == "__init__.py", node)
            found.add(target)
            # `from . import grams` imports the module archive.grams.
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return found


def graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}
    return {name: {m for m in imports_of(path) if m in modules and m != name}
            for name, path in modules.items()}


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle as a path [a, b, ..., a], or None (depth-first search)."""
    state: dict[str, int] = {}          # 1 on the stack, 2 done
    stack: list[str] = []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def test_no_import_cycles():
    edges = graph()
    # Packages import their modules for re-export; a package's own
    # __init__ is not a layer, so its edges are left out.
    edges = {k: v - set(PACKAGES) for k, v in edges.items() if k not in PACKAGES}
    assert find_cycle(edges) is None, " -> ".join(find_cycle(edges))


def test_the_cycle_finder_finds_cycles():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_deferred_imports_are_seen():
    source = ROOT / "archive" / "cli_common.py"
    assert "archive.search" in imports_of(source)        # imported inside search_api


@pytest.mark.parametrize("path", sorted((ROOT / "archive").rglob("*.py")),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_the_library_never_imports_the_web_app(path):
    bad = {m for m in imports_of(path)
           if m.split(".")[0] in ("flask", "web", "werkzeug", "jinja2", "waitress")}
    # `archive serve` starts the web app: the one allowed door, deferred
    # inside that command (the library itself never sees Flask).
    if path.name == "cli.py":
        bad -= {"web.server", "web.server.serve"}
    assert not bad, f"{path.name} imports {sorted(bad)}"


def test_errors_module_imports_nothing():
    tree = ast.parse((ROOT / "archive" / "errors.py").read_text(encoding="utf-8"))
    imports = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert all(isinstance(n, ast.ImportFrom) and n.module == "__future__" for n in imports), \
        [ast.dump(n) for n in imports]


@pytest.mark.parametrize("name", ["fields", "dates", "doc_numbers"])
def test_leaf_modules_import_nothing_from_the_package(name):
    """Everything reads the registry, the dates and the 发文字号 rules: they
    must not read anything back."""
    found = {m for m in imports_of(ROOT / "archive" / f"{name}.py")
             if m.split(".")[0] in PACKAGES}
    assert not found, found
