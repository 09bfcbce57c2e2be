"""Writes for findings: recording an analysis run's findings (identity + lifecycle) and triage."""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID, uuid4

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone
from psycopg.types.json import Jsonb

from analysis.engine.model import Finding as EngineFinding
from analysis.engine.model import compute_fingerprint
from findings.models import (
    ACTIVE_STATUSES,
    SEVERITY_RANK,
    SUPPRESSED_STATUSES,
    TRIAGE_STATUSES,
    Finding,
    FindingOccurrence,
    FindingStatus,
    FindingTriageEvent,
)
from repotoire.api.exceptions import NotFound, ValidationFailed
from webhooks.services import FINDING_NEW, FINDING_RESOLVED, webhook_emit_on_commit

if TYPE_CHECKING:
    from accounts.models import Organization, User
    from analysis.engine.facts import AnalysisResult
    from analysis.models import AnalysisRun, Repository

logger = logging.getLogger(__name__)

# A webhook delivery carries at most this many findings; the rest are a link to the API away.
WEBHOOK_FINDINGS_CAP = 100
MAX_BULK_TRIAGE = 100

# Columns an analysis refreshes on a finding it sees again (identity and triage are kept).
_REFRESHED_FIELDS = (
    "detector",
    "category",
    "severity",
    "severity_rank",
    "hotspot_score",
    "title",
    "message",
    "path",
    "line",
    "column",
    "end_line",
    "end_column",
    "symbol",
    "snippet",
    "cwe",
    "confidence",
    "effort_minutes",
    "metadata",
    "kind",
    "role",
    "taint_path",
    "language",
    "status",
    "reopened_count",
    "reopened_at",
    "triage_expires_at",
    "last_seen_run_id",
    "fixed_in_run_id",
    "is_present",
    "updated_at",
)


def _snippet_hash(snippet: str) -> str:
    return hashlib.sha256(snippet.encode("utf-8")).hexdigest()[:16] if snippet else ""


def _fingerprint_of(f: EngineFinding) -> str:
    return f.fingerprint or compute_fingerprint(f.detector, f.path, f.symbol, f.snippet or f.message)


def _acceptance_expired(status: str, expires_at: datetime | None, now: datetime) -> bool:
    return status == FindingStatus.ACCEPTED and expires_at is not None and expires_at <= now


class _Table:
    """Column order and defaults of a model, for writing plain dict rows with COPY (building
    thousands of model instances costs more than the COPY itself)."""

    def __init__(self, model: type[models.Model], table: str | None = None, only: Sequence[str] | None = None) -> None:
        fields = [f for f in model._meta.concrete_fields if not isinstance(f, models.AutoField)]
        if only is not None:
            fields = [cast(models.Field, model._meta.get_field(name)) for name in only]
        self.table = table or model._meta.db_table
        self.fields = fields
        self.columns = [cast(str, f.column) for f in fields]
        self.attnames = [f.attname for f in fields]
        self.json_attnames = {f.attname for f in fields if isinstance(f, models.JSONField)}
        self.defaults = {f.attname: None if f.primary_key else f.get_default() for f in fields}

    def copy(self, cursor: Any, rows: Iterable[dict[str, Any]]) -> None:
        quote = connection.ops.quote_name
        columns = ", ".join(quote(c) for c in self.columns)
        attnames, json_attnames, defaults = self.attnames, self.json_attnames, self.defaults
        with cursor.copy(f"COPY {quote(self.table)} ({columns}) FROM STDIN") as copy:
            for row in rows:
                values = [row[a] if a in row else defaults[a] for a in attnames]
                for i, a in enumerate(attnames):
                    if a in json_attnames and values[i] is not None:
                        values[i] = Jsonb(values[i])
                copy.write_row(values)


