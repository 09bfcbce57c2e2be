"""Where the code to analyse comes from: a local directory, or a git repository fetched into a
workspace cache with the git command line.

A remote is fetched shallowly (``git fetch --depth 1`` of one branch, tag or commit) into
``<workspace>/<hash of the URL>/<repository name>``; a later analysis of the same URL reuses that clone and only
fetches the new ref. Credentials embedded in a URL are passed to git but never appear in
exceptions or logs (``redact``). Short-lived credentials (a GitHub installation token) go in an
HTTP header instead (``fetch(..., http_headers=[...])``): passed to the one ``git fetch`` through
the environment (``GIT_CONFIG_*``, not the command line, not ``.git/config``), so the URL — and
with it the cached clone — stays the same from one token to the next.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

DEFAULT_TIMEOUT = 300.0
_GIT_MESSAGE_CHARS = 1500
_REMOTE = re.compile(r"^(?:https?|ssh|git|file)://|^[\w.-]+@[\w.-]+:")
_CREDENTIALS = re.compile(r"(://)[^/@\s]+@")
_SHA = re.compile(r"^[0-9a-f]{40}$")


class SourceError(RuntimeError):
    """The source could not be found or fetched (message safe to show: no credentials)."""


@dataclass(frozen=True)
class FetchNetwork:
    """How the one network command of a fetch may reach its remote: git configuration
    (``http.curloptResolve`` pinning the vetted address, ``http.followRedirects``) and
    environment (``GIT_SSH_COMMAND``, ``GIT_ALLOW_PROTOCOL``), decided by the caller."""

    config: tuple[tuple[str, str], ...] = ()
    env: tuple[tuple[str, str], ...] = ()


@dataclass
class Checkout:
    path: str  # directory to analyse
    commit: str | None  # HEAD commit sha when the directory is a git work tree
    url: str | None = None  # redacted remote URL, when fetched


def redact(text: str) -> str:
    """``https://user:token@host/x`` -> ``https://***@host/x``."""
    return _CREDENTIALS.sub(r"\1***@", text)


def is_remote(source: str) -> bool:
    return bool(_REMOTE.match(source))


def default_workspace() -> Path:
    return Path(os.environ.get("REPOTOIRE_WORKSPACE") or Path(tempfile.gettempdir()) / "repotoire-workspace")


def _git(
    args: list[str],
    cwd: Path | None,
    timeout: float,
    *,
    http_headers: Sequence[str] = (),
    network: FetchNetwork | None = None,
) -> str:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true", "LC_ALL": "C"}
    config = [("http.extraHeader", header) for header in http_headers]
    if network is not None:
        config.extend(network.config)
        env.update(network.env)
    if config:
        # git >= 2.31 reads configuration from the environment: nothing on the command line
        # (visible in `ps`) and nothing written to the clone's config.
        env["GIT_CONFIG_COUNT"] = str(len(config))
        for i, (key, value) in enumerate(config):
            env[f"GIT_CONFIG_KEY_{i}"] = key
            env[f"GIT_CONFIG_VALUE_{i}"] = value
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise SourceError(f"git {redact(args[0])} timed out after {timeout:.0f}s") from exc
    except FileNotFoundError as exc:
        raise SourceError("git is not installed") from exc
    if proc.returncode != 0:
        # git's whole message: its last line alone ("...and the repository exists.") hides the
        # cause that an SSH or HTTP failure prints first
        detail = redact(proc.stderr.strip()[-_GIT_MESSAGE_CHARS:])
        raise SourceError(f"git {args[0]} failed: {detail}" if detail else f"git {args[0]} failed (exit {proc.returncode})")
    return proc.stdout.strip()


def head_commit(path: str | Path, timeout: float = 30.0) -> str | None:
    """HEAD of the git work tree at ``path``, or None when it is not one."""
    p = Path(path)
    if not (p / ".git").exists():
        return None
    try:
        return _git(["rev-parse", "HEAD"], p, timeout)
    except SourceError:
        return None


