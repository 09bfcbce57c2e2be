"""Fix proposals: every write and side effect of the fixes app.

* ``fix_request`` (``POST /findings/{id}/fix``) creates a ``generating`` proposal (or returns the
  live one for the same finding and commit) and enqueues ``fix_generate``.
* ``fix_generate`` checks the base commit out in a sandbox, produces a diff (a rule-based fixer
  first, else the LLM when configured and in the plan), validates it there (applies, parses,
  re-analysis, tests) and only then makes it ``pending`` — or ``invalid`` with the evidence.
* ``fixes_after_analysis`` (post-analysis hook) marks proposals whose base files changed
  ``stale`` and generates rule-based proposals for the run's covered findings (capped).
* ``fix_approve`` / ``fix_reject`` / ``fix_reopen`` / ``fix_apply`` / ``fix_preview``: the review
  workflow; a transition outside ``ALLOWED_TRANSITIONS`` is a 409 CONFLICT.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django_q.tasks import async_task

from accounts.models import Organization, User
from analysis.models import AnalysisFacts, AnalysisRun, Provider, Repository
from billing.entitlements import has_feature
from billing.plans import FEATURE_LLM_FIXES
from findings.models import ACTIVE_STATUSES as FINDING_ACTIVE_STATUSES
from findings.models import Finding, FindingStatus
from fixes import llm
from fixes.fixers import FindingRef, covered_detectors, fixers_for, rule_fix, unified_diff
from fixes.fixers.base import sha256_text
from fixes.models import (
    ALLOWED_TRANSITIONS,
    OPEN_STATUSES,
    FixProposal,
    FixProposalEvent,
    FixStatus,
    Provenance,
    confidence_label,
)
from fixes.sandbox import (
    DiffRejected,
    Sandbox,
    SandboxError,
    check_in_sandbox,
    diff_paths,
    git,
    sandbox_check,
    source_origin,
)
from repotoire.api.exceptions import (
    ApplicationError,
    Conflict,
    NotFound,
    PlanLimitExceeded,
    RateLimitExceeded,
    ServiceUnavailable,
    ValidationFailed,
)

logger = logging.getLogger("repotoire.fixes")

GENERATE_TASK = "fixes.tasks.fix_generate_task"
_ZERO_SHA = "0" * 40


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


def _record(
    proposal: FixProposal, old: str, new: str, *, actor: Any = None, reason: str = "", data: dict[str, Any] | None = None
) -> None:
    FixProposalEvent.objects.create(
        organization_id=proposal.organization_id,
        proposal=proposal,
        actor=actor if actor is not None and getattr(actor, "is_authenticated", False) else None,
        from_status=old,
        to_status=new,
        reason=reason,
        data=data or {},
    )


_VERBS = {
    FixStatus.APPROVED: "approved",
    FixStatus.REJECTED: "rejected",
    FixStatus.PENDING: "reopened for review",
    FixStatus.APPLIED: "applied",
    FixStatus.FAILED: "marked failed",
    FixStatus.STALE: "marked stale",
    FixStatus.INVALID: "marked invalid",
}


def _lock(proposal: FixProposal) -> FixProposal:
    return FixProposal.objects.select_for_update().select_related("repository", "finding", "organization").get(pk=proposal.pk)


def _check(proposal: FixProposal, to: str) -> None:
    if (proposal.status, to) not in ALLOWED_TRANSITIONS:
        raise Conflict(
            f"A {proposal.status} fix cannot be {_VERBS.get(FixStatus(to), to)}",
            extra={"status": proposal.status},
        )


def _transition(
    proposal: FixProposal, to: str, *, actor: Any = None, reason: str = "", data: dict[str, Any] | None = None, **fields: Any
) -> FixProposal:
    """Move a locked proposal to ``to`` (409 when the pair is not allowed) and record it."""
    _check(proposal, to)
    old = proposal.status
    proposal.status = to
    for name, value in fields.items():
        setattr(proposal, name, value)
    proposal.save()
    _record(proposal, old, to, actor=actor, reason=reason, data=data)
    return proposal


def _repo_brief(repository: Repository) -> dict[str, str]:
    return {"id": str(repository.pk), "name": repository.name}


def _emit(proposal: FixProposal, event_type: str, data: dict[str, Any]) -> None:
    def send() -> None:
        try:
            from webhooks.services import webhook_emit

            webhook_emit(organization=proposal.organization, event_type=event_type, data=data, repository=proposal.repository)
        except Exception:  # noqa: BLE001 - a webhook problem never undoes a fix transition
            logger.exception("Could not emit %s for fix %s", event_type, proposal.pk)

    transaction.on_commit(send)


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
    from analysis.services import analysis_previous_result

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
            _emit(
                locked,
                "fix.proposed",
                {
                    "fix_id": str(locked.pk),
                    "finding_id": str(locked.finding_id),
                    "repository": _repo_brief(locked.repository),
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


# --- after an analysis ----------------------------------------------------------------------------
def _current_hashes(run: AnalysisRun) -> dict[str, str] | None:
    from analysis.services import facts_load

    row = AnalysisFacts.objects.filter(run=run).first()
    if row is None:
        return None
    try:
        data = facts_load(bytes(row.data))
    except Exception:  # noqa: BLE001 - without facts nothing can be compared
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


# --- review ------------------------------------------------------------------------------------------
def fix_approve(*, proposal: FixProposal, actor: User) -> FixProposal:
    with transaction.atomic():
        locked = _lock(proposal)
        _check(locked, FixStatus.APPROVED)
        if not locked.validation:
            raise Conflict("This fix has no validation evidence yet")
        return _transition(locked, FixStatus.APPROVED, actor=actor, approved_by=_user(actor), approved_at=timezone.now())


def fix_reject(*, proposal: FixProposal, actor: User, reason: str = "") -> FixProposal:
    with transaction.atomic():
        locked = _lock(proposal)
        return _transition(
            locked,
            FixStatus.REJECTED,
            actor=actor,
            reason=reason,
            rejected_by=_user(actor),
            rejected_at=timezone.now(),
            rejection_reason=reason,
        )


def fix_reopen(*, proposal: FixProposal, actor: User, reason: str = "") -> FixProposal:
    """A rejected proposal back to review (its validation evidence is kept)."""
    with transaction.atomic():
        locked = _lock(proposal)
        return _transition(locked, FixStatus.PENDING, actor=actor, reason=reason)


def _user(actor: Any) -> Any:
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def base_changed(proposal: FixProposal) -> list[str]:
    """Files of the proposal that changed in the repository's latest completed analysis."""
    latest = (
        AnalysisRun.objects.filter(repository_id=proposal.repository_id, status="completed")
        .order_by("-finished_at", "-queued_at")
        .first()
    )
    if latest is None or latest.commit_sha == proposal.base_commit:
        return []
    hashes = _current_hashes(latest)
    return _changed_files(proposal, hashes) if hashes is not None else []


