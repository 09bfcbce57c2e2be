"""Installation access tokens (cached encrypted), API clients, and clone credentials."""

from __future__ import annotations

import logging
from base64 import b64encode
from datetime import timedelta
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from analysis.models import Repository
from github_app.client import GithubClient, GithubNotConfigured
from github_app.models import (
    GithubInstallation,
    GithubRepository,
)
from repotoire.api.exceptions import (
    ServiceUnavailable,
)
from webhooks.crypto import decrypt, encrypt

logger = logging.getLogger("repotoire.github")


# A cached installation token is replaced this long before GitHub expires it.
TOKEN_MARGIN = timedelta(minutes=5)


# --- installation tokens and clients ------------------------------------------------------------
def installation_token(installation: GithubInstallation, *, now: Any = None) -> str:
    """A valid installation access token: the cached one (decrypted) until ``TOKEN_MARGIN``
    before it expires, else a new one from GitHub (cached encrypted)."""
    now = now or timezone.now()
    if not installation.is_active:
        raise ServiceUnavailable("This GitHub installation is suspended or removed")
    row = GithubInstallation.objects.filter(pk=installation.pk).values("token_encrypted", "token_expires_at").first()
    expires_at = row["token_expires_at"] if row else None
    if row and row["token_encrypted"] and expires_at and expires_at - TOKEN_MARGIN > now:
        return decrypt(row["token_encrypted"])
    try:
        with GithubClient() as app:
            data = app.post(f"/app/installations/{installation.installation_id}/access_tokens")
    except GithubNotConfigured as exc:
        raise ServiceUnavailable("The GitHub App is not configured on this server") from exc
    token = str(data["token"])
    expires_at = parse_datetime(str(data.get("expires_at") or "")) or now + timedelta(hours=1)
    encrypted = encrypt(token)
    GithubInstallation.objects.filter(pk=installation.pk).update(token_encrypted=encrypted, token_expires_at=expires_at)
    installation.token_encrypted, installation.token_expires_at = encrypted, expires_at
    return token


def installation_client(installation: GithubInstallation) -> GithubClient:
    return GithubClient(token=installation_token(installation))


def github_clone_auth_headers(*, repository: Repository) -> list[str]:
    """HTTP headers that let git fetch a GitHub-linked repository with a fresh installation token
    (``Authorization: Basic base64(x-access-token:<token>)``), or [] when the repository is not
    served through the App. The analysis passes them to ``git fetch`` only: the clone URL, and so
    the cached clone, stays the same from one token to the next and no token lands on disk."""
    link = (
        GithubRepository.objects.enabled()
        .filter(repository=repository, installation__deleted_at__isnull=True, installation__suspended_at__isnull=True)
        .select_related("installation")
        .first()
    )
    if link is None or not repository.clone_url.startswith("https://"):
        return []
    token = installation_token(link.installation)
    credentials = b64encode(f"x-access-token:{token}".encode()).decode()
    return [f"Authorization: Basic {credentials}"]
