"""Cyclomatic complexity per function: the engine versus ``radon cc -j`` on Django's source.

    .venv/bin/python -m benchmarks.radon_compare [--project django|flask|requests] [--show N]

Every function, method and closure radon reports is matched to the engine's definition of the
same file and ``def`` line. Prints the agreement (target >= 99 %) and, for each mismatch, an
explanation category found by looking at the function's code.
"""

from __future__ import annotations

import argparse
import ast
import json
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks._cache import ensure_tools, project_source, tool_path


def radon_blocks(root: Path) -> dict[tuple[str, int, str], int]:
    """(relative path, def line, name) -> radon's complexity, for functions, methods, closures."""
    proc = subprocess.run([tool_path("radon"), "cc", "-j", "."], cwd=root, capture_output=True, text=True, check=True)
    data: dict[str, Any] = json.loads(proc.stdout)
    out: dict[tuple[str, int, str], int] = {}

    def add(path: str, block: dict[str, Any]) -> None:
        if block.get("type") in ("function", "method"):
            out[(path, block["lineno"], block["name"])] = block["complexity"]
        for closure in block.get("closures", []):
            add(path, closure)
        for method in block.get("methods", []):
            add(path, method)

    for path, blocks in data.items():
        if isinstance(blocks, dict):  # {"error": ...} for files radon cannot parse
            continue
        rel = str(Path(path)).removeprefix("./")
        for block in blocks:
            add(rel, block)
    return out


def engine_blocks(root: Path) -> dict[tuple[str, int, str], int]:
    from analysis.engine import analyze

    # the metrics only: no detector needs to run
    from analysis.engine.registry import all_detectors

    config = {
        "detectors": {did: {"enabled": False} for did in all_detectors()},
        "default_excludes": False,
        "use_gitignore": False,
    }
    result = analyze(root, config=config)
    out: dict[tuple[str, int, str], int] = {}
    for path, facts in result.files.items():
        for d in facts.definitions:
            if d.metrics is not None:
                out[(path, d.line, d.name)] = d.metrics.cyclomatic
    return out


def explain(root: Path, key: tuple[str, int, str], ours: int | None, theirs: int | None) -> str:
    """A short category for a disagreement, from the function's code."""
    path, line, name = key
    if ours is None:
        if not path.endswith(".py"):
            return "not a .py file (radon also reads it; the engine analyses *.py only)"
        return "not found by the engine (file skipped or not parsed)"
    try:
        tree = ast.parse((root / path).read_text(encoding="utf-8"))
    except (OSError, SyntaxError):
        return "file unreadable"
    parents: dict[ast.AST, ast.AST] = {}
    for parent in ast.walk(tree):
        for child in ast.iter_child_nodes(parent):
            parents[child] = parent
    node = next(
        (n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.lineno == line),
        None,
    )
    if node is None:
        return "definition not found"
    if theirs is None:
        chain = []
        cursor: ast.AST | None = parents.get(node)
        while cursor is not None:
            chain.append(type(cursor).__name__)
            cursor = parents.get(cursor)
        if "ClassDef" in chain and ("FunctionDef" in chain or "AsyncFunctionDef" in chain):
            return "method of a class defined inside a function (radon lists no such classes)"
        return "not reported by radon"
    kinds = {type(n).__name__ for n in ast.walk(node)}
    if "TryStar" in kinds:
        return "try/except* (radon ignores it)"
    if "Match" in kinds:
        return "match statement"
    return f"other (delta {ours - theirs:+d})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--project", default="django")
    parser.add_argument("--show", type=int, default=20, help="mismatches to list")
    args = parser.parse_args()
    ensure_tools("radon")
    root = project_source(args.project)
    theirs = radon_blocks(root)
    ours = engine_blocks(root)
    keys = sorted(set(theirs) | set(ours))
    both = [k for k in keys if k in theirs and k in ours]
    equal = [k for k in both if theirs[k] == ours[k]]
    mismatches = [k for k in keys if k not in equal]
    print(f"{args.project}: radon reports {len(theirs)} functions, the engine {len(ours)}; {len(both)} in both")
    print(
        f"  equal cyclomatic complexity where both report the function: {len(equal)}/{len(both)} = "
        f"{100.0 * len(equal) / max(1, len(both)):.2f} %"
    )
    print(
        f"  counting functions only one tool reports as disagreements: {len(equal)}/{len(keys)} = "
        f"{100.0 * len(equal) / max(1, len(keys)):.2f} %"
    )
    print("  disagreements by explanation:")
    categories = Counter(explain(root, k, ours.get(k), theirs.get(k)) for k in mismatches)
    for category, count in categories.most_common():
        print(f"  {count:5d}  {category}")
    for k in mismatches[: args.show]:
        print(f"  {k[0]}:{k[1]} {k[2]}: engine {ours.get(k)}, radon {theirs.get(k)}")


if __name__ == "__main__":
    main()