@contextmanager
def _preview_slot(organization_id: Any) -> Iterator[None]:
    """One of ``REPOTOIRE_FIXES_PREVIEW_CONCURRENCY`` sandbox slots of the organisation
    (session advisory locks, released at the end or when the connection drops); 429 when all
    are busy, so previews cannot pile up analyses on the web workers."""
    slots = max(1, int(settings.REPOTOIRE_FIXES_PREVIEW_CONCURRENCY))
    with connection.cursor() as cur:
        for slot in range(slots):
            cur.execute("SELECT pg_try_advisory_lock(hashtext('fixes.preview'), hashtext(%s))", [f"{organization_id}:{slot}"])
            if cur.fetchone()[0]:
                break
        else:
            raise RateLimitExceeded("Too many sandbox previews are running for this organisation", retry_after=10)
    try:
        yield
    finally:
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(hashtext('fixes.preview'), hashtext(%s))", [f"{organization_id}:{slot}"])


def fix_preview(*, proposal: FixProposal, actor: User | None = None) -> dict[str, Any]:
    """Re-check the proposal in a fresh sandbox and store the result; a pending/approved
    proposal whose base files changed since becomes stale."""
    if proposal.status == FixStatus.GENERATING or not proposal.diff:
        raise Conflict("This fix has no diff yet", extra={"status": proposal.status})
    changed = base_changed(proposal)
    with _preview_slot(proposal.organization_id):
        result = sandbox_check(
            repository=proposal.repository,
            commit=proposal.base_commit,
            diff=proposal.diff,
            fingerprint=proposal.finding.fingerprint,
            previous=_stored_previous(proposal.repository),
        )
    result["base_changed"] = changed
    with transaction.atomic():
        locked = _lock(proposal)
        locked.preview = result
        locked.previewed_at = timezone.now()
        locked.save(update_fields=["preview", "previewed_at", "updated_at"])
        if changed and locked.status in OPEN_STATUSES:
            _transition(locked, FixStatus.STALE, actor=actor, reason=f"{', '.join(changed)} changed since the base commit")
        proposal.refresh_from_db()
    return result


