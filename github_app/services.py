"""Every write and side effect of the GitHub App: webhook intake, installations and their
repositories, the setup flow, push and pull-request analyses, check runs, PR comments, quality
gates, and opening pull requests for fix proposals.

GitHub is called outside database transactions (a slow GitHub never holds a row lock), and a
GitHub failure while reporting a result is recorded on the check, never raised into a run.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import subprocess
import tempfile
from base64 import b64decode, b64encode
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import httpx
from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_q.tasks import async_task

from accounts.models import Organization
from analysis.models import AnalysisRun, Repository, RunStatus, RunTrigger
from billing.entitlements import has_feature
from billing.plans import FEATURE_QUALITY_GATES
from github_app import selectors
from github_app.client import GithubClient, GithubError, GithubNotConfigured
from github_app.gates import GATE_FIELDS, GateInput, evaluate_gate, gate_config
from github_app.models import (
    CheckStatus,
    DeliveryStatus,
    GithubInstallation,
    GithubPullRequestCheck,
    GithubRepository,
    GithubWebhookDelivery,
)
from repotoire.api.exceptions import (
    Conflict,
    NotFound,
    RateLimitExceeded,
    ServiceUnavailable,
    Unauthorized,
    ValidationFailed,
)

logger = logging.getLogger("repotoire.github")

PROCESS_TASK = "github_app.tasks.github_process_delivery_task"
DISPATCH_TASK = "github_app.tasks.github_dispatch_pending_task"
COMMENT_MARKER = "<!-- repotoire:pull-request-summary -->"
HANDLED_EVENTS = {"installation", "installation_repositories", "push", "pull_request", "check_run", "ping"}
PR_ACTIONS = {"opened", "synchronize", "reopened"}
ANNOTATIONS_PER_REQUEST = 50
# A cached installation token is replaced this long before GitHub expires it.
TOKEN_MARGIN = timedelta(minutes=5)
_SETUP_SALT = "github_app.setup"
_ZERO_SHA = re.compile(r"^0+$")
_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")
_LEVEL = {"critical": "failure", "high": "failure", "medium": "warning", "low": "notice", "info": "notice"}


# --- webhook intake ---------------------------------------------------------------------------
def github_verify_signature(*, body: bytes, signature: str | None) -> None:
    """Check ``X-Hub-Signature-256`` (HMAC-SHA256 of the raw body with the webhook secret) in
    constant time. No secret configured → 503 (fail closed); bad or missing signature → 401."""
    secret = settings.GITHUB_WEBHOOK_SECRET
    if not secret:
        raise ServiceUnavailable("The GitHub webhook secret is not configured", error_code="SERVICE_UNAVAILABLE")
    if not signature or not signature.startswith("sha256="):
        raise Unauthorized("Missing or malformed X-Hub-Signature-256")
    expected = "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode("ascii"), signature.strip().encode("ascii", "replace")):
        raise Unauthorized("Invalid webhook signature")


def github_delivery_receive(
    *, delivery_id: str, event: str, payload: dict[str, Any]
) -> tuple[GithubWebhookDelivery | None, bool]:
    """Record a verified delivery once (``X-GitHub-Delivery`` is unique) and enqueue its
    processing. Returns (delivery, duplicate); unhandled events are stored as ignored."""
    handled = event in HANDLED_EVENTS
    installation_id = (payload.get("installation") or {}).get("id")
    try:
        with transaction.atomic():
            delivery = GithubWebhookDelivery.objects.create(
                delivery_id=delivery_id[:100],
                event=event[:100],
                action=str(payload.get("action") or "")[:100],
                installation_id=installation_id if isinstance(installation_id, int) else None,
                payload=payload,
                status=DeliveryStatus.RECEIVED if handled else DeliveryStatus.IGNORED,
                processed_at=None if handled else timezone.now(),
            )
            if handled:
                pk = delivery.pk
                transaction.on_commit(lambda: async_task(PROCESS_TASK, pk, group="github"), robust=True)
    except IntegrityError:
        return None, True
    return delivery, False


def github_delivery_process(*, delivery_pk: int) -> str:
    """Handle one stored delivery (claimed with a conditional update, so reruns are no-ops)."""
    if not GithubWebhookDelivery.objects.filter(pk=delivery_pk, status=DeliveryStatus.RECEIVED).update(
        status=DeliveryStatus.PROCESSING
    ):
        return "skipped"
    delivery = GithubWebhookDelivery.objects.get(pk=delivery_pk)
    handler = {
        "installation": _on_installation,
        "installation_repositories": _on_installation_repositories,
        "push": _on_push,
        "pull_request": _on_pull_request,
        "check_run": _on_check_run,
        "ping": lambda payload: "pong",
    }[delivery.event]
    try:
        outcome = handler(delivery.payload) or "processed"
        status = DeliveryStatus.IGNORED if outcome.startswith("ignored") else DeliveryStatus.PROCESSED
        GithubWebhookDelivery.objects.filter(pk=delivery_pk).update(status=status, error="", processed_at=timezone.now())
        return outcome
    except Exception as exc:  # noqa: BLE001 - one bad delivery must not poison the queue; it is recorded
        logger.exception("GitHub delivery %s (%s) failed", delivery.delivery_id, delivery.event)
        GithubWebhookDelivery.objects.filter(pk=delivery_pk).update(
            status=DeliveryStatus.FAILED, error=f"{exc.__class__.__name__}: {exc}"[:2000], processed_at=timezone.now()
        )
        return "failed"


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
    from analysis.services import repository_update

    now = timezone.now()
    for repo in repos:
        repo.enabled = False
        repo.pending_push_sha = ""
        if removed:
            repo.removed_at = now
        repo.save(update_fields=["enabled", "pending_push_sha", "removed_at", "updated_at"])
        if repo.repository_id is not None and not repo.repository.github_links.filter(enabled=True).exists():
            repository_update(repository=repo.repository, is_active=False)
    return len(repos)


def _on_installation(payload: dict[str, Any]) -> str:
    action = payload.get("action")
    data = payload.get("installation") or {}
    if action == "created":
        with transaction.atomic():
            installation = _installation_upsert(data)
            _repos_upsert(installation, payload.get("repositories") or [])
        return "installation created"
    installation = GithubInstallation.objects.filter(installation_id=data.get("id")).first()
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
    installation = GithubInstallation.objects.filter(installation_id=data.get("id")).first()
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


# --- installation tokens and clients ------------------------------------------------------------
def installation_token(installation: GithubInstallation, *, now: Any = None) -> str:
    """A valid installation access token: the cached one (decrypted) until ``TOKEN_MARGIN``
    before it expires, else a new one from GitHub (cached encrypted)."""
    from webhooks.crypto import decrypt, encrypt

    now = now or timezone.now()
    if not installation.is_active:
        raise ServiceUnavailable("This GitHub installation is suspended or removed")
    row = GithubInstallation.objects.filter(pk=installation.pk).values("token_encrypted", "token_expires_at").first() or {}
    if row.get("token_encrypted") and row.get("token_expires_at") and row["token_expires_at"] - TOKEN_MARGIN > now:
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
    org = Organization.objects.filter(pk=data.get("org")).first() if isinstance(data, dict) else None
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


# --- enabling repositories and quality gates ------------------------------------------------------
def _link_repository(repo: GithubRepository, organization: Organization) -> Repository:
    from analysis.services import repository_create, repository_update

    if repo.repository_id is not None and repo.repository.organization_id == organization.pk:
        if not repo.repository.is_active:
            repository_update(repository=repo.repository, is_active=True)
        return repo.repository
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
                transaction.on_commit(lambda repo_pk=repo_pk: _queue_initial_analysis(repo_pk), robust=True)
    return repos


def _queue_initial_analysis(repo_pk: Any) -> None:
    repo = GithubRepository.objects.select_related("repository").filter(pk=repo_pk).first()
    if repo is None or repo.repository is None:
        return
    GithubRepository.objects.filter(pk=repo_pk, pending_push_sha="").update(pending_push_sha="HEAD")
    async_task(DISPATCH_TASK, str(repo_pk), group="github")


def github_quality_gate_update(*, github_repository: GithubRepository, **fields: Any) -> GithubRepository:
    """Change a repository's quality gate (only the fields given)."""
    allowed = {"gate_enabled", *GATE_FIELDS}
    changed = [k for k in fields if k in allowed]
    for key in changed:
        setattr(github_repository, key, fields[key])
    if changed:
        github_repository.save(update_fields=[*changed, "updated_at"])
    return github_repository


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
                "organization_id": repo.organization_id,
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
    from analysis.services import analysis_trigger

    with transaction.atomic():
        repo = (
            GithubRepository.objects.select_for_update(of=("self",))
            .select_related("repository", "organization")
            .filter(pk=github_repository_id, enabled=True, repository__isnull=False)
            .first()
        )
        if repo is None or repo.organization is None:
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


