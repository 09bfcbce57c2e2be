"""Print the shape of the first-party import graph: function-level imports and app cycles.

Usage: .venv/bin/python benchmarks/import_graph.py [ROOT]   (ROOT: the checkout, default the current directory)

Counts `import`/`from ... import` statements of the project's own packages that sit inside a
function body (hidden dependencies), then builds the app-to-app graph from every import,
top-level or not, and lists the pairs of apps that import each other.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

APPS = ("accounts", "analysis", "findings", "fixes", "codesearch", "billing", "webhooks", "github_app", "dashboard", "repotoire")


def _app_of(module: str) -> str | None:
    root = module.split(".")[0]
    return root if root in APPS else None


def _imports(tree: ast.AST) -> list[tuple[ast.stmt, bool]]:
    found: list[tuple[ast.stmt, bool]] = []

    def walk(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                found.append((child, in_function))
            walk(child, nested)

    walk(tree, False)
    return found


def _targets(node: ast.stmt, package: str) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    assert isinstance(node, ast.ImportFrom)
    if node.level:
        base = package.split(".")[: len(package.split(".")) - node.level + 1]
        return [".".join([*base, node.module] if node.module else base)]
    return [node.module or ""]


def _commented(lines: list[str], lineno: int) -> bool:
    """A comment on the import's line, or just above the group of imports it belongs to."""
    if "#" in lines[lineno - 1]:
        return True
    above = lineno - 2
    while above >= 0 and (lines[above].strip().startswith(("from ", "import ")) or not lines[above].strip()):
        above -= 1
    return above >= 0 and lines[above].strip().startswith("#")


def main(root: Path) -> None:
    function_level: list[str] = []
    edges: dict[str, set[str]] = defaultdict(set)
    for app in APPS:
        for path in sorted((root / app).rglob("*.py")):
            relative = path.relative_to(root)
            if "migrations" in relative.parts:
                continue
            module = ".".join(relative.with_suffix("").parts)
            package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
            text = path.read_text()
            source_lines = text.splitlines()
            tree = ast.parse(text, filename=str(path))
            for node, in_function in _imports(tree):
                for target in _targets(node, package):
                    target_app = _app_of(target)
                    if target_app is None:
                        continue
                    if in_function:
                        why = _commented(source_lines, node.lineno)
                        function_level.append(f"{relative}:{node.lineno} {target}{'' if why else '  (no comment says why)'}")
                    if target_app != app:
                        edges[app].add(target_app)
    cycles = sorted({tuple(sorted((a, b))) for a in edges for b in edges[a] if a in edges.get(b, set())})
    unexplained = sum(1 for line in function_level if line.endswith("(no comment says why)"))
    print(f"function-level imports of first-party modules: {len(function_level)} ({unexplained} without a comment saying why)")
    for line in function_level:
        print(f"  {line}")
    print(f"app pairs importing each other: {len(cycles)}")
    for a, b in cycles:
        print(f"  {a} <-> {b}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path.cwd())
