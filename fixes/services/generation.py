"""Requesting and generating proposals: a sandbox checkout of the base commit, a rule-based
fixer or the LLM, validation in the sandbox, then ``pending`` or ``invalid``."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_q.tasks import async_task

from accounts.models import Organization, User
from analysis.models import AnalysisRun, Repository
from analysis.services import analysis_previous_result
from billing.entitlements import has_feature
from billing.plans import FEATURE_LLM_FIXES
from findings.models import Finding, FindingStatus
from fixes import llm
from fixes.fixers import FindingRef, fixers_for, rule_fix, unified_diff
from fixes.fixers.base import sha256_text
from fixes.models import (
    FixProposal,
    FixStatus,
    Provenance,
    confidence_label,
)
from fixes.sandbox import (
    Sandbox,
    SandboxError,
    check_in_sandbox,
    diff_paths,
)
from fixes.services.states import _lock, _record, _transition
from repotoire.api.exceptions import (
    Conflict,
    PlanLimitExceeded,
    ServiceUnavailable,
)
from webhooks.services import FIX_PROPOSED, webhook_emit_on_commit

logger = logging.getLogger("repotoire.fixes")


GENERATE_TASK = "fixes.tasks.fix_generate_task"


# --- helpers ---------------------------------------------------------------------------------------
def finding_ref(finding: Finding) -> FindingRef:
    return FindingRef(
        detector=finding.detector,
        path=finding.path,
        line=finding.line,
        column=finding.column,
        end_line=finding.end_line,
        end_column=finding.end_column,
        symbol=finding.symbol,
        snippet=finding.snippet,
        fingerprint=finding.fingerprint,
        metadata=dict(finding.metadata or {}),
        message=finding.message,
    )


def llm_available(organization: Organization) -> bool:
    return llm.configured() and has_feature(organization, FEATURE_LLM_FIXES)


def _require_llm(organization: Organization) -> None:
    if not llm.configured():
        raise ServiceUnavailable(
            "No rule-based fixer covers this finding and no language model is configured (OPENAI_API_KEY)",
            error_code="LLM_NOT_CONFIGURED",
        )
    if not has_feature(organization, FEATURE_LLM_FIXES):
        raise PlanLimitExceeded("LLM-generated fixes are not included in your plan")


# --- requesting and generating ----------------------------------------------------------------------
def fix_request(*, finding: Finding, requested_by: User | None = None) -> tuple[FixProposal, bool]:
    """A proposal for ``finding`` at the commit of the analysis that last saw it: the live one
    (generating or pending) when there is one, else a new ``generating`` proposal whose
    generation is enqueued. Returns (proposal, created).

    409 when the finding is fixed or no longer present; 503 LLM_NOT_CONFIGURED when no rule
    covers it and no language model is configured; 402 when LLM fixes are not in the plan."""
    if finding.status == FindingStatus.FIXED or not finding.is_present:
        raise Conflict("This finding is no longer present in the latest analysis")
    run = finding.last_seen_run
    commit = run.commit_sha if run is not None else ""
    live = FixProposal.objects.filter(finding=finding, base_commit=commit, status__in=[FixStatus.GENERATING, FixStatus.PENDING])
    existing = live.first()
    if existing is not None and _abandoned(existing):
        # its worker died (or the queue lost the task): give up on it and start again
        _finish_invalid(existing, "GENERATION_TIMEOUT", "The generation did not finish in time")
        existing = live.first()
    if existing is not None:
        return existing, False
    if not fixers_for(finding_ref(finding)):
        _require_llm(finding.organization)
    try:
        with transaction.atomic():
            proposal = _create_generating(finding, run, commit, requested_by=requested_by, reason="requested")
            transaction.on_commit(lambda: async_task(GENERATE_TASK, str(proposal.pk), group="fixes"))
    except IntegrityError:
        # a concurrent request created it first
        return live.get(), False
    return proposal, True


def _create_generating(
    finding: Finding, run: AnalysisRun | None, commit: str, *, reason: str, requested_by: User | None = None
) -> FixProposal:
    """A new ``generating`` proposal for ``finding`` at ``commit`` and its first audit entry
    (IntegrityError when a live one exists: one per finding and commit, by constraint)."""
    proposal = FixProposal.objects.create(
        organization_id=finding.organization_id,
        repository_id=finding.repository_id,
        finding=finding,
        analysis_run=run,
        base_commit=commit,
        requested_by=requested_by if requested_by is not None and requested_by.is_authenticated else None,
        title=f"Fix: {finding.title}"[:500],
    )
    _record(proposal, "", FixStatus.GENERATING, actor=requested_by, reason=reason)
    return proposal


def _abandoned(proposal: FixProposal) -> bool:
    limit = timedelta(seconds=int(settings.REPOTOIRE_FIXES_GENERATION_TIMEOUT_SECONDS))
    return proposal.status == FixStatus.GENERATING and proposal.created_at < timezone.now() - limit


def _stored_previous(repository: Repository) -> Any:
    """The latest stored engine facts of ``repository`` (reused by the sandbox's baseline)."""
    return analysis_previous_result(repository=repository)


def _candidate(sandbox: Sandbox, proposal: FixProposal, baseline: Any = None) -> dict[str, Any]:
    """The diff and its provenance for ``proposal`` (a rule first, else the LLM when allowed);
    raises ``_NoFix`` with an error code when there is none."""
    finding = proposal.finding
    ref = finding_ref(finding)
    source = sandbox.read(finding.path)
    if source is None:
        raise _NoFix("FILE_NOT_FOUND", f"{finding.path} does not exist at {proposal.base_commit[:12] or 'the base'}")
    fix = rule_fix(source, ref)
    if fix is not None:
        return {
            "provenance": Provenance.RULE,
            "source": f"rule:{fix.fixer_id}",
            "title": fix.title,
            "explanation": fix.explanation,
            "confidence": fix.confidence,
            "diff": unified_diff(finding.path, source, fix.new_source),
            "base_hashes": {finding.path: sha256_text(source)},
            "llm": {},
        }
    if not llm_available(proposal.organization):
        if not llm.configured():
            raise _NoFix("LLM_NOT_CONFIGURED", "No rule-based fixer could fix this finding and no language model is configured")
        raise _NoFix("PLAN_LIMIT_EXCEEDED", "No rule-based fixer could fix this finding; LLM fixes are not in the plan")
    try:
        answer = llm.generate(
            ref, source, title=finding.title, root=sandbox.root, files=baseline.files if baseline is not None else None
        )
    except llm.LLMError as exc:
        raise _NoFix(exc.code, str(exc), data={"llm_errors": exc.errors}) from exc
    new_source = answer.new_sources[finding.path]
    return {
        "provenance": Provenance.LLM,
        "source": f"llm:{answer.model}",
        "title": f"Fix: {finding.title}"[:500],
        "explanation": answer.explanation,
        "confidence": answer.confidence,
        "diff": unified_diff(finding.path, source, new_source),
        "base_hashes": {finding.path: sha256_text(source)},
        "llm": {"model": answer.model, "attempts": answer.attempts, "rejected_answers": answer.rejected},
    }


class _NoFix(Exception):
    def __init__(self, code: str, message: str, data: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data or {}


def _adjusted_confidence(confidence: float, validation: dict[str, Any]) -> float:
    value = confidence
    if not validation.get("finding_resolved"):
        value = min(value, 0.3)
    if validation.get("new_findings"):
        value = min(value, 0.4)
    tests = validation.get("tests") or {}
    if tests.get("ran") and not tests.get("passed"):
        value = min(value, 0.2)
    return round(max(0.0, min(1.0, value)), 2)


def _generate_in(sandbox: Sandbox, baseline: Any, proposal: FixProposal) -> FixProposal:
    """Produce and validate the diff of a ``generating`` proposal inside ``sandbox`` (left as it
    was found), then store the evidence: ``pending`` when it applies and parses, else ``invalid``."""
    try:
        candidate = _candidate(sandbox, proposal, baseline)
    except _NoFix as exc:
        return _finish_invalid(proposal, exc.code, exc.message, data=exc.data)
    validation = check_in_sandbox(sandbox, candidate["diff"], proposal.finding.fingerprint, baseline=baseline)
    if validation["applies"]:
        sandbox.apply(candidate["diff"], reverse=True)
    validation["llm"] = candidate.pop("llm")
    fields = {
        **candidate,
        "files": diff_paths(candidate["diff"]),
        "validation": validation,
        "confidence": _adjusted_confidence(candidate["confidence"], validation),
    }
    fields["confidence_label"] = confidence_label(fields["confidence"])
    with transaction.atomic():
        locked = _lock(proposal)
        if locked.status != FixStatus.GENERATING:
            return locked
        if validation["applies"] and validation["syntax_ok"]:
            locked = _transition(locked, FixStatus.PENDING, reason="validated in sandbox", data=_summary(validation), **fields)
            webhook_emit_on_commit(
                organization=locked.organization,
                event_type=FIX_PROPOSED,
                repository=locked.repository,
                data={
                    "fix_id": str(locked.pk),
                    "finding_id": str(locked.finding_id),
                    "repository": locked.repository.brief(),
                    "provenance": locked.provenance,
                    "source": locked.source,
                    "confidence": locked.confidence,
                    "finding_resolved": validation["finding_resolved"],
                    "new_findings": len(validation["new_findings"]),
                },
            )
        else:
            locked = _transition(
                locked,
                FixStatus.INVALID,
                reason="failed validation",
                data=_summary(validation),
                error_code="VALIDATION_FAILED",
                error="; ".join(validation["errors"])[:2000],
                **fields,
            )
    return locked


def _summary(validation: dict[str, Any]) -> dict[str, Any]:
    return {k: validation.get(k) for k in ("applies", "syntax_ok", "finding_resolved", "duration_ms")} | {
        "new_findings": len(validation.get("new_findings") or []),
        "tests_passed": (validation.get("tests") or {}).get("passed"),
    }


def _finish_invalid(proposal: FixProposal, code: str, message: str, data: dict[str, Any] | None = None) -> FixProposal:
    with transaction.atomic():
        locked = _lock(proposal)
        if locked.status != FixStatus.GENERATING:
            return locked
        return _transition(locked, FixStatus.INVALID, reason=message[:500], data=data, error_code=code, error=message[:2000])


def fix_generate(*, proposal_id: Any) -> FixProposal | None:
    """Generate and validate the diff of a ``generating`` proposal (a no-op otherwise)."""
    proposal = FixProposal.objects.select_related("finding", "repository", "organization").filter(pk=proposal_id).first()
    if proposal is None or proposal.status != FixStatus.GENERATING:
        return proposal
    try:
        with Sandbox(proposal.repository, proposal.base_commit) as sandbox:
            baseline = sandbox.analyze(previous=_stored_previous(proposal.repository))
            return _generate_in(sandbox, baseline, proposal)
    except SandboxError as exc:
        return _finish_invalid(proposal, "SANDBOX_FAILED", str(exc))
    except Exception:
        logger.exception("Generating fix %s failed", proposal.pk)
        return _finish_invalid(proposal, "INTERNAL", "Generating the fix failed because of an internal error")
