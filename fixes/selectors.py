"""Composite reads of fix proposals: the list filters shared by the API and the dashboard."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from fixes.models import FixProposal


def fixes_filter(queryset: QuerySet[FixProposal], params: dict[str, Any]) -> QuerySet[FixProposal]:
    """The list filters of ``GET /fixes`` (validated by FixProposalListQueryInputSerializer)."""
    if "status" in params:
        queryset = queryset.filter(status=params["status"])
    if "repository_id" in params:
        queryset = queryset.filter(repository_id=params["repository_id"])
    if "finding_id" in params:
        queryset = queryset.filter(finding_id=params["finding_id"])
    if "source" in params:
        source = params["source"]
        queryset = queryset.filter(provenance=source) if source in ("rule", "llm") else queryset.filter(source=source)
    if "confidence" in params:
        queryset = queryset.filter(confidence_label=params["confidence"])
    if "min_confidence" in params:
        queryset = queryset.filter(confidence__gte=params["min_confidence"])
    return queryset
