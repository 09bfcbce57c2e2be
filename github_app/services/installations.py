"""Installations and their repositories, as GitHub reports them (installation events and syncs)."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from analysis.services import repository_update
from github_app.models import (
    GithubInstallation,
    GithubRepository,
)

logger = logging.getLogger("repotoire.github")


# --- installations and repositories -----------------------------------------------------------
def _installation_fields(data: dict[str, Any]) -> dict[str, Any]:
    account = data.get("account") or {}
    return {
        "account_login": str(account.get("login") or "")[:255],
        "account_id": account.get("id"),
        "account_type": str(account.get("type") or data.get("target_type") or "")[:30],
        "repository_selection": str(data.get("repository_selection") or "")[:10],
        "permissions": data.get("permissions") or {},
        "events": data.get("events") or [],
    }


def _installation_upsert(data: dict[str, Any]) -> GithubInstallation:
    fields = _installation_fields(data)
    installation, created = GithubInstallation.objects.get_or_create(installation_id=int(data["id"]), defaults=fields)
    if not created:
        for key, value in fields.items():
            setattr(installation, key, value)
        installation.deleted_at = None
        installation.save()
    return installation


def _repo_fields(data: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {"full_name": str(data.get("full_name") or data.get("name") or "")[:300]}
    if "private" in data:
        fields["private"] = bool(data["private"])
    for key in ("default_branch", "clone_url", "html_url"):
        if data.get(key):
            fields[key] = str(data[key])[:1000]
    return fields


def _repos_upsert(installation: GithubInstallation, repos: list[dict[str, Any]]) -> list[GithubRepository]:
    out = []
    for data in repos:
        fields = _repo_fields(data)
        repo, created = GithubRepository.objects.get_or_create(
            installation=installation,
            github_id=int(data["id"]),
            defaults={**fields, "organization": installation.organization},
        )
        if not created:
            for key, value in fields.items():
                setattr(repo, key, value)
            repo.organization = installation.organization
            repo.removed_at = None
            repo.save()
        out.append(repo)
    return out


def _repos_disable(repos: list[GithubRepository], *, removed: bool) -> int:
    """Stop analysing these repositories (their ``analysis.Repository`` becomes inactive)."""
    now = timezone.now()
    for repo in repos:
        repo.enabled = False
        repo.pending_push_sha = ""
        if removed:
            repo.removed_at = now
        repo.save(update_fields=["enabled", "pending_push_sha", "removed_at", "updated_at"])
        linked = repo.repository
        if linked is not None and not linked.github_links.filter(enabled=True).exists():
            repository_update(repository=linked, is_active=False)
    return len(repos)


def _installation_of(data: dict[str, Any]) -> GithubInstallation | None:
    installation_id = data.get("id")
    return GithubInstallation.objects.filter(installation_id=installation_id).first() if installation_id is not None else None


def _on_installation(payload: dict[str, Any]) -> str:
    action = payload.get("action")
    data = payload.get("installation") or {}
    if action == "created":
        with transaction.atomic():
            _repos_upsert(_installation_upsert(data), payload.get("repositories") or [])
        return "installation created"
    installation = _installation_of(data)
    if installation is None:
        return f"ignored: unknown installation {data.get('id')}"
    with transaction.atomic():
        if action == "deleted":
            installation.deleted_at = timezone.now()
            installation.token_encrypted, installation.token_expires_at = "", None
            installation.save()
            _repos_disable(list(installation.repositories.select_related("repository")), removed=True)
            return "installation deleted"
        if action == "suspend":
            installation.suspended_at = timezone.now()
            installation.token_encrypted, installation.token_expires_at = "", None
            installation.save()
            return "installation suspended"
        if action == "unsuspend":
            installation.suspended_at = None
            installation.save()
            return "installation unsuspended"
        if action == "new_permissions_accepted":
            for key, value in _installation_fields(data).items():
                setattr(installation, key, value)
            installation.save()
            return "permissions updated"
    return f"ignored: installation.{action}"


def _on_installation_repositories(payload: dict[str, Any]) -> str:
    data = payload.get("installation") or {}
    installation = _installation_of(data)
    with transaction.atomic():
        if installation is None:
            installation = _installation_upsert(data)
        installation.repository_selection = str(payload.get("repository_selection") or installation.repository_selection)[:10]
        installation.save(update_fields=["repository_selection", "updated_at"])
        added = _repos_upsert(installation, payload.get("repositories_added") or [])
        removed_ids = [int(r["id"]) for r in payload.get("repositories_removed") or []]
        removed = list(installation.repositories.filter(github_id__in=removed_ids).select_related("repository"))
        _repos_disable(removed, removed=True)
    return f"{len(added)} added, {len(removed)} removed"
