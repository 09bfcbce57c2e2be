from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from analysis.models import Repository
from history import services
from history.selectors import history_snapshot
from history.serializers import (
    CouplingOutputSerializer,
    CouplingQueryInputSerializer,
    HistoryPrivacySerializer,
    HistoryQueryInputSerializer,
    HistorySettingsSerializer,
    HotspotOutputSerializer,
    OwnershipOutputSerializer,
)
from repotoire.api.viewsets import OrgScopedViewSet


@extend_schema(tags=["history"])
class RepositoryHistoryViewSet(OrgScopedViewSet):
    """Git-history metrics of a repository's latest analysis (or of ``analysis_id``)."""

    queryset = Repository.objects.all()

    def _rows(self, key: str, query: serializers.Serializer) -> list[dict[str, Any]]:
        query.is_valid(raise_exception=True)
        snapshot = history_snapshot(
            organization=self.organization, repository=self.get_object(), analysis_id=query.validated_data.get("analysis_id")
        )
        return list(getattr(snapshot, key)) if snapshot is not None else []

    def _page(self, rows: list[dict[str, Any]], serializer: type[serializers.Serializer]) -> Response:
        page = self.paginate_queryset(rows)  # type: ignore[arg-type]
        return self.get_paginated_response(serializer(page, many=True).data)

    @extend_schema(
        summary="Hotspots",
        description="Source files ranked by change frequency x complexity over the history horizon, hottest first.",
        parameters=[HistoryQueryInputSerializer],
        responses={200: HotspotOutputSerializer(many=True)},
    )
    @action(detail=True, methods=["get"])
    def hotspots(self, request: Request, pk: str | None = None) -> Response:
        rows = self._rows("hotspots", HistoryQueryInputSerializer(data=request.query_params))
        return self._page(rows, HotspotOutputSerializer)

    @extend_schema(
        summary="Temporal coupling",
        description="Pairs of files (or directories, level=module) changed in the same commits, strongest "
        "(decay-weighted confidence) first.",
        parameters=[CouplingQueryInputSerializer],
        responses={200: CouplingOutputSerializer(many=True)},
    )
    @action(detail=True, methods=["get"])
    def coupling(self, request: Request, pk: str | None = None) -> Response:
        query = CouplingQueryInputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = self._rows("module_couplings" if query.validated_data["level"] == "module" else "couplings", query)
        hidden = query.validated_data.get("hidden")
        floor = query.validated_data.get("min_confidence", 0.0)
        rows = [r for r in rows if (hidden is None or r["hidden"] == hidden) and r["confidence"] >= floor]
        return self._page(rows, CouplingOutputSerializer)

    @extend_schema(
        summary="Ownership and bus factor",
        description="Per directory: bus factor, main author, authors' shares of the lines added, files at risk.",
        parameters=[HistoryQueryInputSerializer],
        responses={200: OwnershipOutputSerializer(many=True)},
    )
    @action(detail=True, methods=["get"])
    def ownership(self, request: Request, pk: str | None = None) -> Response:
        rows = self._rows("modules", HistoryQueryInputSerializer(data=request.query_params))
        return self._page(rows, OwnershipOutputSerializer)

    @extend_schema(
        summary="History window",
        description="How far back analyses fetch and mine the repository's history; PATCH (members) changes it.",
        request=HistorySettingsSerializer,
        responses={200: HistorySettingsSerializer},
    )
    @action(detail=True, methods=["get", "patch"], url_path="history-settings")
    def history_settings(self, request: Request, pk: str | None = None) -> Response:
        repository = self.get_object()
        if request.method == "PATCH":
            data = HistorySettingsSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            services.history_settings_update(repository=repository, **data.validated_data)
        months, max_commits = services.history_window(repository=repository)
        return Response(HistorySettingsSerializer({"months": months, "max_commits": max_commits}).data)


@extend_schema(tags=["history"])
class HistoryPrivacyView(APIView):
    """Whether the organisation stores author e-mails (admins change it)."""

    action_scopes = {"patch": "admin"}

    @property
    def action(self) -> str:
        return (self.request.method or "get").lower()

    @extend_schema(summary="Author privacy of the organisation's history", responses={200: HistoryPrivacySerializer})
    def get(self, request: Request) -> Response:
        settings = services.history_privacy(organization=request.auth.organization)
        return Response(HistoryPrivacySerializer(settings).data)

    @extend_schema(
        summary="Opt in or out of storing author e-mails",
        request=HistoryPrivacySerializer,
        responses={200: HistoryPrivacySerializer},
    )
    def patch(self, request: Request) -> Response:
        data = HistoryPrivacySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        settings = services.history_privacy_update(organization=request.auth.organization, **data.validated_data)
        return Response(HistoryPrivacySerializer(settings).data)
