"""GitHub App API: the public webhook receiver and setup callback, and org-scoped installations,
repositories and quality gates."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.parsers import BaseParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from github_app import services
from github_app.models import GithubInstallation, GithubRepository
from github_app.serializers import (
    GithubInstallationOutputSerializer,
    GithubInstallUrlOutputSerializer,
    GithubQualityGateSerializer,
    GithubRepositoryOutputSerializer,
    GithubReposSetInputSerializer,
    GithubSetupInputSerializer,
    GithubSetupRequestedOutputSerializer,
    GithubWebhookOutputSerializer,
)
from repotoire.api.exceptions import ValidationFailed
from repotoire.api.viewsets import OrgScopedViewSet


class _RawBodyParser(BaseParser):
    """Accept any content type; the view reads the raw body itself (the signature covers it)."""

    media_type = "*/*"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        return None


# GitHub caps webhook payloads at 25 MB; Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) would turn a
# big push into a 400 that GitHub shows as a failed delivery.
MAX_WEBHOOK_BYTES = 25 * 1024 * 1024


def _raw_body(request: Request) -> bytes:
    django_request = request._request
    if hasattr(django_request, "_body"):
        return bytes(django_request._body)
    body = django_request.read(MAX_WEBHOOK_BYTES + 1)
    if len(body) > MAX_WEBHOOK_BYTES:
        raise ValidationFailed("The payload is larger than GitHub sends")
    return body


@extend_schema(tags=["github"])
class GithubWebhookView(APIView):
    """GitHub → Repotoire. Verified with ``X-Hub-Signature-256``, recorded once per
    ``X-GitHub-Delivery``, processed in the task queue."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes: list[Any] = []
    parser_classes = [_RawBodyParser]

    @extend_schema(
        summary="Receive a GitHub App webhook",
        description=(
            "Called by GitHub, not by API clients. The body must be signed with the app's webhook secret "
            "(`X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`). Every event type is answered "
            "2xx; handled ones (installation, installation_repositories, push, pull_request, check_run, ping) "
            "are processed asynchronously, a repeated `X-GitHub-Delivery` is acknowledged and ignored."
        ),
        auth=[],
        request={"application/json": OpenApiTypes.OBJECT},
        parameters=[
            OpenApiParameter("X-GitHub-Event", str, OpenApiParameter.HEADER, required=True),
            OpenApiParameter("X-GitHub-Delivery", str, OpenApiParameter.HEADER, required=True),
            OpenApiParameter("X-Hub-Signature-256", str, OpenApiParameter.HEADER, required=True),
        ],
        responses={
            200: GithubWebhookOutputSerializer,
            202: GithubWebhookOutputSerializer,
            401: OpenApiResponse(description="Missing or invalid signature"),
            503: OpenApiResponse(description="The webhook secret is not configured"),
        },
    )
    def post(self, request: Request) -> Response:
        body = _raw_body(request)
        services.github_verify_signature(body=body, signature=request.headers.get("X-Hub-Signature-256"))
        event = (request.headers.get("X-GitHub-Event") or "").strip()
        delivery_id = (request.headers.get("X-GitHub-Delivery") or "").strip()
        if not event or not delivery_id:
            raise ValidationFailed("X-GitHub-Event and X-GitHub-Delivery are required")
        try:
            payload = json.loads(body or b"{}")
        except ValueError as exc:
            raise ValidationFailed("The body is not JSON") from exc
        if not isinstance(payload, dict):
            raise ValidationFailed("The body is not a JSON object")
        delivery, duplicate = services.github_delivery_receive(delivery_id=delivery_id, event=event, payload=payload)
        if duplicate:
            return Response({"status": "duplicate", "delivery": delivery_id}, status=status.HTTP_200_OK)
        state = "accepted" if event in services.HANDLED_EVENTS else "ignored"
        return Response({"status": state, "delivery": delivery_id}, status=status.HTTP_202_ACCEPTED)


