"""Enabling repositories for analysis (linking them to analysis repositories) and their quality gates."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django_q.tasks import async_task

from accounts.models import Organization
from analysis.models import Repository
from analysis.services import repository_create, repository_update
from github_app.client import GithubError
from github_app.gates import GATE_FIELDS
from github_app.models import (
    GithubInstallation,
    GithubRepository,
)
from github_app.services.dispatch import DISPATCH_TASK
from github_app.services.installations import _repo_fields, _repos_disable
from github_app.services.tokens import installation_client
from repotoire.api.exceptions import (
    Conflict,
    NotFound,
    ValidationFailed,
)
from repotoire.services import model_update

logger = logging.getLogger("repotoire.github")


# --- enabling repositories and quality gates ------------------------------------------------------
def _link_repository(repo: GithubRepository, organization: Organization) -> Repository:
    linked = repo.repository
    if linked is not None and linked.organization_id == organization.pk:
        if not linked.is_active:
            repository_update(repository=linked, is_active=True)
        return linked
    clone_url = repo.clone_url or f"{settings.GITHUB_WEB_URL}/{repo.full_name}.git"
    try:
        return repository_create(
            organization=organization, name=repo.full_name, clone_url=clone_url, default_branch=repo.default_branch
        )
    except Conflict:
        same = Repository.objects.for_org(organization).filter(name=repo.full_name).first()
        if same is None:
            raise
        if not same.is_active:
            repository_update(repository=same, is_active=True)
        return same


def github_repos_set_enabled(*, installation: GithubInstallation, repo_ids: list[int], enabled: bool) -> list[GithubRepository]:
    """Enable (link to an ``analysis.Repository``, created when needed, and queue a first
    analysis of the default branch) or disable the installation's repositories ``repo_ids``
    (GitHub repository ids)."""
    organization = installation.organization
    if organization is None:
        raise NotFound("Installation not found")
    repos = list(installation.repositories.filter(github_id__in=repo_ids, removed_at__isnull=True).select_related("repository"))
    unknown = sorted(set(repo_ids) - {r.github_id for r in repos})
    if unknown:
        raise ValidationFailed(
            f"These repositories are not granted to this installation: {unknown}", fields={"repo_ids": [f"Unknown: {unknown}"]}
        )
    if not enabled:
        with transaction.atomic():
            _repos_disable(repos, removed=False)
        return repos
    if not installation.is_active:
        raise Conflict("This installation is suspended or removed")
    for repo in repos:
        if not repo.default_branch or not repo.clone_url:
            try:
                with installation_client(installation) as gh:
                    data = gh.get(f"/repos/{repo.full_name}")
                for key, value in _repo_fields(data).items():
                    setattr(repo, key, value)
            except GithubError:
                logger.warning("Could not read %s from GitHub; enabling with what we know", repo.full_name)
        with transaction.atomic():
            first_time = repo.repository_id is None or not repo.enabled
            repo.repository = _link_repository(repo, organization)
            repo.enabled = True
            repo.save()
            if first_time:
                repo_pk = repo.pk
                transaction.on_commit(partial(_queue_initial_analysis, repo_pk), robust=True)
    return repos


def _queue_initial_analysis(repo_pk: Any) -> None:
    repo = GithubRepository.objects.select_related("repository").filter(pk=repo_pk).first()
    if repo is None or repo.repository is None:
        return
    GithubRepository.objects.filter(pk=repo_pk, pending_push_sha="").update(pending_push_sha="HEAD")
    async_task(DISPATCH_TASK, str(repo_pk), group="github")


def github_quality_gate_update(*, github_repository: GithubRepository, **fields: Any) -> GithubRepository:
    """Change a repository's quality gate (only the fields given)."""
    model_update(instance=github_repository, fields=("gate_enabled", "gate_min_confidence", *GATE_FIELDS), data=fields)
    return github_repository