# --- apply -----------------------------------------------------------------------------------------
def _github_open_pull_request() -> Any:
    try:
        from github_app import services as github_services
    except ImportError:
        return None
    return getattr(github_services, "github_open_pull_request", None)


def _github_linked(repository: Repository) -> bool:
    """Whether the GitHub App serves this repository (whatever its clone URL looks like)."""
    try:
        from github_app.selectors import github_serves
    except ImportError:
        return False
    return github_serves(repository=repository)


def _commit_branch(git_dir: Path, *, base: str, diff: str, branch: str, message: str) -> str:
    """Commit ``diff`` on top of ``base`` as a new branch of the repository at ``git_dir``
    without touching its working tree, index or current branch (a private index file)."""
    scratch_root = Path(settings.REPOTOIRE_WORKSPACE_DIR) / "sandboxes"
    scratch_root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="apply-", dir=scratch_root) as scratch:
        env = {"GIT_INDEX_FILE": str(Path(scratch) / "index")}
        patch = Path(scratch) / "fix.patch"
        patch.write_text(diff, encoding="utf-8")
        git(["read-tree", base], git_dir, env=env)
        git(["apply", "--cached", str(patch)], git_dir, env=env)
        tree = git(["write-tree"], git_dir, env=env)
        commit = git(["commit-tree", tree, "-p", base, "-F", "-"], git_dir, env=env, stdin=message)
        # the zero old value makes update-ref refuse an existing branch
        git(["update-ref", f"refs/heads/{branch}", commit, _ZERO_SHA], git_dir)
    return commit


def _open_pull_request(open_pr: Any, proposal: FixProposal, repo: Repository, branch: str) -> Any:
    """Call the GitHub App with the diff (it is applied to the base branch's head there, so a
    branch that moved on is never overwritten with stale file contents). Not connected → 409
    GITHUB_NOT_CONNECTED; GitHub unreachable → its 503 (the proposal stays approved, retry
    later); a patch that no longer applies → SandboxError (the proposal fails)."""
    try:
        return open_pr(
            repository=repo,
            branch=branch,
            base=repo.default_branch or "main",
            title=proposal.title or "Repotoire fix",
            body=_commit_message(proposal),
            patch=proposal.diff,
            commit_message=_commit_message(proposal),
        )
    except NotFound as exc:
        raise Conflict(exc.detail, error_code="GITHUB_NOT_CONNECTED") from exc
    except ValidationFailed as exc:
        raise SandboxError(exc.detail) from exc
    except Conflict as exc:
        if exc.detail.startswith("The patch does not apply"):
            raise SandboxError(exc.detail) from exc
        raise Conflict(exc.detail, error_code="GITHUB_NOT_CONNECTED") from exc