# --- reporting a pull-request analysis -------------------------------------------------------------
def changed_lines(files: list[dict[str, Any]]) -> dict[str, set[int]]:
    """Lines added or modified in the head version, per file, from the PR files' patches."""
    out: dict[str, set[int]] = {}
    for f in files:
        lines: set[int] = set()
        line = 0
        for text in (f.get("patch") or "").splitlines():
            hunk = _HUNK.match(text)
            if hunk:
                line = int(hunk.group(1))
                continue
            if text.startswith("+"):
                lines.add(line)
                line += 1
            elif text.startswith("-"):
                continue
            elif not text.startswith("\\"):
                line += 1
        out[f["filename"]] = lines
    return out


def _annotations(new: list[dict[str, Any]], changed: dict[str, set[int]]) -> list[dict[str, Any]]:
    out = []
    for f in new:
        lines = changed.get(f["path"])
        start = max(int(f["line"] or 1), 1)
        end = max(int(f["end_line"] or start), start)
        if not lines or not any(n in lines for n in range(start, end + 1)):
            continue
        out.append(
            {
                "path": f["path"],
                "start_line": start,
                "end_line": end,
                "annotation_level": _LEVEL.get(f["severity"], "notice"),
                "title": f"[{f['severity']}] {f['title']}"[:255],
                "message": (f["message"] or f["title"])[:64000],
                "raw_details": f"{f['detector']} ({f['category']})",
            }
        )
    return out


