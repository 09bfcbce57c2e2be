"""Factories for findings tests: repositories and runs built with the analysis models directly,
and engine Finding dataclasses built by hand (as the engine would return them)."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from analysis.engine.facts import AnalysisResult, HealthScore
from analysis.engine.model import Finding as EngineFinding
from analysis.engine.model import compute_fingerprint
from analysis.models import AnalysisRun, RunStatus
from tests.factories import AnalysisRunFactory as BaseAnalysisRunFactory
from tests.factories import RepositoryFactory

__all__ = ["AnalysisRunFactory", "RepositoryFactory", "analysis_result", "engine_finding", "record"]


class AnalysisRunFactory(BaseAnalysisRunFactory):
    """A completed run (findings are recorded for completed runs)."""

    status = RunStatus.COMPLETED
    commit_sha = factory.Sequence(lambda n: f"{n:040x}")
    started_at = factory.LazyFunction(timezone.now)
    finished_at = factory.LazyFunction(lambda: timezone.now() + timedelta(seconds=1))


def engine_finding(
    detector: str = "sql-injection",
    path: str = "app/db.py",
    line: int = 10,
    *,
    symbol: str = "app.db.query",
    code: str | None = None,
    severity: str = "high",
    category: str = "security",
    title: str | None = None,
    message: str | None = None,
    **extra: object,
) -> EngineFinding:
    """An engine Finding with a real fingerprint (detector + path + symbol + code, not the line)."""
    code = code if code is not None else f"{detector} code in {symbol}"
    return EngineFinding(
        detector=detector,
        category=category,
        severity=severity,
        title=title or f"{detector} in {symbol}",
        message=message or f"{detector} found at {path}",
        path=path,
        line=line,
        end_line=line + 1,
        symbol=symbol,
        snippet=code,
        fingerprint=compute_fingerprint(detector, path, symbol, code),
        **extra,
    )


def analysis_result(findings: list[EngineFinding]) -> AnalysisResult:
    return AnalysisResult(
        root="/tmp/checkout",
        commit=None,
        files_analyzed=1,
        lines_analyzed=100,
        findings=findings,
        score=HealthScore(overall=80.0, grade="B"),
        files={},
    )


def record(run: AnalysisRun, findings: list[EngineFinding]) -> dict:
    from findings.services import findings_record_run

    return findings_record_run(run=run, result=analysis_result(findings))
