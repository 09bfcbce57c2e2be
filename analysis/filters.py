"""Query-string filters of the analysis history."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from analysis.serializers import AnalysisHistoryFilterInputSerializer


def filter_runs(queryset: QuerySet, params: Any) -> QuerySet:
    """``?repository_id=&status=`` (validated: a malformed value is a 400, not an empty page)."""
    serializer = AnalysisHistoryFilterInputSerializer(data=params)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    if "repository_id" in data:
        queryset = queryset.filter(repository_id=data["repository_id"])
    if "status" in data:
        queryset = queryset.filter(status=data["status"])
    return queryset
