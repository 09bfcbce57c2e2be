"""Repositories: create, update, delete, and where analyses keep their clone of one."""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from accounts.models import Organization
from analysis.engine import source
from analysis.models import (
    AnalysisRun,
    Provider,
    Repository,
    RunStatus,
)
from analysis.providers import clone_credentials
from analysis.sources import CloneUrlError, normalize_clone_url
from billing.entitlements import effective_plan
from repotoire.api.exceptions import Conflict, PlanLimitExceeded, ValidationFailed
from repotoire.services import model_update

logger = logging.getLogger("repotoire.analysis")


_BAD_REF = re.compile(r"(\.\.|[\s~^:?*\[\\]|@\{|//|^[-/.]|[/.]$|\.lock$)")


# --- repositories ------------------------------------------------------------------------------
def _clean_url(clone_url: str) -> tuple[str, str]:
    try:
        return normalize_clone_url(clone_url)
    except CloneUrlError as exc:
        raise ValidationFailed(str(exc), fields={"clone_url": [str(exc)]}) from exc


def _clean_branch(branch: str, field: str = "branch") -> str:
    branch = (branch or "").strip()
    if branch and (len(branch) > 255 or _BAD_REF.search(branch)):
        raise ValidationFailed(f"{field}: not a valid git branch name", fields={field: ["Not a valid git branch name"]})
    return branch


def repository_create(*, organization: Organization, name: str, clone_url: str, default_branch: str = "") -> Repository:
    """Register a repository; 409 when the organisation already has one with this name, 402
    when the plan's repository limit is reached."""
    url, provider = _clean_url(clone_url)
    default_branch = _clean_branch(default_branch, "default_branch")
    limit = effective_plan(organization).repositories
    try:
        with transaction.atomic():
            # The organisation row lock makes the limit exact under concurrent creates.
            Organization.objects.select_for_update().filter(pk=organization.pk).exists()
            if limit is not None and Repository.objects.for_org(organization).count() >= limit:
                raise PlanLimitExceeded(f"Your plan allows {limit} repositories")
            return Repository.objects.create(
                organization=organization, name=name, clone_url=url, provider=provider, default_branch=default_branch
            )
    except IntegrityError as exc:
        raise Conflict(f"A repository named {name!r} already exists") from exc


_REPOSITORY_UPDATABLE = ("name", "clone_url", "provider", "default_branch", "is_active")


def repository_update(
    *,
    repository: Repository,
    name: str | None = None,
    clone_url: str | None = None,
    default_branch: str | None = None,
    is_active: bool | None = None,
) -> Repository:
    """Change a repository's settings (only the fields given)."""
    data: dict[str, Any] = {}
    if name is not None:
        data["name"] = name
    if clone_url is not None:
        data["clone_url"], data["provider"] = _clean_url(clone_url)
    if default_branch is not None:
        data["default_branch"] = _clean_branch(default_branch, "default_branch")
    if is_active is not None:
        data["is_active"] = is_active
    try:
        with transaction.atomic():
            model_update(instance=repository, fields=_REPOSITORY_UPDATABLE, data=data)
    except IntegrityError as exc:
        raise Conflict(f"A repository named {repository.name!r} already exists") from exc
    return repository


def repository_delete(*, repository: Repository) -> None:
    """Delete a repository with its runs (and, by cascade, its findings). Refused while an
    analysis of it is running: cancel it first."""
    with transaction.atomic():
        if AnalysisRun.objects.filter(repository=repository, status=RunStatus.RUNNING).exists():
            raise Conflict("An analysis of this repository is running; cancel it first")
        workspace = _workspace(repository)
        repository.delete()
        transaction.on_commit(lambda: shutil.rmtree(workspace, ignore_errors=True))


def _workspace(repository: Repository) -> Path:
    return Path(settings.REPOTOIRE_WORKSPACE_DIR) / str(repository.pk)


def repository_clone_dir(repository: Repository) -> Path:
    """Where analyses keep their git clone of ``repository`` (it may not exist yet). A local
    directory is cloned too when it is a git repository (it is analysed in place otherwise)."""
    url = f"file://{repository.clone_url}" if repository.provider == Provider.LOCAL else repository.clone_url
    return source.clone_dir(url, _workspace(repository))


def repository_auth_headers(repo: Repository) -> list[str]:
    """HTTP headers carrying fresh credentials from the registered providers (the GitHub App's
    installation token for the repositories it serves; [] otherwise: public repositories still
    clone)."""
    try:
        return clone_credentials(repo)
    except Exception:  # noqa: BLE001 - fall back to no header (public repositories still clone)
        logger.warning("No clone credentials for repository %s", repo.pk, exc_info=True)
        return []