def _engine_values(f: EngineFinding) -> dict[str, Any]:
    severity = str(getattr(f.severity, "value", f.severity)).lower()
    return {
        "detector": f.detector[:100],
        "category": str(getattr(f.category, "value", f.category))[:30],
        "severity": severity,
        "severity_rank": SEVERITY_RANK.get(severity, 0),
        "hotspot_score": float((f.metadata or {}).get("hotspot_score", 0.0) or 0.0),
        "title": f.title[:500],
        "message": f.message,
        "path": f.path[:1000],
        "line": max(f.line, 0),
        "column": max(f.column, 0),
        "end_line": max(f.end_line, 0),
        "end_column": max(f.end_column, 0),
        "symbol": f.symbol[:500],
        "snippet": f.snippet,
        "cwe": (f.cwe or "")[:20],
        "confidence": float(f.confidence),
        "effort_minutes": max(int(f.effort_minutes), 0),
        "metadata": f.metadata or {},
        "kind": f.kind,
        "role": f.role,
        "taint_path": list(f.taint_path or []),
        "language": f.language,
    }


@dataclass
class _Existing:
    id: UUID
    status: str
    triage_expires_at: datetime | None
    reopened_count: int
    reopened_at: datetime | None
    is_present: bool


def _repository_lock(repository_id: UUID) -> None:
    # Two runs of one repository recording at once would both insert the same new fingerprints.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [repository_id.int & ((1 << 63) - 1)])


# Plain strings for the COPY rows (psycopg would dump an Enum member by name).
_OPEN, _FIXED = str(FindingStatus.OPEN), str(FindingStatus.FIXED)
_ANALYSIS = str(FindingTriageEvent.Source.ANALYSIS)


def findings_record_run(*, run: AnalysisRun, result: AnalysisResult, now: datetime | None = None) -> dict[str, Any]:
    """Upsert a completed run's findings into the repository's findings, by fingerprint.

    Seen again → same Finding (triage kept; location, snippet and last_seen_run refreshed).
    New → created with first_seen_run. Open/acknowledged and not seen → ``fixed`` (fixed_in_run).
    Fixed and seen again → reopened. Accepted with an expiry in the past → reopened if seen,
    fixed if not. One ``FindingOccurrence`` per finding per run keeps the run's own lines.
    Rows are written with COPY (a temporary table + one UPDATE for the refreshed ones).

    Returns {new, fixed, reopened, total, by_severity}. Emits ``finding.new`` and
    ``finding.resolved`` customer webhooks (one delivery each, capped list) after commit.
    """
    now = now or timezone.now()
    repository_id = run.repository_id
    incoming: dict[str, EngineFinding] = {}
    for f in result.findings:
        incoming.setdefault(_fingerprint_of(f), f)

    with transaction.atomic():
        _repository_lock(repository_id)
        # A re-recorded run replaces its own occurrences (harmless reruns).
        FindingOccurrence.objects.filter(run_id=run.pk).delete()
        existing: dict[str, _Existing] = {
            fp: _Existing(pk, status, expires, reopened, reopened_at, present)
            for pk, fp, status, expires, reopened, reopened_at, present in Finding.objects.filter(
                repository_id=repository_id
            ).values_list("id", "fingerprint", "status", "triage_expires_at", "reopened_count", "reopened_at", "is_present")
        }

        created: list[dict[str, Any]] = []
        refreshed: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        occurrences: list[dict[str, Any]] = []
        reopened_ids: list[UUID] = []
        by_severity: Counter[str] = Counter()

        def event(finding_id: UUID, old: str, new: str, reason: str) -> None:
            events.append(
                {
                    "organization_id": run.organization_id,
                    "finding_id": finding_id,
                    "source": _ANALYSIS,
                    "run_id": run.pk,
                    "from_status": old,
                    "to_status": new,
                    "reason": reason,
                    "created_at": now,
                }
            )

        for fp, f in incoming.items():
            old = existing.get(fp)
            row = _engine_values(f)
            row.update(last_seen_run_id=run.pk, fixed_in_run_id=None, is_present=True, updated_at=now)
            by_severity[row["severity"]] += 1
            if old is None:
                row.update(
                    id=uuid4(),
                    organization_id=run.organization_id,
                    repository_id=repository_id,
                    fingerprint=fp,
                    status=_OPEN,
                    first_seen_run_id=run.pk,
                    created_at=now,
                )
                created.append(row)
            else:
                row.update(
                    id=old.id,
                    status=old.status,
                    triage_expires_at=old.triage_expires_at,
                    reopened_count=old.reopened_count,
                    reopened_at=old.reopened_at,
                )
                reason = ""
                if old.status == _FIXED:
                    reason = "Detected again after being fixed"
                elif _acceptance_expired(old.status, old.triage_expires_at, now):
                    reason = "Acceptance expired"
                    row["triage_expires_at"] = None
                if reason:
                    row.update(status=_OPEN, reopened_count=old.reopened_count + 1, reopened_at=now)
                    reopened_ids.append(old.id)
                    event(old.id, old.status, _OPEN, reason)
                refreshed.append(row)
            occurrences.append(
                {
                    "run_id": run.pk,
                    "finding_id": row["id"],
                    "line": row["line"],
                    "column": row["column"],
                    "end_line": row["end_line"],
                    "end_column": row["end_column"],
                    "severity": row["severity"],
                    "snippet_hash": _snippet_hash(row["snippet"]),
                }
            )

        fixed_ids: list[UUID] = []
        absent_ids: list[UUID] = []  # triaged away and no longer seen: status kept, not present
        for fp, old in existing.items():
            if fp in incoming:
                continue
            if old.status in ACTIVE_STATUSES or _acceptance_expired(old.status, old.triage_expires_at, now):
                fixed_ids.append(old.id)
                event(old.id, old.status, _FIXED, "No longer detected")
            elif old.is_present:
                absent_ids.append(old.id)

        with connection.cursor() as cursor:
            if created:
                _Table(Finding).copy(cursor, created)
            if refreshed:
                _update_refreshed(cursor, refreshed)
            if fixed_ids:
                Finding.objects.filter(id__in=fixed_ids).update(
                    status=_FIXED, fixed_in_run_id=run.pk, triage_expires_at=None, is_present=False, updated_at=now
                )
            if absent_ids:
                Finding.objects.filter(id__in=absent_ids).update(is_present=False, updated_at=now)
            if occurrences:
                _Table(FindingOccurrence).copy(cursor, occurrences)
            if events:
                _Table(FindingTriageEvent).copy(cursor, events)

        summary = {
            "new": len(created),
            "fixed": len(fixed_ids),
            "reopened": len(reopened_ids),
            "total": len(incoming),
            "by_severity": {s: by_severity.get(s, 0) for s in SEVERITY_RANK},
        }
        if created or fixed_ids:
            counts = {"new": len(created), "fixed": len(fixed_ids), "reopened": len(reopened_ids)}
            _emit_run_webhooks(run=run, counts=counts)
    return summary


