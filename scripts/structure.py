#!/usr/bin/env python3
"""The package's shape: modules with line counts, the import graph among mightycli modules
(imports inside functions and under TYPE_CHECKING included), import cycles, and function
bodies over 60 lines and modules over 600 lines outside the emulator.

    python scripts/structure.py          # the report
    python scripts/structure.py --check  # exit 1 when there is a cycle, a long function or module
    python scripts/structure.py DIR      # the report for another checkout

tests/test_structure.py holds the package to both rules with the same code.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGE = "mightycli"
EXEMPT = f"{PACKAGE}.emulator"  # a model of the service, not the client: its own rules
MAX_BODY = 60
MAX_MODULE = 600


def modules(root: Path) -> dict[str, Path]:
    """Module name -> file, for every module of the package under ``root``."""
    found = {}
    for path in sorted((root / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _targets(
    name: str, node: ast.Import | ast.ImportFrom, is_package: bool, known: set[str]
) -> set[str]:
    if isinstance(node, ast.Import):
        candidates = [alias.name for alias in node.names]
    else:
        if node.level:
            base = name.split(".")
            if not is_package:
                base = base[:-1]
            base = base[: len(base) - (node.level - 1)]
            prefix = ".".join(base + ([node.module] if node.module else []))
        else:
            prefix = node.module or ""
        # `from pkg import sub` depends on pkg.sub; `from pkg import name` on pkg itself.
        candidates = [
            f"{prefix}.{a.name}" if f"{prefix}.{a.name}" in known else prefix for a in node.names
        ]
    out = set()
    for candidate in candidates:
        while candidate and candidate not in known:
            candidate = candidate.rpartition(".")[0]
        if candidate and candidate != name:
            out.add(candidate)
    return out


def import_graph(found: dict[str, Path]) -> dict[str, set[str]]:
    known = set(found)
    graph: dict[str, set[str]] = {}
    for name, path in found.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        edges: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                edges |= _targets(name, node, path.name == "__init__.py", known)
        graph[name] = edges
    return graph


def external_imports(found: dict[str, Path], packages: tuple[str, ...]) -> dict[str, set[str]]:
    """Module name -> which of ``packages`` it imports, anywhere in the module."""
    used: dict[str, set[str]] = {}
    for name, path in found.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names.add(node.module.split(".")[0])
        used[name] = names & set(packages)
    return used


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Groups of modules that import each other, directly or around a circle (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1 or node in graph.get(node, ()):
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def long_functions(found: dict[str, Path], limit: int = MAX_BODY) -> list[tuple[int, str]]:
    """(body lines, qualified name) of functions outside the emulator longer than ``limit``."""
    result = []
    for name, path in found.items():
        if name == EXEMPT or name.startswith(EXEMPT + "."):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                body = (node.end_lineno or node.lineno) - node.body[0].lineno + 1
                if body > limit:
                    result.append((body, f"{name}.{node.name}"))
    return sorted(result, reverse=True)


def long_modules(found: dict[str, Path], limit: int = MAX_MODULE) -> list[tuple[int, str]]:
    """(lines, module name) of modules outside the emulator longer than ``limit``."""
    result = []
    for name, path in found.items():
        size = len(path.read_text(encoding="utf-8").splitlines())
        if size > limit and not (name == EXEMPT or name.startswith(EXEMPT + ".")):
            result.append((size, name))
    return sorted(result, reverse=True)


def report(root: Path) -> tuple[str, bool]:
    found = modules(root)
    graph = import_graph(found)
    lines = ["modules (lines):"]
    for name, path in found.items():
        lines.append(f"  {name:38} {len(path.read_text(encoding='utf-8').splitlines()):5}")
    lines += ["", "import graph (module -> mightycli modules it imports, anywhere in the file):"]
    for name in found:
        if graph[name]:
            short = sorted(d.removeprefix(PACKAGE + ".") for d in graph[name])
            lines.append(f"  {name} -> {', '.join(short)}")
    groups = cycles(graph)
    lines += ["", "import cycles: " + ("none" if not groups else "")]
    lines += ["  " + " <-> ".join(group) for group in groups]
    long = long_functions(found)
    lines += [
        "",
        f"function bodies over {MAX_BODY} lines outside the emulator: "
        + ("none" if not long else ""),
    ]
    lines += [f"  {size:4} {name}" for size, name in long]
    big = long_modules(found)
    lines += [
        "",
        f"modules over {MAX_MODULE} lines outside the emulator: " + ("none" if not big else ""),
    ]
    lines += [f"  {size:4} {name}" for size, name in big]
    return "\n".join(lines), not groups and not long and not big


def main(argv: list[str]) -> int:
    folders = [arg for arg in argv if not arg.startswith("--")]
    root = Path(folders[0]) if folders else Path(__file__).resolve().parent.parent
    text, clean = report(root)
    print(text)
    return 1 if "--check" in argv and not clean else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
