"""Composite reads of the GitHub App: the base analysis of a pull request and the findings that
are new or fixed relative to it."""

from __future__ import annotations

from typing import Any

from analysis.engine.calibration import DEFAULT_MIN_CONFIDENCE
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
        "finding__kind",
        "finding__role",
        "finding__confidence",
        "finding__taint_path",
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
            kind=row["finding__kind"],
            role=row["finding__role"],
            confidence=row["finding__confidence"],
            taint_path=row["finding__taint_path"],
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
                kind=f.kind,
                role=f.role,
                confidence=f.confidence,
                taint_path=f.taint_path,
            ),
        )
    return out


def counts_for_gate(row: dict[str, Any], min_confidence: float = DEFAULT_MIN_CONFIDENCE) -> bool:
    """A quality gate counts a source file's issue or vulnerability at or above the confidence
    floor; security hotspots, tests, examples, vendored and generated code never fail it."""
    return row["role"] == "source" and row["kind"] != "hotspot" and float(row["confidence"]) >= min_confidence


def findings_diff(
    *, run: AnalysisRun, base_run: AnalysisRun | None, min_confidence: float = DEFAULT_MIN_CONFIDENCE
) -> dict[str, Any]:
    """Findings of ``run`` absent from ``base_run`` (by persistent identity: the fingerprint),
    with the head run's own lines, and the count of base findings gone in ``run``. Findings
    triaged as accepted (unexpired) or false positive do not count; ``new`` holds those a gate
    counts (``counts_for_gate``), ``new_hotspots`` the new security hotspots of source files to
    review, and ``new_not_counted`` the number of other new findings left out."""
    head = _head_findings(run)
    suppressed = findings_suppressed_fingerprints(run.repository)
    base: set[str] = set()
    if base_run is not None:
        base = set(FindingOccurrence.objects.filter(run=base_run).values_list("finding__fingerprint", flat=True))
    every = [row for fp, row in head.items() if fp not in base and fp not in suppressed]
    every.sort(key=lambda f: (-SEVERITY_RANK.get(f["severity"], 0), f["path"], f["line"]))
    new = [row for row in every if counts_for_gate(row, min_confidence)]
    hotspots = [
        row for row in every if row["kind"] == "hotspot" and row["role"] == "source" and row["confidence"] >= min_confidence
    ]
    return {
        "new": new,
        "new_hotspots": hotspots,
        "new_not_counted": len(every) - len(new),
        "fixed_count": len(base - set(head)) if base_run is not None else 0,
    }