def _update_refreshed(cursor: Any, rows: list[dict[str, Any]]) -> None:
    """Refresh seen findings: COPY the new values into a temporary table, then one UPDATE … FROM."""
    quote = connection.ops.quote_name
    table = _Table(Finding, table="findings_refresh_tmp", only=("id", *_REFRESHED_FIELDS))
    columns = ", ".join(quote(c) for c in table.columns)
    cursor.execute("DROP TABLE IF EXISTS findings_refresh_tmp")
    # CREATE TABLE AS keeps the column types but no NOT NULL constraints or indexes.
    cursor.execute(
        f"CREATE TEMPORARY TABLE findings_refresh_tmp ON COMMIT DROP AS SELECT {columns} FROM findings_finding WITH NO DATA"
    )
    table.copy(cursor, rows)
    assignments = ", ".join(f"{quote(c)} = t.{quote(c)}" for c in table.columns[1:])
    cursor.execute(f"UPDATE findings_finding AS f SET {assignments} FROM findings_refresh_tmp AS t WHERE f.id = t.id")
    cursor.execute("DROP TABLE findings_refresh_tmp")


def _finding_brief(f: Finding) -> dict[str, Any]:
    return {
        "id": str(f.id),
        "fingerprint": f.fingerprint,
        "detector": f.detector,
        "category": f.category,
        "severity": f.severity,
        "title": f.title,
        "path": f.path,
        "line": f.line,
        "status": f.status,
    }


