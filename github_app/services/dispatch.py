"""Push and pull-request analyses: queueing them per repository, one at a time, and the sweeper."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from analysis.models import AnalysisRun, RunStatus, RunTrigger
from analysis.services import analysis_trigger
from github_app.client import GithubError
from github_app.models import (
    CheckStatus,
    GithubPullRequestCheck,
    GithubRepository,
)
from github_app.services.reporting import github_pull_request_report
from github_app.services.tokens import installation_client
from repotoire.api.exceptions import (
    Conflict,
    RateLimitExceeded,
    ServiceUnavailable,
)

logger = logging.getLogger("repotoire.github")


DISPATCH_TASK = "github_app.tasks.github_dispatch_pending_task"


PR_ACTIONS = {"opened", "synchronize", "reopened"}


_ZERO_SHA = re.compile(r"^0+$")


# --- push and pull-request analyses --------------------------------------------------------------
def _enabled_repo(payload: dict[str, Any]) -> GithubRepository | None:
    installation_id = (payload.get("installation") or {}).get("id")
    github_id = (payload.get("repository") or {}).get("id")
    return (
        GithubRepository.objects.enabled()
        .filter(
            installation__installation_id=installation_id,
            github_id=github_id,
            organization__isnull=False,
            repository__isnull=False,
            installation__deleted_at__isnull=True,
            installation__suspended_at__isnull=True,
        )
        .select_related("installation", "repository", "organization")
        .first()
    )


def _on_push(payload: dict[str, Any]) -> str:
    repo = _enabled_repo(payload)
    if repo is None:
        return "ignored: repository not enabled"
    after = str(payload.get("after") or "")
    default_branch = (payload.get("repository") or {}).get("default_branch") or repo.default_branch
    if payload.get("deleted") or not after or _ZERO_SHA.match(after):
        return "ignored: branch deleted"
    if payload.get("ref") != f"refs/heads/{default_branch}":
        return "ignored: not the default branch"
    # Coalesce: a burst of pushes while the repository is busy becomes one analysis of the latest.
    GithubRepository.objects.filter(pk=repo.pk).update(pending_push_sha=after, default_branch=default_branch)
    github_dispatch_pending(github_repository_id=repo.pk)
    return "push queued"


def _on_pull_request(payload: dict[str, Any]) -> str:
    action = payload.get("action")
    if action not in PR_ACTIONS:
        return f"ignored: pull_request.{action}"
    repo = _enabled_repo(payload)
    if repo is None:
        return "ignored: repository not enabled"
    pr = payload.get("pull_request") or {}
    if pr.get("state", "open") != "open":
        return "ignored: pull request closed"
    number = payload.get("number") or pr.get("number")
    if not isinstance(number, int) or not (pr.get("head") or {}).get("sha"):
        return "ignored: no pull request number or head commit"
    check = _check_queue(
        repo,
        number=number,
        head=pr.get("head") or {},
        base=pr.get("base") or {},
    )
    github_dispatch_pending(github_repository_id=repo.pk)
    return f"pull request check {check.pk} queued"


def _on_check_run(payload: dict[str, Any]) -> str:
    if payload.get("action") != "rerequested":
        return f"ignored: check_run.{payload.get('action')}"
    check_run = payload.get("check_run") or {}
    previous = GithubPullRequestCheck.objects.filter(check_run_id=check_run.get("id")).order_by("-created_at").first()
    repo = _enabled_repo(payload)
    if previous is None or repo is None or previous.github_repository_id != repo.pk:
        return "ignored: not one of our check runs"
    check = _check_queue(
        repo,
        number=previous.pull_request_number,
        head={"sha": previous.head_sha, "ref": previous.head_ref},
        base={"sha": previous.base_sha, "ref": previous.base_ref},
    )
    github_dispatch_pending(github_repository_id=repo.pk)
    return f"check {check.pk} re-queued"


def _check_queue(repo: GithubRepository, *, number: int, head: dict[str, Any], base: dict[str, Any]) -> GithubPullRequestCheck:
    """A pending check for the PR head (superseding older pending ones of the same PR), with an
    in-progress check run on GitHub."""
    head_sha = str(head.get("sha") or "")
    with transaction.atomic():
        GithubPullRequestCheck.objects.filter(
            github_repository=repo, pull_request_number=number, status=CheckStatus.PENDING
        ).exclude(head_sha=head_sha).update(status=CheckStatus.SUPERSEDED)
        check, created = GithubPullRequestCheck.objects.get_or_create(
            github_repository=repo,
            pull_request_number=number,
            head_sha=head_sha,
            status__in=[CheckStatus.PENDING, CheckStatus.ANALYZING],
            defaults={
                "organization_id": repo.organization_id,  # type: ignore[misc]  # an enabled repository has one
                "head_ref": str(head.get("ref") or "")[:255],
                "base_sha": str(base.get("sha") or "")[:64],
                "base_ref": str(base.get("ref") or "")[:255],
                "status": CheckStatus.PENDING,
            },
        )
    if created:
        try:
            with installation_client(repo.installation) as gh:
                data = gh.post(
                    f"/repos/{repo.full_name}/check-runs",
                    json={
                        "name": settings.GITHUB_CHECK_NAME,
                        "head_sha": head_sha,
                        "status": "in_progress",
                        "started_at": timezone.now().isoformat(),
                        "external_id": str(check.pk),
                        "output": {"title": "Analysing", "summary": "Repotoire is analysing this commit."},
                    },
                )
            GithubPullRequestCheck.objects.filter(pk=check.pk).update(check_run_id=data["id"])
            check.check_run_id = data["id"]
        except (GithubError, ServiceUnavailable) as exc:
            logger.warning("Could not create the check run for %s#%s: %s", repo.full_name, number, exc)
    return check


def github_dispatch_pending(*, github_repository_id: Any) -> str:
    """Start the next waiting analysis of a GitHub repository when it has none running: the
    oldest pending pull-request check first, then the latest pushed default-branch commit."""
    with transaction.atomic():
        repo = (
            GithubRepository.objects.select_for_update(of=("self",))
            .select_related("repository", "organization")
            .filter(pk=github_repository_id, enabled=True, repository__isnull=False)
            .first()
        )
        if repo is None or repo.organization is None or repo.repository_id is None:
            return "not enabled"
        check = repo.checks.filter(status=CheckStatus.PENDING).order_by("created_at").first()
        try:
            if check is not None:
                run = analysis_trigger(
                    organization=repo.organization,
                    repository_id=repo.repository_id,
                    commit_sha=check.head_sha,
                    branch=check.head_ref,
                    trigger=RunTrigger.PULL_REQUEST,
                    pull_request_number=check.pull_request_number,
                )
                check.run, check.status = run, CheckStatus.ANALYZING
                check.save(update_fields=["run", "status", "updated_at"])
                return f"pull request run {run.pk}"
            if repo.pending_push_sha:
                sha = "" if repo.pending_push_sha == "HEAD" else repo.pending_push_sha
                run = analysis_trigger(
                    organization=repo.organization,
                    repository_id=repo.repository_id,
                    commit_sha=sha,
                    branch=repo.default_branch,
                    trigger=RunTrigger.PUSH,
                )
                repo.pending_push_sha = ""
                repo.save(update_fields=["pending_push_sha", "updated_at"])
                return f"push run {run.pk}"
        except (Conflict, RateLimitExceeded) as exc:
            # Busy or over quota: it stays pending; the next completed run or the sweep retries.
            return f"waiting: {exc.detail}"
    return "nothing pending"


def github_after_analysis(*, run_id: Any) -> str:
    """Post-analysis hook: report a pull-request run to GitHub, then start what is waiting."""
    run = AnalysisRun.objects.select_related("organization", "repository").filter(pk=run_id).first()
    if run is None:
        return "no run"
    outcome = "no check"
    check = GithubPullRequestCheck.objects.filter(run=run).first()
    if check is not None and check.status == CheckStatus.ANALYZING:
        github_pull_request_report(check=check)
        outcome = f"check {check.conclusion}"
    for pk in GithubRepository.objects.filter(repository_id=run.repository_id, enabled=True).values_list("pk", flat=True):
        github_dispatch_pending(github_repository_id=pk)
    return outcome


def github_sweep() -> dict[str, int]:
    """Scheduled: close checks whose run failed or was cancelled, and start waiting analyses of
    repositories that are free again (a failed run has no completion hook)."""
    out = {"failed_checks": 0, "late_reports": 0, "dispatched": 0}
    broken = GithubPullRequestCheck.objects.filter(
        status=CheckStatus.ANALYZING, run__status__in=[RunStatus.FAILED, RunStatus.CANCELLED]
    ).select_related("run", "github_repository__installation")
    for check in broken:
        github_pull_request_report(check=check)
        out["failed_checks"] += 1
    # A completed run whose post-analysis task was lost (worker died between the two).
    unreported = GithubPullRequestCheck.objects.filter(
        status=CheckStatus.ANALYZING,
        run__status=RunStatus.COMPLETED,
        run__finished_at__lt=timezone.now() - timedelta(minutes=2),
    )
    for check in unreported:
        github_pull_request_report(check=check)
        out["late_reports"] += 1
    orphaned = GithubPullRequestCheck.objects.filter(status=CheckStatus.ANALYZING, run__isnull=True)
    orphaned.update(status=CheckStatus.PENDING)
    waiting = set(
        GithubPullRequestCheck.objects.filter(status=CheckStatus.PENDING).values_list("github_repository_id", flat=True)
    ) | set(GithubRepository.objects.enabled().exclude(pending_push_sha="").values_list("pk", flat=True))
    for pk in waiting:
        if github_dispatch_pending(github_repository_id=pk).startswith(("pull request run", "push run")):
            out["dispatched"] += 1
    return out
