"""The post-analysis hook: proposals whose base files changed become stale, and rule-based
proposals are generated for the run's covered findings (capped)."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from analysis.models import AnalysisRun
from analysis.services import facts_of
from findings.models import ACTIVE_STATUSES as FINDING_ACTIVE_STATUSES
from findings.models import Finding
from fixes.fixers import covered_detectors, fixers_for
from fixes.models import (
    OPEN_STATUSES,
    FixProposal,
    FixStatus,
)
from fixes.sandbox import (
    Sandbox,
    SandboxError,
)
from fixes.services.generation import _create_generating, _finish_invalid, _generate_in, _stored_previous, finding_ref
from fixes.services.states import _lock, _transition

logger = logging.getLogger("repotoire.fixes")


# --- after an analysis ----------------------------------------------------------------------------
def _current_hashes(run: AnalysisRun) -> dict[str, str] | None:

    data = facts_of(run=run)
    if data is None:
        return None
    return {path: facts.content_hash for path, facts in data["files"].items()}


def _changed_files(proposal: FixProposal, hashes: dict[str, str]) -> list[str]:
    return [path for path, digest in (proposal.base_hashes or {}).items() if hashes.get(path) != digest]


def fixes_mark_stale(*, run: AnalysisRun) -> int:
    """Pending/approved proposals of ``run``'s repository whose base files differ at ``run``'s
    commit become ``stale``. Returns how many."""
    open_ = FixProposal.objects.filter(repository_id=run.repository_id, status__in=OPEN_STATUSES).exclude(
        base_commit=run.commit_sha
    )
    if not open_.exists():
        return 0
    hashes = _current_hashes(run)
    if hashes is None:
        return 0
    count = 0
    for proposal in open_:
        changed = _changed_files(proposal, hashes)
        if not changed:
            continue
        with transaction.atomic():
            locked = _lock(proposal)
            if locked.status not in OPEN_STATUSES:
                continue
            _transition(
                locked,
                FixStatus.STALE,
                reason=f"{', '.join(changed)} changed in analysis {run.pk}",
                data={"analysis_id": str(run.pk), "changed": changed},
            )
            count += 1
    return count


def fixes_auto_generate(*, run: AnalysisRun, limit: int | None = None) -> list[FixProposal]:
    """Rule-based proposals for the findings of a completed run that a fixer covers and that
    have no proposal yet (at most ``limit``), validated in one shared sandbox."""
    limit = settings.REPOTOIRE_FIXES_AUTO_MAX_PER_RUN if limit is None else limit
    if limit <= 0:
        return []
    findings = (
        Finding.objects.filter(
            repository_id=run.repository_id,
            last_seen_run=run,
            is_present=True,
            status__in=FINDING_ACTIVE_STATUSES,
            detector__in=sorted(covered_detectors()),
        )
        .exclude(fix_proposals__status__in=[FixStatus.GENERATING, FixStatus.PENDING, FixStatus.APPROVED, FixStatus.REJECTED])
        .exclude(fix_proposals__base_commit=run.commit_sha)
        .select_related("organization", "repository")
        .order_by("-severity_rank", "path", "line")
    )
    selected = [f for f in findings[: limit * 3] if fixers_for(finding_ref(f))][:limit]
    proposals: list[FixProposal] = []
    for finding in selected:
        try:
            with transaction.atomic():
                proposal = _create_generating(finding, run, run.commit_sha, reason=f"automatic after analysis {run.pk}")
        except IntegrityError:
            continue
        proposals.append(proposal)
    if not proposals:
        return []
    done: list[FixProposal] = []
    try:
        with Sandbox(run.repository, run.commit_sha) as sandbox:
            baseline = sandbox.analyze(previous=_stored_previous(run.repository))
            fresh = FixProposal.objects.select_related("finding", "repository", "organization").in_bulk([p.pk for p in proposals])
            for proposal in (fresh[p.pk] for p in proposals):
                try:
                    done.append(_generate_in(sandbox, baseline, proposal))
                except Exception:
                    logger.exception("Generating fix %s failed", proposal.pk)
                    done.append(_finish_invalid(proposal, "INTERNAL", "Generating the fix failed because of an internal error"))
    except Exception as exc:
        if not isinstance(exc, SandboxError):
            logger.exception("Automatic fixes of analysis %s failed", run.pk)
        message = str(exc) if isinstance(exc, SandboxError) else "The sandbox failed because of an internal error"
        finished = {d.pk for d in done}
        for proposal in proposals:
            if proposal.pk not in finished:
                done.append(_finish_invalid(proposal, "SANDBOX_FAILED", message))
    return done


def fixes_after_analysis(*, run_id: Any) -> dict[str, int]:
    """The post-analysis hook: stale marking, then (when enabled) automatic rule-based proposals."""
    run = AnalysisRun.objects.select_related("repository", "organization").filter(pk=run_id).first()
    if run is None or run.status != "completed":
        return {"stale": 0, "generated": 0}
    stale = fixes_mark_stale(run=run)
    generated = fixes_auto_generate(run=run) if settings.REPOTOIRE_FIXES_AUTO_GENERATE else []
    return {"stale": stale, "generated": sum(1 for p in generated if p.status == FixStatus.PENDING)}
