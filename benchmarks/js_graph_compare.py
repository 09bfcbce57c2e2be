"""JS/TS import graph and unused imports against the tools people use: madge and tsc.

Usage (from the repository root; needs node + npm and the npm registry)::

    .venv/bin/python -m benchmarks.js_graph_compare

Installs madge 8.0.0 and typescript 5.9.3 into ``benchmarks/.cache/npm/tools`` (first run) and
uses the corpora of ``eslint_complexity`` (eslint 10.16.0 ``lib/``) and ``js_speed`` (rxjs 7.8.2
``src/``, zod 4.6.7 ``src/``).

* **Import cycles vs madge** (``madge --circular``), on eslint ``lib/`` (JavaScript) and rxjs
  ``src/`` (TypeScript): madge lists elementary cycles, the engine strongly connected components;
  compared as the set of files that are on some cycle (madge counts type-only imports, so the
  engine's graph here includes them too), with precision and recall.
* **Unused imports vs ``tsc --noUnusedLocals``** on rxjs ``src/``: tsc's TS6133/TS6192 diagnostics
  on import declarations (mapped to the declaration's first line) against the engine's
  ``unused-import`` findings, by file and line.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from analysis.engine import analyze
from analysis.engine import graph as g
from benchmarks.eslint_complexity import CACHE as ORACLE
from benchmarks.eslint_complexity import install as install_oracle
from benchmarks.js_speed import unpacked

TOOLS = Path(__file__).resolve().parent / ".cache" / "npm" / "tools"
_TSC_LINE = re.compile(r"^(?P<file>[^(]+)\((?P<line>\d+),\d+\): error TS(?P<code>6133|6192): (?P<message>.*)$")


def install() -> None:
    TOOLS.mkdir(parents=True, exist_ok=True)
    if not (TOOLS / "package.json").exists():
        (TOOLS / "package.json").write_text('{"private": true}\n', encoding="utf-8")
    if not (TOOLS / "node_modules" / ".bin" / "madge").exists() or not (TOOLS / "node_modules" / ".bin" / "tsc").exists():
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--ignore-scripts", "madge@8.0.0", "typescript@5.9.3"],
            cwd=TOOLS,
            check=True,
        )
    install_oracle("10.16.0", "4.18.1")


def madge_cycle_files(root: Path, extensions: str) -> set[str]:
    out = subprocess.run(
        [str(TOOLS / "node_modules" / ".bin" / "madge"), "--circular", "--json", "--extensions", extensions, str(root)],
        capture_output=True,
        text=True,
        check=False,  # madge exits 1 when it finds a cycle
    )
    return {path for cycle in json.loads(out.stdout) for path in cycle}


def engine_cycle_files(root: Path, language: str) -> set[str]:
    result = analyze(str(root), workers=1, config={"languages": [language]})
    adjacency: dict[str, set[str]] = {path: set() for path in result.files}
    for path, facts in result.files.items():
        for imp in facts.imports:
            if imp.resolved and imp.resolved != path and imp.kind != "dynamic":
                adjacency[path].add(imp.resolved)
    return {path for component in g.strongly_connected_components(adjacency) if len(component) > 1 for path in component}


def compare_cycles(name: str, root: Path, language: str, extensions: str) -> None:
    theirs = madge_cycle_files(root, extensions)
    ours = engine_cycle_files(root, language)
    both = theirs & ours
    print(
        f"{name}: files on an import cycle — madge {len(theirs)}, engine {len(ours)}, both {len(both)}; "
        f"recall {100 * len(both) / max(1, len(theirs)):.1f} %, precision {100 * len(both) / max(1, len(ours)):.1f} %"
    )
    for path in sorted(theirs ^ ours)[:10]:
        print(f"    only {'madge' if path in theirs else 'engine'}: {path}")


def _import_start(lines: list[str], line: int) -> int | None:
    """The first line of the import declaration holding ``line`` (1-based), or None."""
    for i in range(line - 1, max(-1, line - 40), -1):
        text = lines[i].lstrip()
        if text.startswith("import "):
            return i + 1
        if i < line - 1 and (text.endswith(";") or text.startswith(("export", "const", "function", "class"))):
            return None
    return None


def compare_unused_imports(root: Path) -> None:
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*.ts") if not p.name.endswith(".d.ts"))
    out = subprocess.run(
        [
            str(TOOLS / "node_modules" / ".bin" / "tsc"),
            "--noEmit",
            "--noUnusedLocals",
            "--skipLibCheck",
            "--target",
            "es2020",
            "--module",
            "esnext",
            "--moduleResolution",
            "bundler",
            "--lib",
            "es2020,dom",
            *files,
        ],
        cwd=root,
        capture_output=True,
        text=True,
    )
    theirs: set[tuple[str, int]] = set()
    texts: dict[str, list[str]] = {}
    for raw in out.stdout.splitlines():
        match = _TSC_LINE.match(raw.strip())
        if match is None:
            continue
        path = match.group("file")
        lines = texts.setdefault(path, (root / path).read_text(encoding="utf-8").splitlines())
        start = _import_start(lines, int(match.group("line")))
        if start is not None:
            theirs.add((path, start))
    result = analyze(str(root), workers=1, config={"languages": ["typescript"]})
    ours = {(f.path, f.line) for f in result.findings if f.detector == "unused-import"}
    both = theirs & ours
    print(
        f"rxjs src/ unused imports: tsc --noUnusedLocals {len(theirs)} import lines, engine {len(ours)}, both {len(both)}; "
        f"recall {100 * len(both) / max(1, len(theirs)):.1f} %, precision {100 * len(both) / max(1, len(ours)):.1f} %"
    )
    for item in sorted(theirs ^ ours)[:10]:
        print(f"    only {'tsc' if item in theirs else 'engine'}: {item[0]}:{item[1]}")


def main() -> int:
    install()
    compare_cycles("eslint 10.16.0 lib/", ORACLE / "node_modules" / "eslint" / "lib", "javascript", "js")
    rxjs = unpacked("rxjs@7.8.2") / "src"
    compare_cycles("rxjs 7.8.2 src/", rxjs, "typescript", "ts")
    compare_cycles("zod 4.6.7 src/", unpacked("zod@4.6.7") / "src", "typescript", "ts")
    compare_unused_imports(rxjs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
