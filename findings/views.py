"""Findings API: list with filters, summary, by-detector, detail, triage (single and bulk)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from findings import selectors, services
from findings.filters import (
    FindingFacetQueryInputSerializer,
    FindingListQueryInputSerializer,
    FindingScopeQueryInputSerializer,
    filter_findings,
)
from findings.models import Finding
from findings.serializers import (
    FindingBulkTriageInputSerializer,
    FindingBulkTriageOutputSerializer,
    FindingDetailOutputSerializer,
    FindingDetectorOutputSerializer,
    FindingOutputSerializer,
    FindingSummaryOutputSerializer,
    FindingTriageInputSerializer,
)
from repotoire.api.viewsets import OrgScopedViewSet


def _query(serializer_class: type, request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


@extend_schema(tags=["findings"])
class FindingViewSet(mixins.RetrieveModelMixin, OrgScopedViewSet):
    """Findings of the organisation's repositories, with identity across analyses and triage."""

    queryset = Finding.objects.select_related("triaged_by")
    serializer_class = FindingOutputSerializer

    @extend_schema(
        parameters=[FindingListQueryInputSerializer],
        responses=FindingOutputSerializer(many=True),
        summary="List findings",
        description=(
            "By default the findings present in the latest completed analysis of each repository; "
            "`analysis_id` lists one run's findings with their lines at that run. Only findings of source files "
            "at or above the default confidence are listed unless `scope=all`, `role` or `min_confidence` say "
            "otherwise. Paginated with `page` and `page_size` (≤ 100)."
        ),
    )
    def list(self, request: Request) -> Response:
        params = _query(FindingListQueryInputSerializer, request)
        scope = filter_findings(self.get_queryset(), organization=self.organization, params=params)
        page = self.paginate_queryset(scope.queryset)
        return self.get_paginated_response(FindingOutputSerializer(page, many=True).data)

    @extend_schema(
        parameters=[FindingScopeQueryInputSerializer],
        responses=FindingSummaryOutputSerializer,
        summary="Findings summary",
        description=(
            "Counts by severity, category, status, kind (vulnerability, hotspot, issue) and file role for one analysis or "
            "the latest analysis of each repository: every finding present, whatever its role or confidence."
        ),
    )
    @action(detail=False, methods=["get"], url_path="summary", pagination_class=None)
    def summary(self, request: Request) -> Response:
        params = _query(FindingScopeQueryInputSerializer, request)
        data = selectors.findings_summary(queryset=self.get_queryset(), organization=self.organization, params=params)
        return Response(FindingSummaryOutputSerializer(data).data)

    @extend_schema(
        parameters=[FindingFacetQueryInputSerializer],
        responses=FindingDetectorOutputSerializer(many=True),
        summary="Findings grouped by detector",
    )
    @action(detail=False, methods=["get"], url_path="by-detector", pagination_class=None)
    def by_detector(self, request: Request) -> Response:
        params = _query(FindingFacetQueryInputSerializer, request)
        rows = selectors.findings_by_detector(queryset=self.get_queryset(), organization=self.organization, params=params)
        return Response(FindingDetectorOutputSerializer(rows, many=True).data)

    def _detail(self, finding: Finding) -> dict[str, Any]:
        return FindingDetailOutputSerializer(selectors.finding_with_history(finding)).data

    @extend_schema(responses=FindingDetailOutputSerializer, summary="Get a finding with its occurrence and triage history")
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self._detail(self.get_object()))

    @extend_schema(
        request=FindingTriageInputSerializer,
        responses=FindingDetailOutputSerializer,
        summary="Triage a finding",
        description="Set status to open, acknowledged, accepted (optionally until `expires_at`) or false_positive.",
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        finding = self.get_object()
        serializer = FindingTriageInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        finding = services.finding_triage(finding=finding, actor=request.user, **serializer.validated_data)
        return Response(self._detail(finding))

    @extend_schema(
        request=FindingBulkTriageInputSerializer,
        responses=FindingBulkTriageOutputSerializer,
        summary="Triage up to 100 findings at once (all or nothing)",
    )
    @action(detail=False, methods=["post"], url_path="triage", pagination_class=None)
    def triage(self, request: Request) -> Response:
        serializer = FindingBulkTriageInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        findings = services.findings_triage_bulk(organization=self.organization, actor=request.user, **serializer.validated_data)
        return Response(FindingBulkTriageOutputSerializer({"updated": len(findings), "findings": findings}).data)
