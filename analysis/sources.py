"""Clone URLs: what an API caller may register, how it is shown back, and how a run fetches it.

Remote URLs are ``https://``, ``ssh://`` or scp-style (``git@host:org/repo.git``). Local
directories (``file://`` or an absolute path) are accepted only when
``REPOTOIRE_ALLOW_LOCAL_REPOS`` is on, only under one of ``REPOTOIRE_LOCAL_REPO_ROOTS`` (which
must then be set) and never inside ``REPOTOIRE_WORKSPACE_DIR`` (where every organisation's
clones live), so an API caller can never make the server read an arbitrary path or another
organisation's checkout. The check runs when the URL is saved and again before every use (a
symlink or the settings may have changed since).

A remote's host must be public (the customer-webhook guard, ``webhooks/netguard.py``): a numeric
host in any spelling is judged when the URL is saved; before every fetch the host is resolved,
refused unless every address is public, and git is pinned to the vetted address
(``http.curloptResolve``; ``ssh -o HostName``) with redirects off, so DNS rebinding cannot move
the fetch to an internal address. Every failure of a remote fetch reads the same to the caller
(refused, unresolvable, closed, filtered, not a git server, no access): the server is no port
scanner; the cause goes to the log. ``REPOTOIRE_CLONE_ALLOW_PRIVATE_TARGETS`` lets development
and tests clone from servers on private addresses; production ignores it.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings

from analysis.engine import source
from analysis.models import Provider
from webhooks.netguard import UnsafeTarget, is_public_address, literal_address, public_addresses

logger = logging.getLogger("repotoire.analysis")

_SCP = re.compile(r"^(?P<user>[A-Za-z0-9._-]+)@(?P<host>[A-Za-z0-9.-]+):(?P<path>[A-Za-z0-9._~/-]+)$")
_HOST = re.compile(r"^[A-Za-z0-9.-]+$")
_GITHUB_HOSTS = {"github.com", "www.github.com"}


UNREACHABLE = (
    "The repository could not be fetched: check its URL, that this server may reach it, your access "
    "rights and the branch or commit"
)
_UNSAFE_HOST = "This clone URL's host is not allowed"


class CloneUrlError(ValueError):
    """The URL is not acceptable; the message is safe to show (no credentials)."""


class FetchError(RuntimeError):
    """A fetch failed; the message is safe to show and the same whatever the cause."""


def _allow_private() -> bool:
    return not settings.PRODUCTION and bool(settings.REPOTOIRE_CLONE_ALLOW_PRIVATE_TARGETS)


def _remote_host(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of a stored remote URL (https, ssh or scp-style)."""
    scp = _SCP.match(url)
    if scp:
        return "ssh", scp.group("host").lower(), 22
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port or (443 if scheme == "https" else 22)


def _check_literal_host(host: str) -> None:
    ip = literal_address(host)
    if ip is not None and not is_public_address(ip) and not _allow_private():
        raise CloneUrlError(_UNSAFE_HOST)


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
        _check_literal_host(host)
        return url, Provider.GITHUB if host in _GITHUB_HOSTS else Provider.GIT
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("https", "ssh"):
        raise CloneUrlError("Only https://, ssh:// and scp-style (git@host:path) URLs are accepted")
    host = (parts.hostname or "").lower()
    if not host or not _HOST.match(host) or not parts.path.strip("/"):
        raise CloneUrlError("The URL needs a host and a repository path")
    try:
        _ = parts.port  # urlsplit parses the port lazily
    except ValueError as exc:
        raise CloneUrlError("The URL's port is not valid") from exc
    _check_literal_host(host)
    return url, Provider.GITHUB if host in _GITHUB_HOSTS else Provider.GIT


def _pinned_network(url: str) -> source.FetchNetwork:
    """The fetch's network settings, once the URL's host is vetted (FetchError otherwise)."""
    scheme, host, port = _remote_host(url)
    if scheme not in ("https", "ssh") or not host:
        raise FetchError(UNREACHABLE)
    try:
        literal = literal_address(host)
        if _allow_private():
            address = str(literal) if literal is not None else None
        else:
            address = str(literal) if literal is not None and is_public_address(literal) else None
            if address is None:
                if literal is not None:
                    raise UnsafeTarget(f"{host} is not a public address")
                address = str(public_addresses(host, port)[0])
    except UnsafeTarget as exc:
        logger.warning("Clone fetch refused: %s", exc)
        raise FetchError(UNREACHABLE) from exc
    if scheme == "https":
        config: list[tuple[str, str]] = [("http.followRedirects", "false")]
        if address is not None:
            pinned = f"[{address}]" if ":" in address else address
            config.append(("http.curloptResolve", f"{host}:{port}:{pinned}"))
        return source.FetchNetwork(config=tuple(config), env=(("GIT_ALLOW_PROTOCOL", "https"),))
    ssh = os.environ.get("GIT_SSH_COMMAND") or "ssh"
    if address is not None:
        ssh += f" -o HostName={address} -o HostKeyAlias={host}"
    return source.FetchNetwork(env=(("GIT_ALLOW_PROTOCOL", "ssh"), ("GIT_SSH_COMMAND", ssh + " -o BatchMode=yes")))


def fetch_repository(
    url: str,
    ref: str | None,
    *,
    workspace: Path,
    timeout: float,
    http_headers: Sequence[str] = (),
    history_since: int | None = None,
) -> source.Checkout:
    """``source.fetch`` of a stored clone URL (or a ``file://`` URL of an allowed local
    directory or of our own clone), through the guard above; FetchError with one message."""
    if url.startswith("file://"):
        try:
            return source.fetch(url, ref, workspace=workspace, timeout=timeout, history_since=history_since)
        except source.SourceError as exc:
            raise FetchError(source.redact(str(exc))[:2000]) from exc
    network = _pinned_network(url)
    try:
        return source.fetch(
            url,
            ref,
            workspace=workspace,
            timeout=timeout,
            http_headers=http_headers,
            network=network,
            history_since=history_since,
        )
    except source.SourceError as exc:
        logger.warning("Clone fetch failed: %s", source.redact(str(exc))[:2000])
        raise FetchError(UNREACHABLE) from exc


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