def repository_dir_name(url: str) -> str:
    """The repository's name from its URL (``https://host/acme/api.git`` -> ``api``)."""
    tail = re.split(r"[/:]", url.rstrip("/"))[-1]
    if tail.endswith(".git"):
        tail = tail[: -len(".git")]
    return re.sub(r"[^A-Za-z0-9_.-]", "_", tail).strip(".") or "repository"


def clone_dir(url: str, workspace: str | Path | None = None) -> Path:
    """Where ``fetch`` keeps its clone of ``url``: ``<workspace>/<hash of the URL>/<repository name>``.
    The work tree carries the repository's name, not the hash, because a repository whose root is
    itself a package (an ``__init__.py`` at the top) takes its package name from that directory."""
    base = Path(workspace) if workspace else default_workspace()
    return base / hashlib.sha256(url.encode()).hexdigest()[:24] / repository_dir_name(url)


def fetch(
    url: str,
    ref: str | None = None,
    *,
    workspace: str | Path | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    http_headers: Sequence[str] = (),
    network: FetchNetwork | None = None,
    history_since: int | None = None,
) -> Checkout:
    """Shallow-fetch ``ref`` (branch, tag or commit sha; the remote HEAD when None) of ``url``
    into the workspace cache and check it out, reusing an earlier clone of the same URL.
    ``http_headers`` (``"Authorization: Basic …"``) and ``network`` apply to the fetch only.
    ``history_since`` (unix seconds): keep the history back to then (``--shallow-since``, for
    the git-history metrics; a reused clone only receives the new commits), else one commit."""
    target = clone_dir(url, workspace)
    if (target.parent / ".git").is_dir():
        shutil.rmtree(target.parent)  # a clone of the earlier layout (the work tree was the hash directory)
    if not (target / ".git").is_dir():
        target.mkdir(parents=True, exist_ok=True)
        _git(["init", "--quiet"], target, timeout)
        _git(["remote", "add", "origin", url], target, timeout)
    else:
        try:
            _git(["remote", "set-url", "origin", url], target, timeout)
        except SourceError:
            # A worker killed between ``init`` and ``remote add`` left a clone without a remote.
            _git(["remote", "add", "origin", url], target, timeout)
    want = ref or "HEAD"
    try:
        deepened = history_since is not None and _fetch_since(target, want, history_since, timeout, http_headers, network)
        if not deepened:
            _git(
                ["fetch", "--quiet", "--depth", "1", "--no-tags", "origin", want],
                target,
                timeout,
                http_headers=http_headers,
                network=network,
            )
    except SourceError:
        if ref and _SHA.match(ref):
            # servers that refuse fetching a bare sha may still have it on a branch: fetch all
            _git(["fetch", "--quiet", "--no-tags", "origin"], target, timeout, http_headers=http_headers, network=network)
            want = ref
        else:
            raise
    else:
        want = "FETCH_HEAD"
    _git(["checkout", "--quiet", "--force", "--detach", want], target, timeout)
    _git(["clean", "-qfdx"], target, timeout)
    return Checkout(path=str(target), commit=_git(["rev-parse", "HEAD"], target, timeout), url=redact(url))


def _fetch_since(
    target: Path, want: str, since: int, timeout: float, http_headers: Sequence[str], network: FetchNetwork | None
) -> bool:
    """``git fetch --shallow-since``; False when git refuses (no commit of ``want`` that recent,
    or a server without the capability): the caller fetches one commit instead."""
    try:
        _git(
            ["fetch", "--quiet", f"--shallow-since=@{int(since)}", "--no-tags", "origin", want],
            target,
            timeout,
            http_headers=http_headers,
            network=network,
        )
    except SourceError:
        return False
    return True


def resolve(
    source: str | os.PathLike[str],
    ref: str | None = None,
    *,
    workspace: str | Path | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> Checkout:
    """A local directory as is (its HEAD commit when it is a git work tree), or a fetched remote."""
    text = os.fspath(source)
    if is_remote(text):
        return fetch(text, ref, workspace=workspace, timeout=timeout)
    path = Path(text).expanduser()
    if not path.is_dir():
        raise SourceError(f"{redact(text)} is not a directory")
    if ref:
        raise SourceError("a ref can only be given with a git URL")
    return Checkout(path=str(path.resolve()), commit=head_commit(path))