def _commit_message(proposal: FixProposal) -> str:
    finding = proposal.finding
    return (
        f"{proposal.title or 'Repotoire fix'}\n\n{proposal.explanation}\n\n"
        f"Finding: {finding.detector} at {finding.path}:{finding.line}\n"
        f"Repotoire-Fix: {proposal.pk} ({proposal.source})\n"
    )


def fix_apply(*, proposal: FixProposal, actor: User) -> FixProposal:
    """Apply an approved proposal: a pull request through the GitHub App for GitHub repositories
    (409 GITHUB_NOT_CONNECTED until it is available), a branch pushed to other remotes, a branch
    committed in the repository itself for local ones. A git/GitHub failure makes it ``failed``."""
    with transaction.atomic():
        locked = _lock(proposal)
        _check(locked, FixStatus.APPLIED)
        repo = locked.repository
        branch = locked.branch_name
        try:
            diff_paths(locked.diff)
        except DiffRejected as exc:
            return _transition(locked, FixStatus.FAILED, actor=actor, reason=str(exc), error_code="DIFF_REJECTED", error=str(exc))
        result: dict[str, Any] = {"branch": branch, "commit_sha": "", "pull_request_url": None}
        try:
            if repo.provider == Provider.GITHUB or _github_linked(repo):
                open_pr = _github_open_pull_request()
                if open_pr is None:
                    raise Conflict(
                        "This repository is on GitHub but the GitHub App is not connected", error_code="GITHUB_NOT_CONNECTED"
                    )
                pr = _open_pull_request(open_pr, locked, repo, branch)
                get = pr.get if isinstance(pr, dict) else lambda k, d=None: getattr(pr, k, d)
                result["commit_sha"] = get("commit_sha", "") or ""
                result["pull_request_url"] = get("pull_request_url", None) or get("html_url", None) or get("url", None)
            elif repo.provider == Provider.LOCAL:
                path = Path(repo.clone_url)
                if not (path / ".git").exists() or not locked.base_commit:
                    raise SandboxError("The local repository is not a git repository")
                result["commit_sha"] = _commit_branch(
                    path, base=locked.base_commit, diff=locked.diff, branch=branch, message=_commit_message(locked)
                )
            else:
                origin = source_origin(repo)
                if not origin.startswith("file://"):
                    raise SandboxError("The repository has not been fetched on this server yet")
                clone = Path(origin[len("file://") :])
                result["commit_sha"] = _commit_branch(
                    clone, base=locked.base_commit, diff=locked.diff, branch=branch, message=_commit_message(locked)
                )
                git(["push", "--quiet", "origin", f"refs/heads/{branch}:refs/heads/{branch}"], clone)
                result["pushed"] = True
        except ApplicationError:
            raise
        except (SandboxError, DiffRejected, OSError) as exc:
            return _transition(
                locked, FixStatus.FAILED, actor=actor, reason=str(exc)[:500], error_code="APPLY_FAILED", error=str(exc)[:2000]
            )
        except Exception as exc:
            logger.exception("Applying fix %s failed", locked.pk)
            return _transition(
                locked,
                FixStatus.FAILED,
                actor=actor,
                reason="internal error",
                error_code="APPLY_FAILED",
                error=f"{type(exc).__name__} while applying",
            )
        locked = _transition(
            locked,
            FixStatus.APPLIED,
            actor=actor,
            data=result,
            applied_by=_user(actor),
            applied_at=timezone.now(),
            apply_result=result,
            error_code="",
            error="",
        )
        _emit(
            locked,
            "fix.applied",
            {
                "fix_id": str(locked.pk),
                "finding_id": str(locked.finding_id),
                "repository": _repo_brief(repo),
                "branch": result["branch"],
                "commit_sha": result["commit_sha"],
                "pull_request_url": result["pull_request_url"],
            },
        )
    return locked
