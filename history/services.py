"""Writes of the history app: the providers the analysis worker calls (window, known commits,
author identity, recording a completed run) and the settings."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from django.db import transaction

from accounts.models import Organization
from analysis.engine.facts import AnalysisResult
from analysis.engine.history.metrics import Coupling, HistoryOptions, HistoryReport
from analysis.engine.history.mining import CommitFacts
from analysis.models import AnalysisRun, Repository
from history.models import HistoryCommit, HistorySnapshot, IdentityMode, OrganizationHistorySettings, RepositoryHistory
from repotoire.api.exceptions import ValidationFailed

MAX_STORED_COUPLINGS = 1000
TOP_AUTHORS = 10


def _org_settings(organization: Organization) -> OrganizationHistorySettings:
    settings, _ = OrganizationHistorySettings.objects.get_or_create(organization=organization)
    return settings


def _mode(organization: Organization) -> str:
    return IdentityMode.EMAIL if _org_settings(organization).show_author_emails else IdentityMode.HASHED


def history_window(*, repository: Repository) -> tuple[int, int]:
    """``(months, max_commits)`` of the repository's history (defaults without a row)."""
    row = RepositoryHistory.objects.filter(repository=repository).first()
    if row is None:
        defaults = HistoryOptions()
        return defaults.months, defaults.max_commits
    return row.months, row.max_commits


def history_identity(*, repository: Repository) -> Callable[[str], str]:
    """Author e-mail -> stored key: a salted SHA-256 per organisation, or the address itself
    when the organisation opted in."""
    settings = _org_settings(repository.organization)
    if settings.show_author_emails:
        return lambda email: email
    salt = settings.salt.encode()
    return lambda email: hashlib.sha256(salt + email.encode("utf-8", "surrogateescape")).hexdigest()[:32]


def history_known(*, repository: Repository) -> list[CommitFacts]:
    """Commits stored by earlier runs, newest first; none when they were stored under another
    identity mode (the organisation changed its setting: the next run mines cold)."""
    state = RepositoryHistory.objects.filter(repository=repository).first()
    if state is None or state.identity != _mode(repository.organization) or not state.head_sha:
        return []
    rows = HistoryCommit.objects.filter(repository=repository).order_by("-ordinal")
    commits = [
        CommitFacts.from_dict(
            {
                "sha": sha,
                "author": name,
                "email": key,
                "timestamp": ts,
                "ignored": ignored,
                "changes": changes,
            }
        )
        for sha, name, key, ts, ignored, changes in rows.values_list(
            "sha", "author_name", "author_key", "timestamp", "ignored", "changes"
        ).iterator(chunk_size=2000)
    ]
    # the stored head first: the engine mines what is not reachable from it
    if commits and commits[0].sha != state.head_sha:
        return []
    return commits


def history_settings_update(
    *, repository: Repository, months: int | None = None, max_commits: int | None = None
) -> RepositoryHistory:
    """Change the repository's history window (1–240 months, at least one commit)."""
    if months is not None and not 1 <= months <= 240:
        raise ValidationFailed("months: between 1 and 240", fields={"months": ["Out of range"]})
    if max_commits is not None and not 1 <= max_commits <= 1_000_000:
        raise ValidationFailed("max_commits: between 1 and 1000000", fields={"max_commits": ["Out of range"]})
    with transaction.atomic():
        state, _ = RepositoryHistory.objects.select_for_update().get_or_create(
            repository=repository, defaults={"organization": repository.organization}
        )
        if months is not None:
            state.months = months
        if max_commits is not None:
            state.max_commits = max_commits
        state.save()
    return state


def history_privacy(*, organization: Organization) -> OrganizationHistorySettings:
    """The organisation's setting (created with its salt on first use)."""
    return _org_settings(organization)


def history_privacy_update(*, organization: Organization, show_author_emails: bool) -> OrganizationHistorySettings:
    """Opt in (or out) of storing author e-mail addresses. Stored keys of the other mode are
    dropped by each repository's next analysis (it mines cold)."""
    with transaction.atomic():
        settings = _org_settings(organization)
        settings.show_author_emails = show_author_emails
        settings.save(update_fields=["show_author_emails"])
    return settings


