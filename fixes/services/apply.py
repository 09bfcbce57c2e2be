"""Applying an approved proposal: a branch commit and, for GitHub-served repositories, a pull
request."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from analysis.models import Provider, Repository
from analysis.sources import CloneUrlError, local_repository_path
from fixes.models import (
    FixProposal,
    FixStatus,
)
from fixes.sandbox import (
    DiffRejected,
    SandboxError,
    diff_paths,
    git,
    source_origin,
)
from fixes.services.states import _check, _lock, _transition, _user
from github_app.selectors import github_serves
from github_app.services import github_open_pull_request
from repotoire.api.exceptions import (
    ApplicationError,
    Conflict,
    NotFound,
    ValidationFailed,
)
from webhooks.services import FIX_APPLIED, webhook_emit_on_commit

logger = logging.getLogger("repotoire.fixes")


_ZERO_SHA = "0" * 40


# --- apply -----------------------------------------------------------------------------------------
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


def _open_pull_request(proposal: FixProposal, repo: Repository, branch: str) -> dict[str, Any]:
    """Call the GitHub App with the diff (it is applied to the base branch's head there, so a
    branch that moved on is never overwritten with stale file contents). Not connected → 409
    GITHUB_NOT_CONNECTED; GitHub unreachable → its 503 (the proposal stays approved, retry
    later); a patch that no longer applies → SandboxError (the proposal fails)."""
    try:
        return github_open_pull_request(
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
            if repo.provider == Provider.GITHUB or github_serves(repository=repo):
                pr = _open_pull_request(locked, repo, branch)
                result["commit_sha"] = pr["commit_sha"] or ""
                result["pull_request_url"] = pr["pull_request_url"]
            elif repo.provider == Provider.LOCAL:
                try:
                    path = local_repository_path(repo.clone_url)
                except CloneUrlError as exc:
                    raise SandboxError(str(exc)) from exc
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
        webhook_emit_on_commit(
            organization=locked.organization,
            event_type=FIX_APPLIED,
            repository=locked.repository,
            data={
                "fix_id": str(locked.pk),
                "finding_id": str(locked.finding_id),
                "repository": repo.brief(),
                "branch": result["branch"],
                "commit_sha": result["commit_sha"],
                "pull_request_url": result["pull_request_url"],
            },
        )
    return locked
