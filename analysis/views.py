"""API views of repositories and analysis runs."""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from analysis import selectors, services
from analysis.engine.reports import render
from analysis.filters import filter_runs
from analysis.models import AnalysisRun, Repository, RunStatus
from analysis.selectors import repository_trend
from analysis.serializers import (
    AnalysisConcurrencyOutputSerializer,
    AnalysisHistoryFilterInputSerializer,
    AnalysisProgressEventOutputSerializer,
    AnalysisReportViewInputSerializer,
    AnalysisRunOutputSerializer,
    AnalysisTriggerInputSerializer,
    RepositoryCreateInputSerializer,
    RepositoryOutputSerializer,
    RepositoryTrendPointOutputSerializer,
    RepositoryUpdateInputSerializer,
)
from analysis.sse import progress_stream
from repotoire.api.exceptions import Conflict, ValidationFailed
from repotoire.api.viewsets import OrgScopedViewSet

REPORT_CONTENT_TYPES = {
    "json": "application/json",
    "sarif": "application/sarif+json",
    "markdown": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
}
TREND_MAX_POINTS = 1000


@extend_schema(tags=["repositories"])
class RepositoryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgScopedViewSet):
    """Repositories of the organisation. Clone URLs never show credentials."""

    queryset = Repository.objects.all()
    serializer_class = RepositoryOutputSerializer

    @extend_schema(summary="List repositories")
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="Get a repository")
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        summary="Register a repository", request=RepositoryCreateInputSerializer, responses={201: RepositoryOutputSerializer}
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = RepositoryCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        repo = services.repository_create(organization=self.organization, **serializer.validated_data)
        return Response(RepositoryOutputSerializer(repo).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a repository", request=RepositoryUpdateInputSerializer, responses={200: RepositoryOutputSerializer}
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = RepositoryUpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        repo = services.repository_update(repository=self.get_object(), **serializer.validated_data)
        return Response(RepositoryOutputSerializer(repo).data)

    @extend_schema(summary="Delete a repository with its analyses and findings", responses={204: None})
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.repository_delete(repository=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Health score trend",
        description="Score, grade, pillar scores and finding counts of the completed analyses, oldest first "
        "(the most recent `limit`, default 100).",
        parameters=[OpenApiParameter("limit", int, description=f"Points to return (1–{TREND_MAX_POINTS}).")],
        responses={200: RepositoryTrendPointOutputSerializer(many=True)},
    )
    # A bare list (at most `limit` points), not a page: the schema must not describe a page.
    @action(detail=True, methods=["get"], pagination_class=None)
    def trend(self, request: Request, pk: str | None = None) -> Response:
        repo = self.get_object()
        try:
            limit = int(request.query_params.get("limit", 100))
        except ValueError:
            limit = 0
        if not 1 <= limit <= TREND_MAX_POINTS:
            raise ValidationFailed(f"limit: between 1 and {TREND_MAX_POINTS}", fields={"limit": ["Out of range"]})
        runs = repository_trend(organization=self.organization, repository=repo, limit=limit)
        return Response(RepositoryTrendPointOutputSerializer(runs, many=True).data)


@extend_schema(tags=["analysis"])
class AnalysisViewSet(mixins.RetrieveModelMixin, OrgScopedViewSet):
    """Analysis runs: trigger, status, live progress, history, concurrency, reports, cancel."""

    queryset = AnalysisRun.objects.select_related("repository")
    serializer_class = AnalysisRunOutputSerializer

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # The stream is not rendered by DRF; its errors (401, 404, 429) are JSON whatever the
        # client accepts (EventSource sends ``Accept: text/event-stream``).
        if self.action in ("progress", "report"):
            return JSONRenderer(), JSONRenderer.media_type
        return super().perform_content_negotiation(request, force)

    @extend_schema(
        summary="Trigger an analysis",
        description="Queues an analysis of the repository (202). 409 when one is already queued or running for it, "
        "429 when the plan's analyses per hour are spent. The run waits in the queue while the organisation's "
        "concurrent-analysis limit is reached.",
        request=AnalysisTriggerInputSerializer,
        responses={202: AnalysisRunOutputSerializer},
    )
    @action(detail=False, methods=["post"])
    def trigger(self, request: Request) -> Response:
        serializer = AnalysisTriggerInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        run = services.analysis_trigger(organization=self.organization, created_by=request.user, **serializer.validated_data)
        return Response(AnalysisRunOutputSerializer(run).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(summary="Get an analysis (same body as its status)")
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(summary="Analysis status", responses={200: AnalysisRunOutputSerializer})
    @action(detail=True, methods=["get"], url_path="status")
    def run_status(self, request: Request, pk: str | None = None) -> Response:
        return Response(AnalysisRunOutputSerializer(self.get_object()).data)

    @extend_schema(
        summary="Analysis history",
        description="Runs of the organisation, newest first.",
        parameters=[AnalysisHistoryFilterInputSerializer],
        responses={200: AnalysisRunOutputSerializer(many=True)},
    )
    @action(detail=False, methods=["get"])
    def history(self, request: Request) -> Response:
        queryset = filter_runs(self.get_queryset(), request.query_params).order_by("-queued_at")
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(AnalysisRunOutputSerializer(page, many=True).data)

    @extend_schema(
        summary="Concurrent analyses: running now and the plan's limit", responses={200: AnalysisConcurrencyOutputSerializer}
    )
    @action(detail=False, methods=["get"])
    def concurrency(self, request: Request) -> Response:
        return Response(AnalysisConcurrencyOutputSerializer(services.concurrency_usage(self.organization)).data)

    @extend_schema(summary="Cancel a queued or running analysis", request=None, responses={200: AnalysisRunOutputSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        run = services.analysis_cancel(run=self.get_object())
        return Response(AnalysisRunOutputSerializer(run).data)

    @extend_schema(
        summary="Report of a completed analysis",
        parameters=[
            OpenApiParameter("format", str, enum=list(REPORT_CONTENT_TYPES), default="json", description="Report format."),
            AnalysisReportViewInputSerializer,
        ],
        responses={
            (200, "application/json"): OpenApiResponse(OpenApiTypes.OBJECT, description="JSON report (schema v1)"),
            (200, "application/sarif+json"): OpenApiResponse(OpenApiTypes.OBJECT, description="SARIF 2.1.0"),
            (200, "text/markdown"): OpenApiResponse(OpenApiTypes.STR, description="Markdown"),
            (200, "text/html"): OpenApiResponse(OpenApiTypes.STR, description="Self-contained HTML"),
        },
    )
    @action(detail=True, methods=["get"])
    def report(self, request: Request, pk: str | None = None) -> HttpResponse:
        run = self.get_object()  # another organisation's or an unknown run is 404 whatever the format
        fmt = request.query_params.get("format", "json").lower()
        if fmt not in REPORT_CONTENT_TYPES:
            raise ValidationFailed(
                f"format: one of {', '.join(REPORT_CONTENT_TYPES)}",
                fields={"format": [f"One of {', '.join(REPORT_CONTENT_TYPES)}"]},
            )
        view = AnalysisReportViewInputSerializer(data=request.query_params)
        view.is_valid(raise_exception=True)
        if run.status != RunStatus.COMPLETED:
            raise Conflict(f"The analysis is {run.status}; reports exist for completed analyses")
        # the people-facing formats name the repository and show triage; the machine formats don't
        context = selectors.analysis_report_context(run=run) if fmt in ("html", "markdown") else None
        body = render(services.report_result(run), fmt, context, **view.validated_data)
        return HttpResponse(body.encode("utf-8"), content_type=REPORT_CONTENT_TYPES[fmt])

    @extend_schema(
        summary="Live progress (Server-Sent Events)",
        description="`text/event-stream`: an `event: progress` whose data is an AnalysisProgressEvent now and at every "
        "change, a comment line every 15 s, and a last event with the terminal status (completed, failed or "
        "cancelled), after which the stream ends. A finished analysis gets its final event at once.",
        responses={
            (200, "text/event-stream"): OpenApiResponse(AnalysisProgressEventOutputSerializer, description="Event stream")
        },
    )
    @action(detail=True, methods=["get"])
    def progress(self, request: Request, pk: str | None = None) -> StreamingHttpResponse:
        run = self.get_object()
        # The stream reads the database through the SSE hub's shared connection: give this
        # request's Django connection back now instead of holding it for the stream's lifetime.
        if not connection.in_atomic_block:
            connection.close()
        response = StreamingHttpResponse(
            progress_stream(str(run.pk), heartbeat=float(settings.REPOTOIRE_SSE_HEARTBEAT_SECONDS)),
            content_type="text/event-stream",
        )
        response["Cache-Control"] = "no-cache"
        response["X-Accel-Buffering"] = "no"
        return response


_progress_view = AnalysisViewSet.as_view({"get": "progress"})
_connect_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = weakref.WeakKeyDictionary()


async def analysis_progress_stream(request: HttpRequest, pk: str) -> HttpResponseBase:
    """``GET /analysis/{id}/progress`` as served: the DRF action above (authentication,
    permissions, throttling, 404 and the error envelope all apply) run with a bounded number of
    concurrent calls per process, because each holds a database connection while it
    authenticates: a reconnect storm of hundreds of EventSource clients must not exhaust
    PostgreSQL's connections. The stream itself then holds no connection and no thread."""
    loop = asyncio.get_running_loop()
    slots = _connect_slots.get(loop)
    if slots is None:
        slots = _connect_slots[loop] = asyncio.Semaphore(int(settings.REPOTOIRE_SSE_CONNECT_CONCURRENCY))
    async with slots:
        return await sync_to_async(_progress_view)(request, pk=pk)