def history_record_run(*, run: AnalysisRun, result: AnalysisResult) -> None:
    """Store a completed run's mined commits (only those not stored yet; those that fell out of
    the window are deleted) and its snapshot of the history metrics. Called inside the run's
    completing transaction."""
    report = result.history
    if report is None:
        return
    repository = run.repository
    mode = _mode(repository.organization)
    state, _ = RepositoryHistory.objects.select_for_update().get_or_create(
        repository=repository, defaults={"organization": repository.organization, "identity": mode}
    )
    stored = HistoryCommit.objects.filter(repository=repository)
    if state.identity != mode:
        stored.delete()
        state.identity = mode
    window = {c.sha for c in result.history_commits}
    existing = dict(stored.values_list("sha", "id"))
    gone = [pk for sha, pk in existing.items() if sha not in window]
    if gone:
        HistoryCommit.objects.filter(pk__in=gone).delete()
    top = stored.order_by("-ordinal").values_list("ordinal", flat=True).first() or 0
    new = [c for c in result.history_commits if c.sha not in existing]
    HistoryCommit.objects.bulk_create(
        [
            HistoryCommit(
                repository=repository,
                organization=repository.organization,
                sha=c.sha,
                ordinal=top + len(new) - i,
                author_name=c.author[:255],
                author_key=c.email[:320],
                timestamp=c.timestamp,
                ignored=c.ignored,
                changes=c.to_dict()["changes"],
            )
            for i, c in enumerate(new)
        ],
        batch_size=1000,
    )
    state.head_sha = result.history_commits[0].sha if result.history_commits else ""
    state.commits_stored = len(window)
    state.save()
    HistorySnapshot.objects.update_or_create(
        run=run,
        defaults={"repository": repository, "organization": repository.organization, **snapshot_lists(report)},
    )


def snapshot_lists(report: HistoryReport) -> dict[str, Any]:
    """The lists a snapshot keeps (authors by display name and stored key)."""
    names = {k: a.name for k, a in report.authors.items()}
    hotspots = []
    for h in report.hotspots:
        fh = report.files[h.path]
        hotspots.append(
            {
                "path": h.path,
                "rank": h.rank,
                "score": h.score,
                "revisions": h.revisions,
                "complexity": h.complexity,
                "churn": h.churn,
                "added": fh.added,
                "removed": fh.removed,
                "authors": fh.authors,
                "main_author": names.get(fh.main_author, ""),
                "main_author_share": fh.main_author_share,
                "last_changed": fh.last_changed,
                "age_days": fh.age_days,
            }
        )
    couplings = [_coupling(c) for c in report.couplings[:MAX_STORED_COUPLINGS]]
    module_couplings = [_coupling(c) for c in report.module_couplings[:MAX_STORED_COUPLINGS]]
    modules = []
    for m in report.modules:
        total = sum(m.knowledge.values()) or 1
        authors = sorted(m.knowledge.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_AUTHORS]
        modules.append(
            {
                "module": m.module,
                "files": m.files,
                "bus_factor": m.bus_factor,
                "main_author": names.get(m.main_author, ""),
                "main_author_share": m.main_author_share,
                "at_risk_files": m.at_risk_files,
                "authors": [{"name": names.get(k, ""), "key": k, "share": round(v / total, 4), "lines": v} for k, v in authors],
            }
        )
    functions = [
        {
            "path": f.path,
            "qualname": f.qualname,
            "line": f.line,
            "revisions": f.revisions,
            "complexity": f.complexity,
            "score": f.score,
        }
        for f in report.functions
    ]
    summary = {
        "commits": report.commits,
        "ignored_commits": report.ignored_commits,
        "first_commit": report.first_commit,
        "last_commit": report.last_commit,
        "authors": len(report.authors),
        "files": len(report.files),
        "at_risk_files": len(report.at_risk),
        "hidden_couplings": sum(1 for c in report.couplings if c.hidden),
    }
    return {
        "summary": summary,
        "hotspots": hotspots,
        "couplings": couplings,
        "module_couplings": module_couplings,
        "modules": modules,
        "functions": functions,
    }


def _coupling(c: Coupling) -> dict[str, Any]:
    return {
        "a": c.a,
        "b": c.b,
        "shared": c.shared,
        "weighted_shared": c.weighted_shared,
        "confidence": c.confidence,
        "confidence_ab": c.confidence_ab,
        "confidence_ba": c.confidence_ba,
        "hidden": c.hidden,
    }
