"""Tree-sitter results unchanged by a speed change: the facts (definitions with metrics, imports,
calls, names used, clone windows, code lines, extras) and the findings of every file of the speed
corpora — rxjs + zod (TypeScript), cobra + x/tools + prometheus client_golang (Go),
``java.util`` (Java) and the corpora of ``native_speed`` (regex, syn, serde, tokio: Rust; zstd +
python-zstandard's C extension: C, analysed with C++ as one family and the 4 MB file size limit;
googletest, fmt, nlohmann-json: C++; pythonnet: C#) — from the engine of an earlier commit and from this one must be identical.

Usage (from the repository root; the corpora come from ``js_speed``, ``_debian`` and
``native_complexity``)::

    .venv/bin/python -m benchmarks.tree_unchanged [--ref COMMIT] [--language typescript|go|java|rust|c|cpp|csharp ...]

``--ref`` defaults to the commit of main the branch starts from (``git merge-base HEAD main``), so
that changes landed on main meanwhile do not count. The earlier engine is exported with ``git archive`` into a temporary directory and run there in a
subprocess (``workers=1``); both sides dump every ``FileFacts`` and the project's findings as
canonical JSON. Prints one line per corpus (files, facts and findings compared, IDENTICAL or the
first differing file) and exits 1 on a difference.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


NATIVE = ("rust", "c", "cpp", "csharp")
MAX_FILE_SIZE = 4_000_000  # as benchmarks.native_complexity: zstd.c is over the default limit


def dump(root: str, language: str, out: str) -> None:
    """Analyse ``root`` (one language, one process) and write its facts and findings as JSON."""
    from analysis.engine import analyze  # noqa: PLC0415 - imported from the engine under test (sys.path set by the caller)

    if language in NATIVE:  # as benchmarks.native_complexity: C and C++ are analysed as one family
        family = ["c", "cpp"] if language in ("c", "cpp") else [language]
        config: dict[str, Any] = {"languages": family, "max_file_size": MAX_FILE_SIZE}
    else:
        config = {"languages": [language]}
    result = analyze(root, workers=1, config=config)
    files = {}
    for path, facts in sorted(result.files.items()):
        data = dataclasses.asdict(facts)
        data.pop("content_hash", None)
        files[path] = data
    findings = sorted((dataclasses.asdict(f) for f in result.findings), key=lambda f: json.dumps(f, sort_keys=True, default=str))
    Path(out).write_text(json.dumps({"files": files, "findings": findings}, sort_keys=True, default=str), encoding="utf-8")


def _corpora(languages: list[str]) -> list[tuple[str, str, Path]]:
    from benchmarks._debian import go_corpus, java_util  # noqa: PLC0415 - only the parent process needs the corpora
    from benchmarks.js_speed import DEFAULT, unpacked  # noqa: PLC0415 - same
    from benchmarks.native_complexity import corpora  # noqa: PLC0415 - same

    out: list[tuple[str, str, Path]] = []
    if "typescript" in languages:
        out += [(spec, "typescript", unpacked(spec) / "src") for spec in DEFAULT]
    if "go" in languages:
        out += [(p.parts[-5], "go", p) for p in go_corpus()]
    if "java" in languages:
        out.append(("java.util", "java", java_util()))
    for language in NATIVE:
        if language in languages:
            out += [("/".join(p.parts[-2:]), language, p) for p in corpora(language)]
    return out


def _run(engine_dir: Path, root: Path, language: str, out: Path) -> dict[str, Any]:
    if engine_dir == REPO:
        module = "benchmarks.tree_unchanged"
    else:  # the earlier engine has no copy of this script: give it one
        module = "_tree_unchanged_dump"
        shutil.copy(__file__, engine_dir / f"{module}.py")
    code = f"import sys; sys.path.insert(0, {str(engine_dir)!r}); import {module} as d; d.dump(*sys.argv[1:])"
    env = dict(os.environ, PYTHONPATH=str(engine_dir))
    subprocess.run([sys.executable, "-c", code, str(root), language, str(out)], cwd=engine_dir, env=env, check=True)
    return json.loads(out.read_text(encoding="utf-8"))


def _export(ref: str, dest: str) -> None:
    data = subprocess.run(["git", "-C", str(REPO), "archive", ref, "analysis"], check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as tf:
        tf.extractall(dest, filter="data")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ref", default="", help="commit of the engine to compare with (default: merge-base of HEAD and main)")
    parser.add_argument("--language", action="append", choices=("typescript", "go", "java", *NATIVE))
    args = parser.parse_args(argv)
    ref = (
        args.ref
        or subprocess.run(
            ["git", "-C", str(REPO), "merge-base", "HEAD", "main"], check=True, capture_output=True, text=True
        ).stdout.strip()
    )
    failures = 0
    with tempfile.TemporaryDirectory() as old:
        _export(ref, old)
        for name, language, root in _corpora(args.language or ["typescript", "go", "java", *NATIVE]):
            before = _run(Path(old), root, language, Path(old) / "before.json")
            after = _run(REPO, root, language, Path(old) / "after.json")
            diff = next(
                (
                    p
                    for p in sorted(set(before["files"]) | set(after["files"]))
                    if before["files"].get(p) != after["files"].get(p)
                ),
                None,
            )
            same = diff is None and before["findings"] == after["findings"]
            failures += not same
            where = "" if same else f" (first difference: {diff or 'findings'})"
            print(
                f"{name:45} {language:10} {len(after['files'])} files, {len(after['findings'])} findings: "
                f"{'IDENTICAL' if same else 'DIFFERENT'}{where}"
            )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