def _fmt_delta(delta: float | None) -> str:
    return "n/a" if delta is None else f"{delta:+.1f}"


def _summary_markdown(check: GithubPullRequestCheck, run: AnalysisRun, counts: dict[str, int]) -> str:
    gate = check.gate or {}
    lines = [
        f"**Health score:** {run.health_score:.1f} ({run.grade}) — delta vs base: {_fmt_delta(check.score_delta)}",
        "",
        "**New findings:** "
        + (", ".join(f"{counts[s]} {s}" for s in ("critical", "high", "medium", "low", "info") if counts.get(s)) or "none")
        + f" · **fixed:** {check.fixed_findings}",
        "",
    ]
    if not gate.get("enabled"):
        lines.append(
            "Quality gate: not enabled for this repository" + ("" if gate.get("available", True) else " (not on your plan)")
        )
    else:
        lines += [
            f"**Quality gate: {'passed' if gate.get('passed') else 'failed'}**",
            "",
            "| Condition | Threshold | Actual | Result |",
            "|---|---|---|---|",
        ]
        for c in gate.get("conditions", []):
            threshold = f"{'≥' if c['operator'] == '<' else '≤'} {c['threshold']}"
            lines.append(f"| {c['label']} | {threshold} | {c['actual']} | {'✅ pass' if c['passed'] else '❌ fail'} |")
        if not gate.get("conditions"):
            lines.append("| (no conditions set) | | | ✅ pass |")
    if check.base_run_id is None:
        lines += ["", "_No analysis of the base commit was found: every finding counts as new._"]
    return "\n".join(lines)


