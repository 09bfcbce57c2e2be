"""Python results unchanged by the language seam: the engine of an earlier commit and this one,
on the same projects, must give the same JSON and SARIF reports apart from the fields added since
(``language`` of a finding and SARIF's ``sourceLanguage``), timings and the engine fingerprint.

Usage (from the repository root)::

    .venv/bin/python -m benchmarks.python_unchanged [--ref aed90cc] [--all-languages] [project ...]

``project``: ``bad_project`` (tests/engine/samples), ``self`` (this repository's analysis/), or a
benchmark project of ``_cache.py`` (``django``, ``flask``, ``requests``); default: bad_project
self django. The earlier engine is exported with ``git archive`` into a temporary directory and
run there. Without ``--all-languages`` the new engine runs with ``languages = ["python"]``, which
must give byte-identical reports; with it, the Python files' findings must still be identical
(files of other languages add theirs). Prints one line per project and format and exits 1 on a
difference. It also prints both wall times (the old engine first).

``--ref`` must be a commit whose Python results are meant to be the same: aed90cc (before the
language seam) until the trust work (issue 15) changed Python findings on purpose; after it, the
commit of main a change starts from (``--ref main`` before landing).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks._cache import project_source

REPO = Path(__file__).resolve().parent.parent
NEW_FIELDS = {"language"}


def _target(name: str) -> Path:
    if name == "bad_project":
        return REPO / "tests/engine/samples/bad_project"
    if name == "self":
        return REPO / "analysis"
    return project_source(name)


def _export(ref: str, dest: str) -> None:
    data = subprocess.run(["git", "-C", str(REPO), "archive", ref, "analysis"], check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as tf:
        tf.extractall(dest, filter="data")


def _run(cwd: str, target: Path, fmt: str, config: str | None) -> tuple[str, float]:
    with tempfile.NamedTemporaryFile("r", suffix=f".{fmt}", delete=False) as out:
        path = out.name
    cmd = [sys.executable, "-m", "analysis.engine", str(target), "-q", "-f", fmt, "-o", path, "--workers", "2"]
    if config:
        cmd += ["--config", config]
    env = dict(os.environ, PYTHONPATH=cwd)
    t = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, check=True)
    wall = time.perf_counter() - t
    text = Path(path).read_text(encoding="utf-8")
    os.unlink(path)
    return text, wall


def _strip(value: Any) -> Any:
    """Drop the volatile parts (timings, engine fingerprint) and the fields added since."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key in NEW_FIELDS or key in ("timings", "engine", "sourceLanguage"):
                continue
            # the counter of files in no analysed language: `not_python` in a Python-only run
            out["other_language" if key == "not_python" else key] = _strip(item)
        return out
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def _python_findings(report: dict[str, Any]) -> list[Any]:
    return [f for f in report.get("findings", []) if str(f.get("path", "")).endswith(".py")]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("projects", nargs="*", default=["bad_project", "self", "django"])
    parser.add_argument("--ref", default="aed90cc", help="commit of the engine before the language seam")
    parser.add_argument("--all-languages", action="store_true")
    args = parser.parse_args(argv)
    failures = 0
    with tempfile.TemporaryDirectory() as old, tempfile.TemporaryDirectory() as cfgdir:
        _export(args.ref, old)
        config = None
        if not args.all_languages:
            config = os.path.join(cfgdir, "python-only.toml")
            Path(config).write_text('languages = ["python"]\n', encoding="utf-8")
        for name in args.projects:
            target = _target(name)
            for fmt in ("json", "sarif"):
                before, t_old = _run(old, target, fmt, None)
                after, t_new = _run(str(REPO), target, fmt, config)
                a, b = json.loads(before), json.loads(after)
                if args.all_languages and fmt == "json":
                    same = _strip(_python_findings(a)) == _strip(_python_findings(b))
                    what = "python findings"
                elif args.all_languages:
                    same = True
                    what = "sarif (not compared with --all-languages)"
                else:
                    same = _strip(a) == _strip(b)
                    what = "whole report"
                failures += not same
                print(
                    f"{name:12} {fmt:5} {what}: {'IDENTICAL' if same else 'DIFFERENT'}"
                    f"  (findings {len(a.get('findings', a.get('runs', [{}])[0].get('results', [])))}"
                    f" -> {len(b.get('findings', b.get('runs', [{}])[0].get('results', [])))};"
                    f" wall {t_old:.2f} s -> {t_new:.2f} s)"
                )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
