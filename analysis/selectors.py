"""Composite reads of analyses: what a report shows beyond the engine's result."""

from __future__ import annotations

from analysis.engine.reports import ReportContext
from analysis.models import AnalysisRun
from findings.selectors import findings_report_states


def analysis_report_context(*, run: AnalysisRun) -> ReportContext:
    """The repository's name, branch and commit (never the server's checkout path), each
    finding's triage status and which findings this run found first, as plain data for the
    engine's renderer."""
    triage, new = findings_report_states(repository_id=run.repository_id, run_id=run.id)
    return ReportContext(
        name=run.repository.name,
        branch=run.branch or run.repository.default_branch,
        commit=run.commit_sha,
        triage=triage,
        new=new,
    )