def github_pull_request_report(*, check: GithubPullRequestCheck) -> GithubPullRequestCheck:
    """Compare the check's run with its base run, evaluate the quality gate, store the result,
    then complete the check run (annotations in batches of 50), update the PR comment and emit
    ``quality_gate.failed``."""
    repo = GithubRepository.objects.select_related("installation", "organization").get(pk=check.github_repository_id)
    run = AnalysisRun.objects.filter(pk=check.run_id).first()
    if run is None or run.status != RunStatus.COMPLETED:
        check.status, check.conclusion = CheckStatus.FAILED, "neutral"
        check.error = run.error_message if run is not None else "The analysis was deleted"
        check.save(update_fields=["status", "conclusion", "error", "updated_at"])
        message = f"The analysis did not complete: {check.error or (run.status if run else 'missing')}"
        _report_check_run(repo, check, {"title": "Analysis did not complete", "summary": message}, [])
        return check

    base = selectors.base_run_for(check=check, run=run)
    diff = selectors.findings_diff(run=run, base_run=base)
    new = diff["new"]
    counts = {s: 0 for s in ("critical", "high", "medium", "low", "info")}
    for f in new:
        counts[f["severity"]] = counts.get(f["severity"], 0) + 1
    available = has_feature(repo.organization, FEATURE_QUALITY_GATES) if repo.organization else False
    config = gate_config(repo)
    config["gate_enabled"] = bool(config["gate_enabled"] and available)
    gate = evaluate_gate(
        config,
        GateInput(
            health_score=float(run.health_score or 0.0),
            base_score=base.health_score if base is not None else None,
            new_by_severity=counts,
            new_total=len(new),
            new_security=sum(1 for f in new if f["category"] == "security"),
            new_import_cycles=sum(1 for f in new if f["detector"] == "import-cycle"),
        ),
    )
    gate["available"] = available
    with transaction.atomic():
        check.base_run = base
        check.health_score = run.health_score
        check.score_delta = round(run.health_score - base.health_score, 2) if base and base.health_score is not None else None
        check.new_findings = {**counts, "total": len(new)}
        check.fixed_findings = diff["fixed_count"]
        check.gate = gate
        check.conclusion = ("success" if gate["passed"] else "failure") if gate["enabled"] else "neutral"
        check.status = CheckStatus.COMPLETED
        check.save()
        if gate["enabled"] and not gate["passed"]:
            data = {
                "analysis_id": str(run.pk),
                "repository": {"id": str(run.repository_id), "name": run.repository.name, "full_name": repo.full_name},
                "pull_request": check.pull_request_number,
                "head_sha": check.head_sha,
                "health_score": run.health_score,
                "failed_conditions": gate["failed_conditions"],
            }
            transaction.on_commit(lambda: _emit_gate_failed(repo, run, data), robust=True)

    summary = _summary_markdown(check, run, counts)
    if gate["enabled"]:
        title = "Quality gate passed" if gate["passed"] else f"Quality gate failed ({len(gate['failed_conditions'])} conditions)"
    else:
        title = f"Health {run.health_score:.1f} ({run.grade}), {len(new)} new findings"
    annotations: list[dict[str, Any]] = []
    try:
        with installation_client(repo.installation) as gh:
            files = gh.paginate(f"/repos/{repo.full_name}/pulls/{check.pull_request_number}/files")
        annotations = _annotations(new, changed_lines(files))
    except (GithubError, ServiceUnavailable) as exc:
        logger.warning("Could not read the files of %s#%s: %s", repo.full_name, check.pull_request_number, exc)
    _report_check_run(repo, check, {"title": title, "summary": summary}, annotations)
    _upsert_comment(repo, check, run, counts, summary)
    return check


def _emit_gate_failed(repo: GithubRepository, run: AnalysisRun, data: dict[str, Any]) -> None:
    try:
        from webhooks.services import webhook_emit

        webhook_emit(organization=run.organization, event_type="quality_gate.failed", data=data, repository=run.repository)
    except Exception:  # noqa: BLE001 - customer webhooks are best effort from the check's point of view
        logger.exception("Could not emit quality_gate.failed for %s", run.pk)


