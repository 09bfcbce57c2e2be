"""Speed of the tree-sitter front end before and after a change, measured in the same minutes: the
machine is shared, and CPU seconds grow with its load, so two figures taken an hour apart do not
compare. The engine of ``--ref`` (default: the merge-base of HEAD and main) and this one analyse
the speed corpora of ``js_speed`` (rxjs + zod, TypeScript) and ``go_java_speed`` (cobra, x/tools,
prometheus client_golang; ``java.util``) in turns, each run in its own process (``workers=1``,
every detector); the best of ``--rounds`` runs of each is kept.

Usage (from the repository root)::

    .venv/bin/python -m benchmarks.tree_speed_ab [--ref COMMIT] [--rounds 3] [--language typescript|go|java ...]

Prints, per language, the file-local CPU seconds (parse + facts + detectors, the workers' share)
per 100k lines of both engines, their ratio and the load average.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.tree_unchanged import REPO, _corpora, _export


def measure(language: str, roots: list[str]) -> None:
    """File-local CPU seconds and lines of ``roots`` (printed as ``seconds lines``)."""
    from analysis.engine import analyze  # noqa: PLC0415 - the engine under test (sys.path set by the caller)

    local = 0.0
    lines = 0
    for root in roots:
        result = analyze(root, workers=1, config={"languages": [language]})
        local += sum(v for k, v in result.timings.items() if k.startswith("parse.cpu."))
        lines += sum(f.lines for f in result.files.values())
    print(f"{local} {lines}")


def _run(engine_dir: Path, language: str, roots: list[Path]) -> tuple[float, int]:
    if engine_dir == REPO:
        module = "benchmarks.tree_speed_ab"
    else:  # the earlier engine may have no copy of this script: give it one
        module = "_tree_speed_ab"
        (engine_dir / f"{module}.py").write_text(
            Path(__file__).read_text(encoding="utf-8").replace("from benchmarks.tree_unchanged import", "# "),
            encoding="utf-8",
        )
    code = f"import sys; sys.path.insert(0, {str(engine_dir)!r}); import {module} as m; m.measure(sys.argv[1], sys.argv[2:])"
    env = dict(os.environ, PYTHONPATH=str(engine_dir))
    out = subprocess.run(
        [sys.executable, "-c", code, language, *map(str, roots)],
        cwd=engine_dir,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return float(out[-2]), int(out[-1])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ref", default="", help="commit of the engine to compare with (default: merge-base of HEAD and main)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--language", action="append", choices=("typescript", "go", "java"))
    args = parser.parse_args(argv)
    ref = (
        args.ref
        or subprocess.run(
            ["git", "-C", str(REPO), "merge-base", "HEAD", "main"], check=True, capture_output=True, text=True
        ).stdout.strip()
    )
    with tempfile.TemporaryDirectory() as old:
        _export(ref, old)
        for language in args.language or ["typescript", "go", "java"]:
            roots = [root for _name, lang, root in _corpora([language]) if lang == language]
            best = {"before": float("inf"), "after": float("inf")}
            lines = 0
            t = time.perf_counter()
            for _ in range(args.rounds):
                for label, engine in (("before", Path(old)), ("after", REPO)):
                    seconds, lines = _run(engine, language, roots)
                    best[label] = min(best[label], seconds)
            per = 100_000 / max(1, lines)
            print(
                f"{language}: {lines} lines; file-local CPU-s per 100k lines: before ({ref[:9]}) {best['before'] * per:.2f}, "
                f"after {best['after'] * per:.2f} (x{best['after'] / best['before']:.2f}); best of {args.rounds} rounds each, "
                f"{time.perf_counter() - t:.0f} s; load average {os.getloadavg()[0]:.2f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
