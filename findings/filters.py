"""Query parameters of the findings endpoints, validated by serializers, applied to a queryset.

Which findings a request looks at (its *scope*): the findings present in one run
(``analysis_id``, with that run's lines) or, by default, in the latest completed run of each
repository. Fixed findings are absent from those runs by definition, so they join the scope when
``status`` asks for them or ``fixed_in`` names the run that fixed them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from django.db.models import BooleanField, F, FilteredRelation, Q, QuerySet
from django.db.models.expressions import RawSQL
from rest_framework import serializers

from accounts.models import Organization
from analysis.engine.calibration import DEFAULT_MIN_CONFIDENCE
from analysis.models import AnalysisRun, Repository
from findings.models import SEVERITY_RANK, FileRole, Finding, FindingKind, FindingLanguage, FindingStatus, Severity
from repotoire.api.exceptions import NotFound

ORDERINGS: dict[str, tuple[str, ...]] = {
    "severity": ("-severity_rank", "-hotspot_score", "path", "line", "id"),
    "-severity": ("severity_rank", "hotspot_score", "-path", "-line", "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
    "file": ("path", "line", "id"),
    "-file": ("-path", "-line", "-id"),
    "detector": ("detector", "-severity_rank", "path", "line", "id"),
    "-detector": ("-detector", "severity_rank", "-path", "-line", "-id"),
}


class _RepeatableChoiceField(serializers.ListField):
    """``?severity=high&severity=critical`` or ``?severity=high,critical``."""

    def to_internal_value(self, data: Any) -> list[str]:
        if isinstance(data, str):
            data = [data]
        split = [part.strip() for item in data for part in str(item).split(",") if part.strip()]
        return super().to_internal_value(split)


class FindingScopeQueryInputSerializer(serializers.Serializer):
    repository_id = serializers.UUIDField(required=False, help_text="Only this repository's findings.")
    analysis_id = serializers.UUIDField(
        required=False,
        help_text="Findings present in this run, with their lines at that run. Default: the latest completed run of each repository.",
    )


class FindingFacetQueryInputSerializer(FindingScopeQueryInputSerializer):
    severity = _RepeatableChoiceField(
        child=serializers.ChoiceField(choices=Severity.choices), required=False, help_text="Repeatable or comma-separated."
    )
    category = serializers.CharField(required=False, max_length=30)
    detector = serializers.CharField(required=False, max_length=100)
    status = _RepeatableChoiceField(
        child=serializers.ChoiceField(choices=FindingStatus.choices),
        required=False,
        help_text="Repeatable or comma-separated. `fixed` adds the findings that the scope's runs no longer see.",
    )

    kind = _RepeatableChoiceField(
        child=serializers.ChoiceField(choices=FindingKind.choices),
        required=False,
        help_text="vulnerability (security with evidence), hotspot (a risky pattern to review once), issue. Repeatable.",
    )
    role = _RepeatableChoiceField(
        child=serializers.ChoiceField(choices=FileRole.choices),
        required=False,
        help_text="Role of the finding's file; overrides `scope`. Repeatable.",
    )
    language = _RepeatableChoiceField(
        child=serializers.ChoiceField(choices=FindingLanguage.choices),
        required=False,
        help_text="Language of the finding's file (python, javascript, typescript...). Repeatable or comma-separated.",
    )
    scope = serializers.ChoiceField(
        choices=[("source", "source"), ("all", "all")],
        required=False,
        default="source",
        help_text="`source` (default): findings of source files only; `all`: tests, examples, vendored and generated code too.",
    )
    min_confidence = serializers.FloatField(
        required=False,
        min_value=0.0,
        max_value=1.0,
        default=DEFAULT_MIN_CONFIDENCE,
        help_text=f"Only findings at or above this confidence (the share of such findings reviewers confirm). Default {DEFAULT_MIN_CONFIDENCE}.",
    )


class FindingListQueryInputSerializer(FindingFacetQueryInputSerializer):
    path = serializers.CharField(required=False, max_length=1000, help_text="Path prefix, e.g. `src/api/`.")
    search = serializers.CharField(
        required=False,
        max_length=200,
        help_text="Words in title or message, case-insensitive; the last letters of each word may be left out (`inject` finds `injection`).",
    )
    new_since = serializers.UUIDField(
        required=False, help_text="A run id: only findings first seen after that run (in its repository)."
    )
    first_seen_in = serializers.UUIDField(required=False, help_text="A run id: only findings first seen in that run.")
    fixed_in = serializers.UUIDField(required=False, help_text="A run id: only findings that run marked fixed.")
    ordering = serializers.ChoiceField(
        choices=list(ORDERINGS),
        required=False,
        default="severity",
        help_text="`severity` (critical first; among equals, findings in the hottest git-history hotspots first), `created`, `file` (path, line), `detector`; prefix `-` to reverse.",
    )


@dataclass
class Scope:
    """The runs a request looks at and the queryset restricted to them."""

    queryset: QuerySet[Finding]
    run_ids: list[UUID] = field(default_factory=list)
    run: AnalysisRun | None = None


def _run(organization: Organization, run_id: UUID) -> AnalysisRun:
    run = AnalysisRun.objects.for_org(organization).filter(pk=run_id).only("id", "repository_id", "queued_at").first()
    if run is None:
        raise NotFound("Analysis not found")
    return run


def latest_completed_run_ids(organization: Organization, repository_id: UUID | None = None) -> list[UUID]:
    """The latest completed run of each repository of ``organization`` (one query)."""
    runs = AnalysisRun.objects.for_org(organization).completed()
    if repository_id is not None:
        runs = runs.filter(repository_id=repository_id)
    runs = runs.order_by("repository_id", F("finished_at").desc(nulls_last=True), "-queued_at").distinct("repository_id")
    return list(runs.values_list("id", flat=True))


def apply_scope(
    queryset: QuerySet[Finding],
    *,
    organization: Organization,
    params: dict[str, Any],
    include_fixed: bool = False,
    with_run_ids: bool = False,
) -> Scope:
    repository_id = params.get("repository_id")
    if repository_id is not None:
        if not Repository.objects.for_org(organization).filter(pk=repository_id).exists():
            raise NotFound("Repository not found")
        queryset = queryset.filter(repository_id=repository_id)

    analysis_id = params.get("analysis_id")
    if analysis_id is not None:
        run = _run(organization, analysis_id)
        if run.pk in latest_completed_run_ids(organization, run.repository_id):
            # The latest run's findings are the present ones, at their current (= that run's) lines.
            queryset = queryset.filter(repository_id=run.repository_id, is_present=True)
            return Scope(queryset=queryset, run_ids=[run.pk])
        queryset = (
            queryset.annotate(run_occurrence=FilteredRelation("occurrences", condition=Q(occurrences__run_id=run.pk)))
            .filter(run_occurrence__isnull=False)
            .annotate(
                run_line=F("run_occurrence__line"),
                run_column=F("run_occurrence__column"),
                run_end_line=F("run_occurrence__end_line"),
                run_end_column=F("run_occurrence__end_column"),
            )
        )
        return Scope(queryset=queryset, run_ids=[run.pk], run=run)

    # Present = seen by the latest completed run of its repository (kept up to date by
    # findings_record_run), so the default list needs neither the runs nor a join.
    present = Q(is_present=True)
    if include_fixed:
        present |= Q(status=FindingStatus.FIXED)
    run_ids = latest_completed_run_ids(organization, repository_id) if with_run_ids else []
    return Scope(queryset=queryset.filter(present), run_ids=run_ids)


# Must stay the expression of the GIN index in migration 0005 for the index to be used.
SEARCH_DOCUMENT = """to_tsvector('simple'::regconfig, "findings_finding"."title" || ' ' || "findings_finding"."message")"""
_WORD = re.compile(r"\w+")


def _search(queryset: QuerySet[Finding], text: str) -> QuerySet[Finding]:
    """Full-text prefix match of every word: a GIN index on words answers it (substring LIKE
    over 100k rows was a scan; trigram indexes cost 40% of the analysis write time)."""
    words = _WORD.findall(text.lower())
    if not words:
        return queryset.filter(Q(title__icontains=text) | Q(message__icontains=text))
    query = " & ".join(f"{w}:*" for w in words)
    return queryset.filter(
        RawSQL(f"{SEARCH_DOCUMENT} @@ to_tsquery('simple'::regconfig, %s)", [query], output_field=BooleanField())
    )


def apply_facets(queryset: QuerySet[Finding], params: dict[str, Any]) -> QuerySet[Finding]:
    if params.get("severity"):
        queryset = queryset.filter(severity_rank__in=sorted({SEVERITY_RANK[s] for s in params["severity"]}))
    if params.get("category"):
        queryset = queryset.filter(category=params["category"])
    if params.get("detector"):
        queryset = queryset.filter(detector=params["detector"])
    if params.get("status"):
        queryset = queryset.filter(status__in=params["status"])
    if params.get("kind"):
        queryset = queryset.filter(kind__in=params["kind"])
    if params.get("language"):
        queryset = queryset.filter(language__in=params["language"])
    if params.get("role"):
        queryset = queryset.filter(role__in=params["role"])
    elif params.get("scope", "source") == "source":
        queryset = queryset.filter(role=FileRole.SOURCE)
    min_confidence = params.get("min_confidence", DEFAULT_MIN_CONFIDENCE)
    if min_confidence > 0:
        queryset = queryset.filter(confidence__gte=min_confidence)
    return queryset


def filter_findings(queryset: QuerySet[Finding], *, organization: Organization, params: dict[str, Any]) -> Scope:
    """Every filter and the ordering of ``GET /findings``."""
    statuses = params.get("status") or []
    fixed_in = params.get("fixed_in")
    scope = apply_scope(
        queryset,
        organization=organization,
        params=params,
        include_fixed=FindingStatus.FIXED in statuses or fixed_in is not None,
    )
    qs = apply_facets(scope.queryset, params)
    if params.get("path"):
        qs = qs.filter(path__startswith=params["path"])
    if params.get("search"):
        qs = _search(qs, params["search"])
    if params.get("new_since") is not None:
        since = _run(organization, params["new_since"])
        qs = qs.filter(repository_id=since.repository_id, first_seen_run__queued_at__gt=since.queued_at)
    if params.get("first_seen_in") is not None:
        qs = qs.filter(first_seen_run_id=_run(organization, params["first_seen_in"]).pk)
    if fixed_in is not None:
        qs = qs.filter(fixed_in_run_id=_run(organization, fixed_in).pk)
    ordering = list(ORDERINGS[params.get("ordering") or "severity"])
    if scope.run is not None:
        # The run's own lines, not the current ones.
        ordering = [o.replace("line", "run_line") for o in ordering]
    scope.queryset = qs.order_by(*ordering)
    return scope