def _report_check_run(
    repo: GithubRepository, check: GithubPullRequestCheck, output: dict[str, str], annotations: list[dict[str, Any]]
) -> None:
    batches = [annotations[i : i + ANNOTATIONS_PER_REQUEST] for i in range(0, len(annotations), ANNOTATIONS_PER_REQUEST)] or [[]]
    try:
        with installation_client(repo.installation) as gh:
            if check.check_run_id is None:
                created = gh.post(
                    f"/repos/{repo.full_name}/check-runs",
                    json={
                        "name": settings.GITHUB_CHECK_NAME,
                        "head_sha": check.head_sha,
                        "status": "in_progress",
                        "external_id": str(check.pk),
                    },
                )
                check.check_run_id = created["id"]
                GithubPullRequestCheck.objects.filter(pk=check.pk).update(check_run_id=created["id"])
            path = f"/repos/{repo.full_name}/check-runs/{check.check_run_id}"
            # GitHub appends the annotations of each update: all but the last batch first, then
            # the completion with the last one.
            for batch in batches[:-1]:
                gh.patch(path, json={"output": {**output, "annotations": batch}})
            gh.patch(
                path,
                json={
                    "status": "completed",
                    "conclusion": check.conclusion or "neutral",
                    "completed_at": timezone.now().isoformat(),
                    "output": {**output, "annotations": batches[-1]},
                },
            )
    except (GithubError, ServiceUnavailable) as exc:
        logger.warning("Could not complete the check run of %s#%s: %s", repo.full_name, check.pull_request_number, exc)
        GithubPullRequestCheck.objects.filter(pk=check.pk).update(error=f"check run: {exc}"[:2000])


def _upsert_comment(
    repo: GithubRepository, check: GithubPullRequestCheck, run: AnalysisRun, counts: dict[str, int], summary: str
) -> None:
    verdict = {"success": "✅ passed", "failure": "❌ failed"}.get(check.conclusion, "not enforced")
    body = "\n".join(
        [
            COMMENT_MARKER,
            f"### Repotoire — quality gate {verdict}",
            "",
            f"Commit `{check.head_sha[:12]}`",
            "",
            summary,
        ]
    )
    try:
        with installation_client(repo.installation) as gh:
            comments = gh.paginate(f"/repos/{repo.full_name}/issues/{check.pull_request_number}/comments")
            mine = next((c for c in comments if COMMENT_MARKER in (c.get("body") or "")), None)
            if mine is not None:
                gh.patch(f"/repos/{repo.full_name}/issues/comments/{mine['id']}", json={"body": body})
            else:
                gh.post(f"/repos/{repo.full_name}/issues/{check.pull_request_number}/comments", json={"body": body})
    except (GithubError, ServiceUnavailable) as exc:
        logger.warning("Could not update the comment on %s#%s: %s", repo.full_name, check.pull_request_number, exc)
        GithubPullRequestCheck.objects.filter(pk=check.pk).update(error=f"comment: {exc}"[:2000])


# --- opening pull requests (fix proposals) ------------------------------------------------------------
def _link_for(repository: Repository) -> GithubRepository:
    link = (
        GithubRepository.objects.enabled()
        .filter(repository=repository, organization_id=repository.organization_id)
        .select_related("installation")
        .first()
    )
    if link is None:
        raise NotFound("This repository is not connected through the GitHub App")
    if not link.installation.is_active:
        raise Conflict("The GitHub installation of this repository is suspended or removed")
    return link


