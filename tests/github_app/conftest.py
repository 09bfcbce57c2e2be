"""Fixtures of the GitHub App tests: a GitHub stand-in on 127.0.0.1 (real app-JWT checks,
installation tokens), webhook deliveries signed exactly as GitHub signs them, and payloads shaped
like GitHub's documented ones."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.github_app.github_stub import FakeGithub, FakeRepo

WEBHOOK_SECRET = "gh-webhook-secret-for-tests"
APP_ID = "424242"
INSTALLATION_ID = 9001
REPO_GITHUB_ID = 555001


@pytest.fixture(scope="session")
def app_keys() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


@pytest.fixture
def github(app_keys, settings, tmp_path: Path):
    private, public = app_keys
    fake = FakeGithub(app_id=APP_ID, public_key=public)
    with fake.server:
        settings.GITHUB_APP_ID = APP_ID
        settings.GITHUB_APP_PRIVATE_KEY = private
        settings.GITHUB_WEBHOOK_SECRET = WEBHOOK_SECRET
        settings.GITHUB_API_URL = fake.server.url
        settings.GITHUB_RATE_LIMIT_MAX_WAIT_SECONDS = 0.01
        settings.REPOTOIRE_WORKSPACE_DIR = tmp_path / "workspaces"
        settings.REPOTOIRE_ALLOW_LOCAL_REPOS = True
        settings.REPOTOIRE_LOCAL_REPO_ROOTS = [str(tmp_path)]
        settings.REPOTOIRE_ANALYSIS_PROCESSES = 1
        settings.REPOTOIRE_POST_ANALYSIS_HOOKS = {"github": True}
        yield fake


def sign(body: bytes, secret: str = WEBHOOK_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def deliver(
    client: Any, event: str, payload: dict[str, Any], *, delivery: str | None = None, signature: str | None = "sign"
) -> Any:
    """POST a webhook the way GitHub does: raw JSON body, event/delivery headers, HMAC signature."""
    body = json.dumps(payload).encode()
    headers = {"HTTP_X_GITHUB_EVENT": event, "HTTP_X_GITHUB_DELIVERY": delivery or str(uuid.uuid4())}
    if signature == "sign":
        headers["HTTP_X_HUB_SIGNATURE_256"] = sign(body)
    elif signature is not None:
        headers["HTTP_X_HUB_SIGNATURE_256"] = signature
    return client.post("/api/v1/github/webhook", data=body, content_type="application/json", **headers)


# --- payloads (shapes from GitHub's webhook documentation) -----------------------------------------
def installation_json(installation_id: int = INSTALLATION_ID) -> dict[str, Any]:
    return {
        "id": installation_id,
        "account": {"login": "acme-gh", "id": 77, "type": "Organization"},
        "repository_selection": "selected",
        "app_id": int(APP_ID),
        "target_type": "Organization",
        "permissions": {"checks": "write", "contents": "write", "pull_requests": "write", "metadata": "read"},
        "events": ["push", "pull_request", "check_run"],
    }


def repo_json(github_id: int = REPO_GITHUB_ID, full_name: str = "acme-gh/api", default_branch: str = "main") -> dict[str, Any]:
    return {
        "id": github_id,
        "node_id": "R_x",
        "name": full_name.split("/")[1],
        "full_name": full_name,
        "private": True,
        "default_branch": default_branch,
    }


def installation_event(action: str, *, repos: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    payload = {"action": action, "installation": installation_json(), "sender": {"login": "octocat", "id": 1}}
    if repos is not None:
        payload["repositories"] = [{k: r[k] for k in ("id", "node_id", "name", "full_name", "private")} for r in repos]
    return payload


def push_event(*, ref: str, after: str, before: str = "0" * 40, github_id: int = REPO_GITHUB_ID) -> dict[str, Any]:
    return {
        "ref": ref,
        "before": before,
        "after": after,
        "created": False,
        "deleted": False,
        "forced": False,
        "commits": [],
        "head_commit": {"id": after},
        "repository": repo_json(github_id),
        "pusher": {"name": "octocat"},
        "installation": {"id": INSTALLATION_ID, "node_id": "I_x"},
        "sender": {"login": "octocat", "id": 1},
    }


def pull_request_event(action: str, *, number: int, head_sha: str, base_sha: str, head_ref: str = "feature") -> dict[str, Any]:
    return {
        "action": action,
        "number": number,
        "pull_request": {
            "number": number,
            "state": "open",
            "title": "A change",
            "head": {"ref": head_ref, "sha": head_sha, "repo": repo_json()},
            "base": {"ref": "main", "sha": base_sha, "repo": repo_json()},
        },
        "repository": repo_json(),
        "installation": {"id": INSTALLATION_ID, "node_id": "I_x"},
        "sender": {"login": "octocat", "id": 1},
    }


# --- linked installations ------------------------------------------------------------------------------
def link_installation(org: Any, github: FakeGithub, clone_url: str, *, enable: bool = True) -> Any:
    """An installation of the app linked to ``org`` with one repository (cloned from
    ``clone_url``), through the real services (GitHub answers from the stand-in)."""
    from github_app import services
    from github_app.models import GithubInstallation

    github.add_installation(INSTALLATION_ID)
    github.add_repo(FakeRepo(id=REPO_GITHUB_ID, full_name="acme-gh/api", clone_url=clone_url, installation_id=INSTALLATION_ID))
    installation = GithubInstallation.objects.create(installation_id=INSTALLATION_ID, organization=org, account_login="acme-gh")
    services.github_installation_sync(installation=installation)
    if enable:
        services.github_repos_set_enabled(installation=installation, repo_ids=[REPO_GITHUB_ID], enabled=True)
    return installation


# --- local git repositories as the "remote" -------------------------------------------------------------
from tests.gitrepo import commit_files as commit  # noqa: E402
from tests.gitrepo import git  # noqa: E402

CLEAN_PY = '''"""Helpers without problems."""


def add(a: int, b: int) -> int:
    """Sum of two numbers."""
    return a + b
'''


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    """A git repository standing in for the GitHub remote: ``main`` with clean code."""
    path = tmp_path / "remote"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    commit(path, {"pkg/__init__.py": "", "pkg/helpers.py": CLEAN_PY}, "initial")
    return path