@extend_schema(tags=["github"])
class GithubSetupView(APIView):
    """Where GitHub sends the browser after an installation (the app's "Setup URL")."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes: list[Any] = []

    @extend_schema(
        summary="Complete a GitHub App installation",
        description=(
            "GitHub redirects here with `installation_id` and the `state` from `GET /api/v1/github/install-url`. "
            "The signed, expiring, single-use state names the organisation; the installation is linked to it "
            "(refused with 409 when another organisation already owns it) and its repositories are synced. "
            "Redirects to `GITHUB_SETUP_REDIRECT_URL` when set. With `setup_action=request` (the GitHub user "
            "could only ask an owner to install the app) nothing is linked yet: 202 says what happens next."
        ),
        auth=[],
        parameters=[GithubSetupInputSerializer],
        responses={
            200: GithubInstallationOutputSerializer,
            202: GithubSetupRequestedOutputSerializer,
            302: OpenApiResponse(description="Redirect to the web app"),
        },
    )
    def get(self, request: Request) -> Response | HttpResponseRedirect:
        serializer = GithubSetupInputSerializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        if serializer.validated_data.get("setup_action") == "request":
            requested = services.github_setup_requested(state=serializer.validated_data["state"])
            if settings.GITHUB_SETUP_REDIRECT_URL:
                return HttpResponseRedirect(f"{settings.GITHUB_SETUP_REDIRECT_URL}?status=requested")
            return Response(requested, status=status.HTTP_202_ACCEPTED)
        installation = services.github_setup_complete(
            installation_id=serializer.validated_data["installation_id"],
            state=serializer.validated_data["state"],
            code=serializer.validated_data.get("code", ""),
        )
        if settings.GITHUB_SETUP_REDIRECT_URL:
            return HttpResponseRedirect(f"{settings.GITHUB_SETUP_REDIRECT_URL}?installation={installation.pk}")
        return Response(GithubInstallationOutputSerializer(installation).data)


@extend_schema(tags=["github"])
class GithubInstallUrlView(APIView):
    required_scope = "admin"

    @extend_schema(
        summary="Get the GitHub App installation URL",
        description="Open the URL in a browser to install the app; its `state` (valid `expires_in` seconds, once) links the installation to your organisation.",
        responses={200: GithubInstallUrlOutputSerializer},
    )
    def get(self, request: Request) -> Response:
        return Response(services.github_install_url(organization=request.auth.organization))


@extend_schema_view(
    list=extend_schema(summary="List GitHub installations"),
    retrieve=extend_schema(summary="Get a GitHub installation"),
)
@extend_schema(tags=["github"])
class GithubInstallationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgScopedViewSet):
    queryset = GithubInstallation.objects.annotate(
        repository_count=Count("repositories", filter=Q(repositories__removed_at__isnull=True))
    ).order_by("account_login", "installation_id")
    serializer_class = GithubInstallationOutputSerializer

    def _repos_page(self, installation: GithubInstallation) -> Response:
        qs = installation.repositories.filter(removed_at__isnull=True).order_by("full_name")
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(GithubRepositoryOutputSerializer(page, many=True).data)

    @extend_schema(
        methods=["GET"],
        summary="List the repositories of an installation",
        responses={200: GithubRepositoryOutputSerializer(many=True)},
    )
    @extend_schema(
        methods=["POST"],
        summary="Enable or disable repositories of an installation",
        description="Enabling links a Repotoire repository (created when needed) and queues a first analysis of its default branch.",
        request=GithubReposSetInputSerializer,
        responses={200: GithubRepositoryOutputSerializer(many=True)},
    )
    @action(detail=True, methods=["get", "post"], url_path="repos")
    def repos(self, request: Request, pk: str | None = None) -> Response:
        installation = self.get_object()
        if request.method == "GET":
            return self._repos_page(installation)
        serializer = GithubReposSetInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        repos = services.github_repos_set_enabled(installation=installation, **serializer.validated_data)
        return Response(GithubRepositoryOutputSerializer(repos, many=True).data)


@extend_schema(tags=["github"])
class GithubRepositoryViewSet(mixins.RetrieveModelMixin, OrgScopedViewSet):
    queryset = GithubRepository.objects.all()
    serializer_class = GithubRepositoryOutputSerializer

    @extend_schema(summary="Get a GitHub repository")
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        summary="Configure a repository's quality gate",
        description=(
            "Conditions on the new code of a pull request (findings first seen relative to its base commit's "
            "analysis) and on totals; a threshold set to null is not evaluated. Enforcing needs a plan with "
            "GitHub quality gates."
        ),
        request=GithubQualityGateSerializer,
        responses={200: GithubRepositoryOutputSerializer},
    )
    @action(detail=True, methods=["patch"], url_path="quality-gates")
    def quality_gates(self, request: Request, pk: str | None = None) -> Response:
        repo = self.get_object()
        serializer = GithubQualityGateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        repo = services.github_quality_gate_update(github_repository=repo, **serializer.validated_data)
        return Response(GithubRepositoryOutputSerializer(repo).data)
