"""The stored artefacts of runs: per-file facts (for incremental analysis) and JSON reports."""

from __future__ import annotations

import gc
import logging
import pickle
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypedDict

from analysis.engine.facts import AnalysisResult, FileFacts, HealthScore
from analysis.engine.reports import load_json_report
from analysis.models import (
    AnalysisFacts,
    AnalysisReport,
    AnalysisRun,
    Repository,
)
from repotoire.api.exceptions import NotFound

logger = logging.getLogger("repotoire.analysis")


class StoredFacts(TypedDict):
    """What a run stores for the next one: the engine's cache key and the per-file facts."""

    engine: dict[str, Any] | None
    files: dict[str, FileFacts]


def facts_of(*, run: AnalysisRun | None = None, repository: Repository | None = None) -> StoredFacts | None:
    """The stored facts of ``run``, or the latest stored for ``repository``: the one way the
    apps read them. None when none are stored, or when they cannot be read (logged: unreadable
    facts only cost a full analysis or a skipped comparison)."""
    rows = AnalysisFacts.objects.all()
    rows = rows.filter(run=run) if run is not None else rows.filter(repository=repository).order_by("-created_at")
    row = rows.first()
    if row is None:
        return None
    try:
        return facts_load(bytes(row.data))
    except Exception:  # noqa: BLE001 - see the docstring
        logger.warning("Unreadable facts of run %s", row.run_id, exc_info=True)
        return None


def analysis_previous_result(*, repository: Repository) -> AnalysisResult | None:
    """The previous completed run's per-file facts as an engine ``AnalysisResult`` (for
    incremental analysis), or None."""
    data = facts_of(repository=repository)
    if data is None:
        return None
    return AnalysisResult(
        root="",
        commit=None,
        files_analyzed=0,
        lines_analyzed=0,
        findings=[],
        score=HealthScore(overall=0.0, grade="F"),
        files=data["files"],
        metrics={"engine": data["engine"]},
    )


@contextmanager
def _gc_paused() -> Iterator[None]:
    # Millions of small acyclic fact objects: the cyclic GC only slows (un)pickling (measured
    # 3x on Django's facts).
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def facts_dump(result: AnalysisResult) -> bytes:
    """Compressed per-file facts of a result, as stored for the next incremental run."""
    with _gc_paused():
        raw = pickle.dumps({"engine": result.metrics.get("engine"), "files": result.files}, protocol=5)
    return zlib.compress(raw, 3)


def facts_load(blob: bytes) -> StoredFacts:
    with _gc_paused():
        return pickle.loads(  # type: ignore[no-any-return]
            zlib.decompress(blob)
        )  # noqa: S301 - written by our own worker only


def report_result(run: AnalysisRun) -> AnalysisResult:
    """The engine result of a completed run, rebuilt from its stored JSON report."""
    stored = AnalysisReport.objects.filter(run=run).first()
    if stored is None:
        raise NotFound("No report is stored for this analysis")
    return load_json_report(zlib.decompress(bytes(stored.data)).decode("utf-8"))
