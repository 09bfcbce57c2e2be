"""The setup flow: install URL with a signed single-use state, and linking the installation."""

from __future__ import annotations

import logging
import secrets
from typing import Any
from urllib.parse import urlencode

import httpx
from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import Organization
from github_app.client import GithubClient, GithubError, GithubNotConfigured
from github_app.models import (
    GithubInstallation,
    GithubRepository,
)
from github_app.services.installations import _installation_upsert, _repos_disable, _repos_upsert
from github_app.services.tokens import installation_client
from repotoire.api.exceptions import (
    Conflict,
    ServiceUnavailable,
    ValidationFailed,
)

logger = logging.getLogger("repotoire.github")


_SETUP_SALT = "github_app.setup"


# --- setup flow -------------------------------------------------------------------------------
def github_install_url(*, organization: Organization) -> dict[str, Any]:
    """The URL where an organisation's admin installs the app, with a signed, expiring,
    single-use state naming the organisation."""
    state = signing.TimestampSigner(salt=_SETUP_SALT).sign_object(
        {"org": str(organization.pk), "nonce": secrets.token_urlsafe(12)}
    )
    url = f"{settings.GITHUB_WEB_URL}/apps/{settings.GITHUB_APP_SLUG}/installations/new?" + urlencode({"state": state})
    return {"url": url, "state": state, "expires_in": settings.GITHUB_SETUP_STATE_MAX_AGE}


def _setup_state_org(state: str, *, consume: bool = True) -> Organization:
    try:
        data = signing.TimestampSigner(salt=_SETUP_SALT).unsign_object(state, max_age=settings.GITHUB_SETUP_STATE_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise ValidationFailed(
            "The setup state has expired; start the installation again", fields={"state": ["Expired"]}
        ) from exc
    except signing.BadSignature as exc:
        raise ValidationFailed("The setup state is invalid", fields={"state": ["Invalid"]}) from exc
    org_id = data.get("org") if isinstance(data, dict) else None
    org = Organization.objects.filter(pk=org_id).first() if org_id is not None else None
    if org is None:
        raise ValidationFailed("The setup state is invalid", fields={"state": ["Invalid"]})
    if consume and not cache.add(f"github-setup-nonce:{data.get('nonce')}", 1, timeout=settings.GITHUB_SETUP_STATE_MAX_AGE + 60):
        raise ValidationFailed("This setup state was already used; start the installation again", fields={"state": ["Used"]})
    return org


def _installing_user_can_access(installation_id: int, code: str) -> bool:
    """Exchange the OAuth ``code`` for a user token and ask GitHub whether that user can access
    the installation (so a state of one organisation cannot claim someone else's installation)."""
    try:
        with httpx.Client(timeout=20.0) as http:
            response = http.post(
                f"{settings.GITHUB_WEB_URL}/login/oauth/access_token",
                data={"client_id": settings.GITHUB_CLIENT_ID, "client_secret": settings.GITHUB_CLIENT_SECRET, "code": code},
                headers={"Accept": "application/json"},
            )
        user_token = (response.json() or {}).get("access_token") if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError) as exc:
        raise ServiceUnavailable("GitHub could not be reached; try again") from exc
    if not user_token:
        return False
    try:
        with GithubClient(token=str(user_token)) as gh:
            installations = gh.paginate("/user/installations", key="installations")
    except GithubError as exc:
        raise ServiceUnavailable("GitHub could not be reached; try again") from exc
    return any(i.get("id") == installation_id for i in installations)


SETUP_REQUESTED_DETAIL = (
    "The installation was requested: an owner of the GitHub account must approve it. Once approved, "
    "ask again for an install URL (GET /api/v1/github/install-url) and open it; GitHub sends you back "
    "here with the installation, which is then linked to your organisation."
)


def github_setup_requested(*, state: str) -> dict[str, str]:
    """GitHub's ``setup_action=request`` (the installing user may not install the app, so an owner
    was asked): nothing to link yet. The state is checked but not spent."""
    _setup_state_org(state, consume=False)
    return {"status": "requested", "detail": SETUP_REQUESTED_DETAIL}


def github_setup_complete(*, installation_id: int, state: str, code: str = "") -> GithubInstallation:
    """Link ``installation_id`` to the organisation named by the signed ``state``, after GitHub
    confirms the installation exists (and, when the app's OAuth credentials are configured, that
    the installing user can access it), and sync its repositories. An installation already
    linked to another organisation is refused (409)."""
    org = _setup_state_org(state)
    if settings.GITHUB_CLIENT_ID and settings.GITHUB_CLIENT_SECRET:
        if not code:
            raise ValidationFailed("The setup needs GitHub's authorization code", fields={"code": ["Required"]})
        if not _installing_user_can_access(int(installation_id), code):
            raise ValidationFailed(
                "The installing GitHub user cannot access this installation", fields={"installation_id": ["Not yours"]}
            )
    try:
        with GithubClient() as app:
            data = app.get(f"/app/installations/{int(installation_id)}")
    except GithubNotConfigured as exc:
        raise ServiceUnavailable("The GitHub App is not configured on this server") from exc
    except GithubError as exc:
        if exc.status == 404:
            raise ValidationFailed("GitHub does not know this installation", fields={"installation_id": ["Not found"]}) from exc
        raise ServiceUnavailable("GitHub could not be reached; try again") from exc
    with transaction.atomic():
        existing = GithubInstallation.objects.select_for_update().filter(installation_id=int(installation_id)).first()
        if existing is not None and existing.organization_id not in (None, org.pk):
            raise Conflict("This installation is linked to another organisation")
        installation = _installation_upsert(data)
        if data.get("suspended_at"):
            installation.suspended_at = parse_datetime(str(data["suspended_at"]))
        installation.organization = org
        installation.linked_at = timezone.now()
        installation.save()
        installation.repositories.update(organization=org)
    github_installation_sync(installation=installation)
    return installation


def github_installation_sync(*, installation: GithubInstallation) -> list[GithubRepository]:
    """Refresh the repositories an installation grants from GitHub."""
    if not installation.is_active:
        return []
    with installation_client(installation) as gh:
        repos = gh.paginate("/installation/repositories", key="repositories")
    with transaction.atomic():
        rows = _repos_upsert(installation, repos)
        seen = {r.pk for r in rows}
        gone = list(installation.repositories.filter(removed_at__isnull=True).exclude(pk__in=seen).select_related("repository"))
        _repos_disable(gone, removed=True)
    return rows
