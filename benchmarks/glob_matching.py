"""Discovery with user globs: RE2 (what the engine uses, ``analysis/engine/globs.py``) against
Python's backtracking ``re`` (pathspec's ``simple`` backend), on Django's source tree.

    .venv/bin/python -m benchmarks.glob_matching

Prints, per glob set, the seconds to match every path of the tree once with each backend
(best of 3), and for a hostile glob the time for RE2 over the whole tree against ``re`` on a
single 30-character name (the whole tree under ``re`` would take hours).
"""

from __future__ import annotations

import os
import time

import pathspec

from analysis.engine.discovery import discover
from analysis.engine.globs import compile_globs
from benchmarks._cache import project_source

GLOB_SETS = {
    "typical": ["docs/**", "*/migrations/*.py", "**/tests/**", "*.min.js", "build/", "!keep.py"],
    "many (200)": [f"pkg{i}/**/*.py" for i in range(200)],
}
HOSTILE = "*a" * 10 + "*b"


def _paths(root: str) -> list[str]:
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        out.extend(d + "/" if rel == "." else f"{rel}/{d}/" for d in dirnames)
        out.extend(f if rel == "." else f"{rel}/{f}" for f in filenames)
    return out


def _best(spec: pathspec.GitIgnoreSpec, paths: list[str]) -> float:
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        for p in paths:
            spec.match_file(p)
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    root = str(project_source("django"))
    paths = _paths(root)
    print(f"django: {len(paths)} paths")
    for name, globs in GLOB_SETS.items():
        re2 = _best(compile_globs(globs), paths)
        simple = _best(pathspec.GitIgnoreSpec.from_lines(globs, backend="simple"), paths)
        print(f"{name:12s} re2 {re2:.3f} s   re {simple:.3f} s")
    t = time.perf_counter()
    discover(root)
    print(f"discover(django) without user globs: {time.perf_counter() - t:.3f} s")
    spec = compile_globs([HOSTILE])
    t = time.perf_counter()
    for p in paths:
        spec.match_file(p)
    print(f"hostile {HOSTILE!r}: re2, every path: {time.perf_counter() - t:.3f} s")
    simple = pathspec.GitIgnoreSpec.from_lines([HOSTILE], backend="simple")
    t = time.perf_counter()
    simple.match_file("a" * 30)
    print(f"hostile {HOSTILE!r}: re, one 30-character name: {time.perf_counter() - t:.3f} s")


if __name__ == "__main__":
    main()
