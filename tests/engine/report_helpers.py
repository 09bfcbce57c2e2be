"""A Django-size analysis result without analysing Django: ~10,000 varied findings with long
dotted symbols and deep paths, the shapes that broke the HTML report."""

from __future__ import annotations

import random

from analysis.engine.facts import AnalysisResult, FileFacts
from analysis.engine.model import Finding, compute_fingerprint
from analysis.engine.scoring import compute_score

# detector, category, severity: the mix of a real run (mostly info and low, a few high)
_RULES = [
    ("missing-docstring", "documentation", "info", 45),
    ("high-cognitive-complexity", "complexity", "medium", 8),
    ("high-cyclomatic-complexity", "complexity", "medium", 5),
    ("duplicate-code", "duplication", "low", 6),
    ("unused-import", "dead_code", "low", 5),
    ("long-parameter-list", "design", "low", 5),
    ("god-class", "design", "medium", 2),
    ("import-cycle", "architecture", "high", 1),
    ("unsafe-deserialization", "security", "high", 1),
    ("bare-or-swallowed-except", "bug_risk", "medium", 2),
    ("todo-comment", "documentation", "info", 20),
]


def synthetic_result(count: int = 10_000, *, seed: int = 13, root: str = "/srv/workspace/0f3a9c/django") -> AnalysisResult:
    rng = random.Random(seed)
    weights = [w for *_, w in _RULES]
    files: dict[str, FileFacts] = {}
    findings = []
    for i in range(count):
        detector, category, severity, _ = rng.choices(_RULES, weights)[0]
        depth = rng.randint(1, 6)
        package = ".".join(f"sub{rng.randint(0, 40)}_module_with_a_long_name" for _ in range(depth))
        path = "django/" + package.replace(".", "/") + f"/file_{i % 700}.py"
        symbol = f"django.{package}.SomeRatherLongClassNameForTesting.method_with_quite_a_long_name_{i}"
        snippet = "\n".join(f"    line_{n} = compute(value_{n}, other_{n})  # {i}" for n in range(rng.randint(1, 12)))
        finding = Finding(
            detector=detector,
            category=category,
            severity=severity,
            title=detector.replace("-", " ").capitalize(),
            message=f"{detector} in {symbol.rsplit('.', 1)[-1]}(): value {i} -> threshold {rng.randint(5, 40)}",
            path=path,
            line=rng.randint(1, 3000),
            symbol=symbol,
            snippet=snippet,
            confidence=round(rng.uniform(0.5, 1.0), 2),
            effort_minutes=rng.choice([2, 5, 10, 30]),
        )
        finding.fingerprint = compute_fingerprint(detector, path, symbol, snippet, str(i))
        findings.append(finding)
        files.setdefault(path, FileFacts(path=path, module=package, content_hash=str(i), code_lines=180))
    metrics = {"duplicated_lines_percent": 6.5}
    return AnalysisResult(
        root=root,
        commit="9f1c2ab34d5e6f708192a3b4c5d6e7f809a1b2c3",
        files_analyzed=len(files),
        lines_analyzed=180 * len(files),
        findings=findings,
        score=compute_score(findings, files, metrics),
        files=files,
        skipped={"not_python": 2706},
        metrics=metrics,
        timings={"source": 0.1, "parse": 20.4, "graph": 3.2, "detect": 24.0, "detector.god-class": 14.1, "total": 49.8},
        detectors=[{"id": rule, "title": rule.replace("-", " ").capitalize()} for rule, *_ in _RULES],
    )