def _emit_run_webhooks(*, run: AnalysisRun, counts: dict[str, int]) -> None:
    """One ``finding.new`` and one ``finding.resolved`` delivery per run: a capped list of the
    most severe findings and an API link for the rest (a run may bring thousands), read after
    commit so the run's transaction does not pay for it."""
    base = f"{settings.PUBLIC_BASE_URL}/api/v1/findings"
    batches: tuple[tuple[str, int, models.QuerySet[Finding], str, dict[str, Any]], ...] = (
        (
            FINDING_NEW,
            counts["new"],
            Finding.objects.filter(first_seen_run_id=run.pk),
            f"{base}?repository_id={run.repository_id}&analysis_id={run.pk}&first_seen_in={run.pk}",
            {"reopened_count": counts["reopened"]},
        ),
        (
            FINDING_RESOLVED,
            counts["fixed"],
            Finding.objects.filter(fixed_in_run_id=run.pk),
            f"{base}?repository_id={run.repository_id}&status=fixed&fixed_in={run.pk}",
            {},
        ),
    )
    for event_type, count, queryset, url, extra in batches:
        if count:
            data = partial(_findings_event_data, run, count, queryset, url, extra)
            webhook_emit_on_commit(organization=run.organization, event_type=event_type, data=data, repository=run.repository)


def _findings_event_data(
    run: AnalysisRun, count: int, queryset: models.QuerySet[Finding], url: str, extra: dict[str, Any]
) -> dict[str, Any]:
    top = queryset.order_by("-severity_rank", "-hotspot_score", "path", "line")[:WEBHOOK_FINDINGS_CAP]
    return {
        "analysis_id": str(run.pk),
        "repository": run.repository.brief(),
        "commit_sha": run.commit_sha,
        "count": count,
        "findings": [_finding_brief(f) for f in top],
        "truncated": count > WEBHOOK_FINDINGS_CAP,
        "findings_url": url,
        **extra,
    }


# --- reads other apps need ------------------------------------------------------------------


def findings_suppressed_fingerprints(repository: Repository, *, now: datetime | None = None) -> set[str]:
    """Fingerprints triaged as accepted (and not expired) or false positive in ``repository``:
    they stay listed but must not count against the health score or quality gates."""
    now = now or timezone.now()
    qs = Finding.objects.filter(repository=repository, status__in=SUPPRESSED_STATUSES).exclude(
        status=FindingStatus.ACCEPTED, triage_expires_at__lte=now
    )
    return set(qs.values_list("fingerprint", flat=True))


def findings_effective_for_score(
    *, repository: Repository, findings: Iterable[EngineFinding], now: datetime | None = None
) -> list[EngineFinding]:
    """The engine findings that still count for the score and gates (suppressed ones removed)."""
    suppressed = findings_suppressed_fingerprints(repository, now=now)
    return [f for f in findings if _fingerprint_of(f) not in suppressed]


# --- triage -----------------------------------------------------------------------------------


def _validate_triage(*, findings: Sequence[Finding], status: str, expires_at: datetime | None, now: datetime) -> None:
    if status not in TRIAGE_STATUSES:
        raise ValidationFailed(
            f"Status '{status}' cannot be set by hand",
            fields={
                "status": [
                    f"Choose one of: {', '.join(str(s) for s in TRIAGE_STATUSES)}. Findings become fixed when an analysis no longer sees them."
                ]
            },
        )
    if expires_at is not None:
        if status != FindingStatus.ACCEPTED:
            raise ValidationFailed(
                "Only an accepted finding can expire", fields={"expires_at": ["Only allowed with status accepted."]}
            )
        if expires_at <= now:
            raise ValidationFailed("The expiry must be in the future", fields={"expires_at": ["Must be in the future."]})
    fixed = [str(f.id) for f in findings if f.status == FindingStatus.FIXED]
    if fixed:
        raise ValidationFailed(
            "A fixed finding cannot be triaged; it reopens if an analysis detects it again",
            fields={"status": [f"Finding {fid} is fixed." for fid in fixed]},
        )


