"""What other apps provide to analysis runs, registered from their ``AppConfig.ready()``.

``analysis`` sits below ``findings`` and ``github_app`` in the app order (they import its models
and services), so it never imports them. They plug in here instead: the GitHub App provides
clone credentials for the repositories it serves, and the findings app stores a completed
run's findings and says which of them count for the score.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from analysis.engine.model import Finding
from analysis.models import Repository

# A provider, called as ``provider(repository=...)``, returns the HTTP headers git needs to fetch
# that repository, or [] when it does not serve it.
CloneCredentials = Callable[..., list[str]]

_clone_credentials: list[CloneCredentials] = []


def clone_credentials_register(provider: CloneCredentials) -> None:
    """Add a provider of clone credentials (registering the same one twice is harmless)."""
    if provider not in _clone_credentials:
        _clone_credentials.append(provider)


def clone_credentials(repository: Repository) -> list[str]:
    """The headers of the first provider that serves ``repository`` ([] when none does: public
    repositories still clone)."""
    for provider in _clone_credentials:
        headers = provider(repository=repository)
        if headers:
            return headers
    return []


@dataclass(frozen=True)
class FindingsStore:
    """How a completed run's findings are stored (inside the run's completing transaction):
    ``record_run(run=, result=)`` returns a summary of what changed, and
    ``effective_for_score(repository=, findings=)`` the findings that still count for the score;
    ``report_states(repository_id=, run_id=)`` each fingerprint's triage status and the
    fingerprints the run found first, for its report."""

    record_run: Callable[..., dict[str, Any]]
    effective_for_score: Callable[..., list[Finding]]
    report_states: Callable[..., tuple[dict[str, str], frozenset[str]]]


_findings_store: list[FindingsStore] = []


def findings_store_register(store: FindingsStore) -> None:
    _findings_store[:] = [store]


def findings_store() -> FindingsStore:
    """The registered store; without one a run must fail rather than complete with no findings."""
    if not _findings_store:
        raise ImproperlyConfigured("No findings store is registered: is the findings app installed?")
    return _findings_store[0]


@dataclass(frozen=True)
class HistoryStore:
    """Where the git history of a repository's analyses is kept (the ``history`` app):
    ``window(repository=)`` the horizon as ``(months, max_commits)`` to fetch and mine;
    ``known(repository=)`` the commits stored by earlier runs, newest first (only newer ones are
    mined); ``identity(repository=)`` the function pseudonymising author e-mails;
    ``record_run(run=, result=)`` stores a completed run's commits and metrics (inside the run's
    completing transaction)."""

    window: Callable[..., tuple[int, int]]
    known: Callable[..., list[Any]]
    identity: Callable[..., Callable[[str], str] | None]
    record_run: Callable[..., None]


_history_store: list[HistoryStore] = []


def history_store_register(store: HistoryStore) -> None:
    _history_store[:] = [store]


def history_store() -> HistoryStore | None:
    """The registered store, or None: the engine still mines the clone, nothing is kept."""
    return _history_store[0] if _history_store else None