def _apply_patch(gh: GithubClient, full_name: str, base_sha: str, patch: str) -> dict[str, str | None]:
    """New contents of the files a unified diff touches, applied with ``git apply`` to the base
    versions fetched from GitHub (None = file deleted)."""
    paths: set[str] = set()
    for line in patch.splitlines():
        for prefix in ("--- a/", "+++ b/"):
            if line.startswith(prefix):
                paths.add(line[len(prefix) :].strip())
    with tempfile.TemporaryDirectory(prefix="repotoire-pr-") as tmp:
        root = Path(tmp)
        for path in paths:
            if ".." in Path(path).parts or Path(path).is_absolute():
                raise ValidationFailed(f"The patch touches an unsafe path: {path}")
            try:
                data = gh.get(f"/repos/{full_name}/contents/{quote(path)}", params={"ref": base_sha})
            except GithubError as exc:
                if exc.status == 404:
                    continue
                raise
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(b64decode(data.get("content") or ""))
        result = subprocess.run(  # noqa: S603 - fixed argv, patch on stdin
            ["git", "apply", "--whitespace=nowarn", "-"], cwd=root, input=patch.encode(), capture_output=True, timeout=60
        )
        if result.returncode != 0:
            raise Conflict("The patch does not apply to the base branch: " + result.stderr.decode(errors="replace")[:500])
        return {path: (root / path).read_text() if (root / path).exists() else None for path in paths}


def github_open_pull_request(
    *,
    repository: Repository,
    branch: str,
    base: str,
    title: str,
    body: str,
    files: dict[str, str | None] | None = None,
    patch: str | None = None,
    commit_message: str,
) -> dict[str, Any]:
    """Commit ``files`` ({path: new content, None to delete}) or a unified ``patch`` on top of
    ``base`` as a new ``branch`` (git data API: blobs, tree, commit, ref) and open a pull request.

    Returns ``{"branch", "commit_sha", "pull_request_url", "pull_request_number"}``. A branch that
    already exists is moved to the new commit; a pull request already open for it is reused.
    Raises NotFound (not a GitHub App repository), Conflict (patch does not apply, installation
    suspended) or ServiceUnavailable (GitHub unreachable or refusing). The fixes app calls this:
    keep the signature stable.
    """
    if (files is None) == (patch is None):
        raise ValidationFailed("Give either files or patch")
    link = _link_for(repository)
    name = link.full_name
    try:
        with installation_client(link.installation) as gh:
            ref = gh.get(f"/repos/{name}/git/ref/heads/{quote(base, safe='/')}")
            base_sha = ref["object"]["sha"]
            base_tree = gh.get(f"/repos/{name}/git/commits/{base_sha}")["tree"]["sha"]
            contents = files if files is not None else _apply_patch(gh, name, base_sha, patch or "")
            tree = []
            for path, content in sorted(contents.items()):
                if content is None:
                    tree.append({"path": path, "mode": "100644", "type": "blob", "sha": None})
                    continue
                blob = gh.post(f"/repos/{name}/git/blobs", json={"content": content, "encoding": "utf-8"})
                tree.append({"path": path, "mode": "100644", "type": "blob", "sha": blob["sha"]})
            new_tree = gh.post(f"/repos/{name}/git/trees", json={"base_tree": base_tree, "tree": tree})
            commit = gh.post(
                f"/repos/{name}/git/commits", json={"message": commit_message, "tree": new_tree["sha"], "parents": [base_sha]}
            )
            try:
                gh.post(f"/repos/{name}/git/refs", json={"ref": f"refs/heads/{branch}", "sha": commit["sha"]})
            except GithubError as exc:
                if exc.status != 422:
                    raise
                gh.patch(f"/repos/{name}/git/refs/heads/{quote(branch, safe='/')}", json={"sha": commit["sha"], "force": True})
            try:
                pr = gh.post(f"/repos/{name}/pulls", json={"title": title, "head": branch, "base": base, "body": body})
            except GithubError as exc:
                if exc.status != 422:
                    raise
                open_prs = gh.get(f"/repos/{name}/pulls", params={"head": f"{link.owner}:{branch}", "state": "open"})
                if not open_prs:
                    raise
                pr = open_prs[0]
    except GithubError as exc:
        raise ServiceUnavailable(f"GitHub refused to open the pull request: {exc}") from exc
    return {
        "branch": branch,
        "commit_sha": commit["sha"],
        "pull_request_url": pr.get("html_url") or pr.get("url"),
        "pull_request_number": pr.get("number"),
    }
