"""Composite reads of the GitHub App: the base analysis of a pull request and the findings that
are new or fixed relative to it."""

from __future__ import annotations

from typing import Any

from analysis.engine.model import compute_fingerprint
from analysis.models import AnalysisRun, RunTrigger
from analysis.services import report_result
from findings.models import SEVERITY_RANK, FindingOccurrence
from findings.services import findings_suppressed_fingerprints
from github_app.models import GithubPullRequestCheck, GithubRepository


def github_serves(*, repository: Any) -> bool:
    """Whether the GitHub App serves this Repotoire repository (an enabled, granted repository),
    whatever its clone URL looks like (for other apps: fixes open pull requests through it)."""
    return GithubRepository.objects.enabled().filter(repository=repository).exists()


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


def _row(fp: str, **values: Any) -> dict[str, Any]:
    return {"fingerprint": fp, **values}


def _head_findings(run: AnalysisRun) -> dict[str, dict[str, Any]]:
    """The run's findings by fingerprint: its recorded occurrences, or (when the findings app did
    not record this run) its stored engine report."""
    rows = FindingOccurrence.objects.filter(run=run).values(
        "finding_id",
        "line",
        "end_line",
        "severity",
        "finding__fingerprint",
        "finding__detector",
        "finding__category",
        "finding__title",
        "finding__message",
        "finding__path",
    )
    out = {
        row["finding__fingerprint"]: _row(
            row["finding__fingerprint"],
            finding_id=str(row["finding_id"]),
            line=row["line"],
            end_line=row["end_line"],
            severity=row["severity"],
            detector=row["finding__detector"],
            category=row["finding__category"],
            title=row["finding__title"],
            message=row["finding__message"],
            path=row["finding__path"],
        )
        for row in rows
    }
    if out or not (run.findings_counts or {}).get("total"):
        return out
    for f in report_result(run).findings:
        fp = f.fingerprint or compute_fingerprint(f.detector, f.path, f.symbol, f.snippet or f.message)
        out.setdefault(
            fp,
            _row(
                fp,
                finding_id=None,
                line=f.line,
                end_line=f.end_line,
                severity=str(f.severity),
                detector=f.detector,
                category=str(f.category),
                title=f.title,
                message=f.message,
                path=f.path,
            ),
        )
    return out


def findings_diff(*, run: AnalysisRun, base_run: AnalysisRun | None) -> dict[str, Any]:
    """Findings of ``run`` absent from ``base_run`` (by persistent identity: the fingerprint),
    with the head run's own lines, and the count of base findings gone in ``run``. Findings
    triaged as accepted (unexpired) or false positive do not count."""
    head = _head_findings(run)
    suppressed = findings_suppressed_fingerprints(run.repository)
    base: set[str] = set()
    if base_run is not None:
        base = set(FindingOccurrence.objects.filter(run=base_run).values_list("finding__fingerprint", flat=True))
    new = [row for fp, row in head.items() if fp not in base and fp not in suppressed]
    new.sort(key=lambda f: (-SEVERITY_RANK.get(f["severity"], 0), f["path"], f["line"]))
    return {"new": new, "fixed_count": len(base - set(head)) if base_run is not None else 0}