def _apply_triage(
    finding: Finding, *, actor: User | None, status: str, reason: str, expires_at: datetime | None, source: str, now: datetime
) -> FindingTriageEvent:
    event = FindingTriageEvent(
        organization_id=finding.organization_id,
        finding=finding,
        actor=actor,
        source=source,
        from_status=finding.status,
        to_status=status,
        reason=reason,
        expires_at=expires_at,
    )
    finding.status = status
    finding.triage_reason = reason
    finding.triaged_by = actor
    finding.triaged_at = now
    finding.triage_expires_at = expires_at if status == FindingStatus.ACCEPTED else None
    finding.updated_at = now
    return event


_TRIAGE_FIELDS = ["status", "triage_reason", "triaged_by", "triaged_at", "triage_expires_at", "updated_at"]


def finding_triage(
    *,
    finding: Finding,
    actor: User | None,
    status: str,
    reason: str = "",
    expires_at: datetime | None = None,
    source: str = str(FindingTriageEvent.Source.API),
) -> Finding:
    """Set a finding's triage status (open, acknowledged, accepted with optional expiry,
    false_positive), recording who, when and why. ``fixed`` is never set by hand."""
    now = timezone.now()
    with transaction.atomic():
        locked = Finding.objects.select_for_update().get(pk=finding.pk)
        _validate_triage(findings=[locked], status=status, expires_at=expires_at, now=now)
        event = _apply_triage(locked, actor=actor, status=status, reason=reason, expires_at=expires_at, source=source, now=now)
        locked.save(update_fields=_TRIAGE_FIELDS)
        event.save()
    for name in _TRIAGE_FIELDS:
        setattr(finding, name, getattr(locked, name))
    return finding


def findings_triage_bulk(
    *,
    organization: Organization,
    ids: Sequence[UUID | str],
    actor: User | None,
    status: str,
    reason: str = "",
    expires_at: datetime | None = None,
    source: str = str(FindingTriageEvent.Source.API),
) -> list[Finding]:
    """Triage up to 100 findings of ``organization`` at once, all or nothing: an id that is
    not the organisation's is a 404 and an invalid transition a 400, and nothing changes."""
    unique_ids = list(dict.fromkeys(str(i) for i in ids))
    if not unique_ids:
        raise ValidationFailed("No findings given", fields={"ids": ["At least one id is required."]})
    if len(unique_ids) > MAX_BULK_TRIAGE:
        raise ValidationFailed("Too many findings", fields={"ids": [f"At most {MAX_BULK_TRIAGE} ids."]})
    now = timezone.now()
    with transaction.atomic():
        findings = list(Finding.objects.for_org(organization).select_for_update().filter(id__in=unique_ids).order_by("id"))
        if len(findings) != len(unique_ids):
            raise NotFound("Finding not found")
        _validate_triage(findings=findings, status=status, expires_at=expires_at, now=now)
        events = [
            _apply_triage(f, actor=actor, status=status, reason=reason, expires_at=expires_at, source=source, now=now)
            for f in findings
        ]
        Finding.objects.bulk_update(findings, _TRIAGE_FIELDS)
        FindingTriageEvent.objects.bulk_create(events)
    return findings


def findings_reopen_expired(*, now: datetime | None = None) -> int:
    """Reopen accepted findings whose acceptance expired (between analyses too); returns the count."""
    now = now or timezone.now()
    with transaction.atomic():
        expired = list(
            Finding.objects.select_for_update(skip_locked=True)
            .filter(status=FindingStatus.ACCEPTED, triage_expires_at__lte=now)
            .only("id", "organization_id", "status", "reopened_count")
        )
        if not expired:
            return 0
        FindingTriageEvent.objects.bulk_create(
            FindingTriageEvent(
                organization_id=f.organization_id,
                finding_id=f.id,
                source=FindingTriageEvent.Source.ANALYSIS,
                from_status=FindingStatus.ACCEPTED,
                to_status=FindingStatus.OPEN,
                reason="Acceptance expired",
            )
            for f in expired
        )
        Finding.objects.filter(id__in=[f.id for f in expired]).update(
            status=FindingStatus.OPEN,
            triage_expires_at=None,
            reopened_count=models.F("reopened_count") + 1,
            reopened_at=now,
            updated_at=now,
        )
    return len(expired)
