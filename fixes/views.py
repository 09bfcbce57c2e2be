"""Fixes API: list, detail, approve/reject/reopen/apply/preview, and requesting a fix for a finding."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from findings.models import Finding
from fixes import services
from fixes.models import FixProposal, FixProposalEvent
from fixes.selectors import fixes_filter
from fixes.serializers import (
    FixProposalCheckOutputSerializer,
    FixProposalDetailOutputSerializer,
    FixProposalListQueryInputSerializer,
    FixProposalOutputSerializer,
    FixProposalRejectInputSerializer,
    FixProposalReopenInputSerializer,
)
from repotoire.api.exceptions import NotFound
from repotoire.api.viewsets import OrgScopedViewSet


def _detail(proposal: FixProposal) -> dict[str, Any]:
    proposal = (
        FixProposal.objects.select_related("approved_by", "rejected_by", "applied_by")
        .prefetch_related(
            Prefetch("events", queryset=FixProposalEvent.objects.select_related("actor").order_by("created_at", "id"))
        )
        .get(pk=proposal.pk)
    )
    return FixProposalDetailOutputSerializer(proposal).data


@extend_schema(tags=["fixes"])
class FixProposalViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgScopedViewSet):
    """Fix proposals of the organisation's repositories, with their validation evidence and audit trail."""

    queryset = FixProposal.objects.all()
    serializer_class = FixProposalOutputSerializer

    @extend_schema(
        parameters=[FixProposalListQueryInputSerializer],
        responses=FixProposalOutputSerializer(many=True),
        summary="List fix proposals",
        description="Newest first; filters: status, repository_id, finding_id, source (`rule`, `llm` or an exact source), "
        "confidence (label) and min_confidence. Paginated with `page` and `page_size` (≤ 100).",
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        query = FixProposalListQueryInputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        page = self.paginate_queryset(fixes_filter(self.get_queryset(), query.validated_data))
        return self.get_paginated_response(FixProposalOutputSerializer(page, many=True).data)

    @extend_schema(
        responses=FixProposalDetailOutputSerializer, summary="Get a fix proposal with diff, validation, preview and audit trail"
    )
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(_detail(self.get_object()))

    @extend_schema(request=None, responses=FixProposalDetailOutputSerializer, summary="Approve a pending fix")
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        return Response(_detail(services.fix_approve(proposal=self.get_object(), actor=request.user)))

    @extend_schema(
        request=FixProposalRejectInputSerializer, responses=FixProposalDetailOutputSerializer, summary="Reject a pending fix"
    )
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        data = FixProposalRejectInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        proposal = services.fix_reject(proposal=self.get_object(), actor=request.user, reason=data.validated_data["reason"])
        return Response(_detail(proposal))

    @extend_schema(
        request=FixProposalReopenInputSerializer,
        responses=FixProposalDetailOutputSerializer,
        summary="Send a rejected fix back to review",
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: str | None = None) -> Response:
        data = FixProposalReopenInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        proposal = services.fix_reopen(proposal=self.get_object(), actor=request.user, reason=data.validated_data["reason"])
        return Response(_detail(proposal))

    @extend_schema(
        request=None,
        responses=FixProposalDetailOutputSerializer,
        summary="Apply an approved fix",
        description="GitHub repositories: a branch `repotoire/fix-<id>` and a pull request through the GitHub App "
        "(409 `GITHUB_NOT_CONNECTED` while it is not connected); other remotes: the branch is pushed; local "
        "repositories: the branch is committed in the repository. A git failure leaves the fix `failed`.",
    )
    @action(detail=True, methods=["post"])
    def apply(self, request: Request, pk: str | None = None) -> Response:
        return Response(_detail(services.fix_apply(proposal=self.get_object(), actor=request.user)))

    @extend_schema(
        request=None,
        responses=FixProposalCheckOutputSerializer,
        summary="Preview a fix in a sandbox",
        description="In a temporary checkout of the base commit: `git apply --check`, the changed files parse, a "
        "re-analysis no longer reports the finding (and lists new findings), the repository's test command. "
        "The result is stored on the proposal; a pending/approved fix whose base files changed becomes stale.",
    )
    @action(detail=True, methods=["post"])
    def preview(self, request: Request, pk: str | None = None) -> Response:
        result = services.fix_preview(proposal=self.get_object(), actor=request.user)
        return Response(FixProposalCheckOutputSerializer(result).data)


@extend_schema(tags=["fixes"])
class FindingFixView(APIView):
    """``POST /findings/{id}/fix``: request a fix proposal for a finding."""

    @extend_schema(
        request=None,
        responses={
            202: OpenApiResponse(FixProposalDetailOutputSerializer, description="A proposal is being generated."),
            200: OpenApiResponse(FixProposalDetailOutputSerializer, description="The live proposal for this finding and commit."),
        },
        summary="Request a fix for a finding",
        description="Rule-based fixers first; otherwise an LLM when configured (503 `LLM_NOT_CONFIGURED` when not, "
        "402 when the plan does not include LLM fixes). Idempotent: a generating or pending proposal for the same "
        "finding and commit is returned with 200.",
    )
    def post(self, request: Request, finding_id: Any) -> Response:
        finding = (
            Finding.objects.for_org(request.auth.organization)
            .select_related("organization", "repository", "last_seen_run")
            .filter(pk=finding_id)
            .first()
        )
        if finding is None:
            raise NotFound("Finding not found")
        proposal, created = services.fix_request(finding=finding, requested_by=request.user)
        return Response(_detail(proposal), status=status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK)
