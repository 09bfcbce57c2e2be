"""Composite reads of the GitHub App: the base analysis of a pull request and the findings that
are new or fixed relative to it."""

from __future__ import annotations

from typing import Any

from analysis.models import AnalysisRun, RunTrigger
from findings.models import SUPPRESSED_STATUSES, FindingOccurrence
from github_app.models import GithubPullRequestCheck


def base_run_for(*, check: GithubPullRequestCheck, run: AnalysisRun) -> AnalysisRun | None:
    """The completed analysis the PR head is compared with: one of the base commit itself, else
    the latest non-PR analysis of the base branch, else the latest non-PR analysis."""
    completed = AnalysisRun.objects.completed().filter(repository_id=run.repository_id).exclude(pk=run.pk)
    if check.base_sha:
        exact = completed.filter(commit_sha=check.base_sha).order_by("-finished_at").first()
        if exact is not None:
            return exact
    others = completed.exclude(trigger=RunTrigger.PULL_REQUEST).filter(finished_at__lte=run.finished_at or run.queued_at)
    if check.base_ref:
        on_branch = others.filter(branch=check.base_ref).order_by("-finished_at").first()
        if on_branch is not None:
            return on_branch
    return others.order_by("-finished_at").first()


def findings_diff(*, run: AnalysisRun, base_run: AnalysisRun | None) -> dict[str, Any]:
    """Findings of ``run`` absent from ``base_run`` (by persistent finding identity), with the
    head run's own lines, and the count of base findings gone in ``run``. Findings triaged as
    accepted or false positive do not count."""
    head = {
        row["finding_id"]: row
        for row in FindingOccurrence.objects.filter(run=run)
        .exclude(finding__status__in=SUPPRESSED_STATUSES)
        .values(
            "finding_id",
            "line",
            "end_line",
            "severity",
            "finding__detector",
            "finding__category",
            "finding__title",
            "finding__message",
            "finding__path",
        )
    }
    base_ids: set[Any] = set()
    if base_run is not None:
        base_ids = set(FindingOccurrence.objects.filter(run=base_run).values_list("finding_id", flat=True))
    new = [
        {
            "finding_id": str(fid),
            "line": row["line"],
            "end_line": row["end_line"],
            "severity": row["severity"],
            "detector": row["finding__detector"],
            "category": row["finding__category"],
            "title": row["finding__title"],
            "message": row["finding__message"],
            "path": row["finding__path"],
        }
        for fid, row in head.items()
        if fid not in base_ids
    ]
    new.sort(key=lambda f: ({"critical": 0, "high": 1, "medium": 2, "low": 3}.get(f["severity"], 4), f["path"], f["line"]))
    return {"new": new, "fixed_count": len(base_ids - set(head)) if base_run is not None else 0}
