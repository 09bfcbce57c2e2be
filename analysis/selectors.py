"""Composite reads of analyses: score trends, the repositories overview, and what a report
shows beyond the engine's result."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import F, Window
from django.db.models.functions import RowNumber

from accounts.models import Organization
from analysis.engine.reports import ReportContext
from analysis.models import AnalysisRun, Repository
from analysis.providers import findings_store


def analysis_report_context(*, run: AnalysisRun) -> ReportContext:
    """The repository's name, branch and commit (never the server's checkout path), each
    finding's triage status and which findings this run found first, as plain data for the
    engine's renderer."""
    triage, new = findings_store().report_states(repository_id=run.repository_id, run_id=run.id)
    return ReportContext(
        name=run.repository.name,
        branch=run.branch or run.repository.default_branch,
        commit=run.commit_sha,
        triage=triage,
        new=new,
    )


TREND_FIELDS = ("id", "finished_at", "commit_sha", "branch", "health_score", "grade", "pillar_scores", "findings_counts")


def repository_trend(*, organization: Organization, repository: Repository, limit: int = 100) -> list[AnalysisRun]:
    """The most recent ``limit`` completed runs of ``repository``, oldest first (one query)."""
    runs = list(
        AnalysisRun.objects.for_org(organization)
        .completed()
        .filter(repository=repository)
        .order_by("-finished_at")
        .only(*TREND_FIELDS)[:limit]
    )
    runs.reverse()
    return runs


@dataclass
class RepositoryOverview:
    repository: Repository
    latest_run: AnalysisRun | None = None
    scores: list[float] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)  # of the latest completed run


def repositories_overview(*, organization: Organization, spark_points: int = 12) -> list[RepositoryOverview]:
    """Every repository of ``organization`` with its latest run (any status) and the scores of
    its last ``spark_points`` completed runs, oldest first: three queries whatever the count."""
    repos = list(Repository.objects.for_org(organization).order_by("name"))
    rows = {repo.pk: RepositoryOverview(repository=repo) for repo in repos}
    latest = (
        AnalysisRun.objects.for_org(organization)
        .order_by("repository_id", "-queued_at")
        .distinct("repository_id")
        .only("id", "repository_id", "status", "progress_percent", "queued_at", "finished_at", "grade", "health_score")
    )
    for run in latest:
        rows[run.repository_id].latest_run = run
    ranked: Any = (
        AnalysisRun.objects.for_org(organization)
        .completed()
        .annotate(n=Window(RowNumber(), partition_by=[F("repository_id")], order_by=F("finished_at").desc()))
        .annotate(language_breakdown=F("metrics__languages"))
        .filter(n__lte=spark_points)
        .values("repository_id", "health_score", "n", "language_breakdown")
    )
    points: dict[Any, list[tuple[int, float]]] = {}
    for row in ranked:
        if row["n"] == 1:
            # The engine lists languages only for projects that are not pure Python.
            rows[row["repository_id"]].languages = sorted(row["language_breakdown"] or {"python": None})
        if row["health_score"] is not None:
            points.setdefault(row["repository_id"], []).append((row["n"], row["health_score"]))
    for repo_id, values in points.items():
        rows[repo_id].scores = [score for _, score in sorted(values, reverse=True)]
    return list(rows.values())
