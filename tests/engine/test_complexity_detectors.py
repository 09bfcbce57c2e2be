"""Complexity detectors: a positive and a negative snippet each, configurable thresholds, and
a run over real code."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from analysis.engine.context import DetectorSettings
from analysis.engine.worker import BatchResult, FileProcessor

ENGINE_DIR = Path(__file__).resolve().parents[2] / "analysis" / "engine"


def run(tmp_path, code: str, detector: str, thresholds: dict | None = None):
    (tmp_path / "m.py").write_text(textwrap.dedent(code), encoding="utf-8")
    settings = {detector: DetectorSettings(thresholds=thresholds)} if thresholds else {}
    proc = FileProcessor(str(tmp_path), [detector], settings)
    facts = proc.process_file(("m.py", "m", False, False), BatchResult(), {"read": 0, "parse": 0, "traverse": 0, "clones": 0})
    return facts.findings


BRANCHY = "def f(x):\n" + "".join(f"    if x == {i}:\n        return {i}\n" for i in range(16)) + "    return -1\n"
NESTED = """
def f(items):
    for a in items:
        if a:
            for b in a:
                if b:
                    while b:
                        b -= 1
"""
FLAT = "def f(x):\n    if x:\n        return 1\n    return 2\n"


@pytest.mark.parametrize(
    ("detector", "positive", "negative", "value", "threshold"),
    [
        ("high-cyclomatic-complexity", BRANCHY, FLAT, 17, 15),
        ("high-cognitive-complexity", NESTED.replace("b -= 1", "b -= 1 if a and b or a else 2"), NESTED, 23, 15),
        ("long-function", "def f():\n" + "    x = 1\n" * 100, "def f():\n" + "    x = 1\n" * 99, 101, 100),
        (
            "long-parameter-list",
            "def f(a, b, c, d, e, f, g, h):\n    pass\n",
            "class C:\n    def m(self, a, b, c, d, e, f, g):\n        pass\n",
            8,
            7,
        ),
        ("deep-nesting", NESTED, FLAT, 5, 4),
    ],
)
def test_positive_and_negative(tmp_path, detector, positive, negative, value, threshold):
    findings = run(tmp_path, positive, detector)
    assert [(f.detector, f.line, f.symbol) for f in findings] == [(detector, findings[0].line, "m.f")]
    assert findings[0].metadata == {"value": value, "threshold": threshold, "metric": findings[0].metadata["metric"]}
    assert findings[0].snippet.startswith("def f")
    assert run(tmp_path, negative, detector) == []


def test_thresholds_are_configurable(tmp_path):
    assert run(tmp_path, FLAT, "high-cyclomatic-complexity", {"max_complexity": 1})[0].metadata["value"] == 2
    assert run(tmp_path, NESTED, "deep-nesting", {"max_depth": 5}) == []


def test_fingerprint_survives_a_line_shift(tmp_path):
    before = run(tmp_path, NESTED, "deep-nesting")[0]
    after = run(tmp_path, "import os\n\n\n" + NESTED, "deep-nesting")[0]
    assert after.line == before.line + 3 and after.fingerprint == before.fingerprint


def test_parse_error_positive_and_negative(tmp_path):
    assert [f.detector for f in run(tmp_path, "x = (\n", "parse-error")] == ["parse-error"]
    assert run(tmp_path, "x = ()\n", "parse-error") == []


def test_runs_over_the_engine_itself():
    proc = FileProcessor(str(ENGINE_DIR), ["high-cyclomatic-complexity", "long-function", "deep-nesting"], {})
    tasks = [(p.name, f"analysis.engine.{p.stem}", False, p.name == "__init__.py") for p in sorted(ENGINE_DIR.glob("*.py"))]
    out = proc.process(tasks)
    assert len(out.facts) == len(tasks) and not out.errors
    assert all(f.parse_error is None for f in out.facts)
    pipeline = next(f for f in out.facts if f.path == "pipeline.py")
    analyze_def = next(d for d in pipeline.definitions if d.qualname == "analysis.engine.pipeline.analyze")
    assert analyze_def.metrics is not None and analyze_def.metrics.cyclomatic >= 1
