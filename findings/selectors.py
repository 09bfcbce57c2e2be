"""Composite reads: the findings summary and the per-detector breakdown."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.db.models import Count, Max, Prefetch, QuerySet, prefetch_related_objects

from accounts.models import Organization
from analysis.engine.registry import all_specs
from findings.filters import apply_facets, apply_scope
from findings.models import (
    RANK_SEVERITY,
    SEVERITY_RANK,
    SUPPRESSED_STATUSES,
    FileRole,
    Finding,
    FindingKind,
    FindingOccurrence,
    FindingStatus,
    FindingTriageEvent,
)

OCCURRENCE_HISTORY_LIMIT = 100


@lru_cache(maxsize=1)
def detector_specs() -> dict[str, dict[str, str]]:
    """id → {name, description, category, severity} from the engine's registry."""
    return {
        s.id: {"name": s.title, "description": s.description, "category": s.category.value, "severity": s.severity.value}
        for s in all_specs()
    }


def findings_summary(*, queryset: QuerySet[Finding], organization: Organization, params: dict[str, Any]) -> dict[str, Any]:
    """Counts by severity, category and status for one run or the latest run of each repository.

    ``by_status`` is the current status of the findings present in those runs (a past run's
    findings may be fixed since); ``resolved`` counts the findings those runs marked fixed.
    """
    scope = apply_scope(queryset, organization=organization, params=params, with_run_ids=True)
    by_severity = dict.fromkeys(SEVERITY_RANK, 0)
    by_category: dict[str, int] = {}
    by_status = dict.fromkeys(FindingStatus.values, 0)
    total = 0
    by_kind = dict.fromkeys(FindingKind.values, 0)
    by_role = dict.fromkeys(FileRole.values, 0)
    by_language: dict[str, int] = {}
    rows = (
        scope.queryset.order_by()
        .values_list("severity", "category", "status", "kind", "role", "language")
        .annotate(n=Count("id"))
    )
    for severity, category, status, kind, role, language, n in rows:
        by_language[language] = by_language.get(language, 0) + n
        total += n
        by_severity[severity] = by_severity.get(severity, 0) + n
        by_category[category] = by_category.get(category, 0) + n
        by_status[status] = by_status.get(status, 0) + n
        by_kind[kind] = by_kind.get(kind, 0) + n
        by_role[role] = by_role.get(role, 0) + n
    fixed_scope = queryset.filter(fixed_in_run_id__in=scope.run_ids)
    if params.get("repository_id") is not None:
        fixed_scope = fixed_scope.filter(repository_id=params["repository_id"])
    resolved = fixed_scope.count() if scope.run_ids else 0
    suppressed = sum(by_status[s] for s in SUPPRESSED_STATUSES)
    return {
        "analysis_ids": scope.run_ids,
        "total": total,
        "effective": total - suppressed,
        "by_severity": by_severity,
        "by_category": dict(sorted(by_category.items(), key=lambda kv: (-kv[1], kv[0]))),
        "by_status": by_status,
        "resolved": resolved,
        "by_kind": by_kind,
        "by_role": by_role,
        "by_language": dict(sorted(by_language.items(), key=lambda kv: (-kv[1], kv[0]))),
    }


def findings_by_detector(
    *, queryset: QuerySet[Finding], organization: Organization, params: dict[str, Any]
) -> list[dict[str, Any]]:
    """One row per detector in scope: count and highest severity, most findings first."""
    scope = apply_scope(queryset, organization=organization, params=params)
    qs = apply_facets(scope.queryset, params)
    rows = (
        qs.order_by()
        .values("detector")
        .annotate(count=Count("id"), max_rank=Max("severity_rank"), category=Max("category"))
        .order_by("-count", "detector")
    )
    specs = detector_specs()
    out = []
    for row in rows:
        spec = specs.get(row["detector"], {})
        out.append(
            {
                "detector": row["detector"],
                "name": spec.get("name", row["detector"]),
                "description": spec.get("description", ""),
                "category": spec.get("category", row["category"]),
                "count": row["count"],
                "highest_severity": RANK_SEVERITY[row["max_rank"]],
            }
        )
    return out


def finding_with_history(finding: Finding) -> Finding:
    """``finding`` with ``occurrence_history`` (newest first, at most 100, with their runs) and
    its triage events (newest first, with their actors) loaded: two queries."""
    # attached for the detail serializer, not a model field
    finding.occurrence_history = list(  # type: ignore[attr-defined]
        FindingOccurrence.objects.filter(finding=finding).select_related("run").order_by("-id")[:OCCURRENCE_HISTORY_LIMIT]
    )
    prefetch_related_objects(
        [finding],
        Prefetch("triage_events", queryset=FindingTriageEvent.objects.select_related("actor").order_by("-created_at", "-id")),
    )
    return finding


def findings_report_states(*, repository_id: Any, run_id: Any) -> tuple[dict[str, str], frozenset[str]]:
    """For a run's report: each fingerprint's current triage status in the repository, and the
    fingerprints that run found first (its "new" findings)."""
    triage: dict[str, str] = {}
    new: set[str] = set()
    rows = Finding.objects.filter(repository_id=repository_id).values_list("fingerprint", "status", "first_seen_run_id")
    for fingerprint, status, first_seen_run_id in rows.iterator(chunk_size=5000):
        triage[fingerprint] = status
        if first_seen_run_id == run_id:
            new.add(fingerprint)
    return triage, frozenset(new)
