"""Clone URLs: what an API caller may register, how it is shown back, and how a run fetches it.

Remote URLs are ``https://``, ``ssh://`` or scp-style (``git@host:org/repo.git``). Local
directories (``file://`` or an absolute path) are accepted only when
``REPOTOIRE_ALLOW_LOCAL_REPOS`` is on, only under one of ``REPOTOIRE_LOCAL_REPO_ROOTS`` (which
must then be set) and never inside ``REPOTOIRE_WORKSPACE_DIR`` (where every organisation's
clones live), so an API caller can never make the server read an arbitrary path or another
organisation's checkout. The check runs when the URL is saved and again before every use (a
symlink or the settings may have changed since).
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings

from analysis.models import Provider

_SCP = re.compile(r"^(?P<user>[A-Za-z0-9._-]+)@(?P<host>[A-Za-z0-9.-]+):(?P<path>[A-Za-z0-9._~/-]+)$")
_HOST = re.compile(r"^[A-Za-z0-9.-]+$")
_GITHUB_HOSTS = {"github.com", "www.github.com"}


class CloneUrlError(ValueError):
    """The URL is not acceptable; the message is safe to show (no credentials)."""


def _within(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def local_repository_path(raw: str) -> Path:
    """The resolved directory of a local repository, or CloneUrlError when it may not be read."""
    if not settings.REPOTOIRE_ALLOW_LOCAL_REPOS:
        raise CloneUrlError("Local repositories are disabled on this server; use an https:// or ssh:// URL")
    roots = [Path(r).resolve() for r in settings.REPOTOIRE_LOCAL_REPO_ROOTS if r.strip()]
    if not roots:
        raise CloneUrlError("Local repositories need REPOTOIRE_LOCAL_REPO_ROOTS on this server")
    text = raw[len("file://") :] if raw.startswith("file://") else raw
    path = Path(text)
    if not path.is_absolute():
        raise CloneUrlError("A local repository must be an absolute path")
    path = path.resolve()
    workspace = Path(settings.REPOTOIRE_WORKSPACE_DIR).resolve()
    if _within(path, workspace) or _within(workspace, path) or not any(_within(path, root) for root in roots):
        raise CloneUrlError("This local path is outside the directories allowed for local repositories")
    if not path.is_dir():
        raise CloneUrlError("This local path is not a directory")
    return path


def normalize_clone_url(raw: str) -> tuple[str, str]:
    """(URL to store, provider) for a clone URL, or CloneUrlError."""
    url = raw.strip()
    if not url or any(ch in url for ch in "\r\n\t\0 ") or url.startswith("-"):
        raise CloneUrlError("Enter a git URL (https://, ssh:// or git@host:path)")
    if url.startswith(("file://", "/")):
        return str(local_repository_path(url)), Provider.LOCAL
    scp = _SCP.match(url)
    if scp:
        host = scp.group("host").lower()
        return url, Provider.GITHUB if host in _GITHUB_HOSTS else Provider.GIT
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("https", "ssh"):
        raise CloneUrlError("Only https://, ssh:// and scp-style (git@host:path) URLs are accepted")
    host = (parts.hostname or "").lower()
    if not host or not _HOST.match(host) or not parts.path.strip("/"):
        raise CloneUrlError("The URL needs a host and a repository path")
    return url, Provider.GITHUB if host in _GITHUB_HOSTS else Provider.GIT


def redact_clone_url(url: str) -> str:
    """The URL without secrets: ``https://user:token@host/x`` → ``https://***@host/x``; the
    conventional ssh user (``git@``) stays, a password never does."""
    if "://" not in url:
        return url
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    userinfo, _, hostport = parts.netloc.rpartition("@")
    if parts.scheme.lower() == "ssh" and ":" not in userinfo:
        return url
    return urlunsplit((parts.scheme, f"***@{hostport}", parts.path, parts.query, parts.fragment))
