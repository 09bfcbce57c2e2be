"""API views of code search: hybrid search, ask the codebase, embedding coverage."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Organization
from analysis.models import Repository
from codesearch import selectors, services
from codesearch.embeddings import current_model_id
from codesearch.serializers import (
    CodeAskInputSerializer,
    CodeAskOutputSerializer,
    CodeEmbeddingStatusInputSerializer,
    CodeEmbeddingStatusOutputSerializer,
    CodeSearchInputSerializer,
    CodeSearchOutputSerializer,
)
from repotoire.api.exceptions import NotFound


def _repository(organization: Organization, repository_id: Any) -> Repository | None:
    if not repository_id:
        return None
    repo = Repository.objects.for_org(organization).filter(pk=repository_id).first()
    if repo is None:
        raise NotFound("Repository not found")
    return repo


class CodeSearchView(APIView):
    # A search changes nothing: viewers may search although it is a POST.
    required_scope = "read"

    @extend_schema(
        tags=["code search"],
        summary="Semantic code search",
        description="Hybrid retrieval over the organisation's indexed code: pgvector similarity and full-text rank "
        "fused with reciprocal-rank fusion, filtered by organisation, repository, language, path prefix and kind "
        "before ranking. Each result carries the unresolved findings inside its line span.",
        request=CodeSearchInputSerializer,
        responses={200: CodeSearchOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        serializer = CodeSearchInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        org = request.auth.organization
        hits = selectors.code_search(
            organization=org,
            query=data["query"],
            repository=_repository(org, data.get("repository_id")),
            language=data.get("language") or None,
            path=data.get("path") or None,
            kind=data.get("kind") or None,
            top_k=data["top_k"],
            mode=data["mode"],
        )
        body = {"query": data["query"], "mode": data["mode"], "model": current_model_id(), "results": hits}
        return Response(CodeSearchOutputSerializer(body).data)


class CodeAskView(APIView):
    required_scope = "read"

    @extend_schema(
        tags=["code search"],
        summary="Ask a question about the code",
        description="Retrieves the best chunks, then asks the configured LLM to answer only from these numbered "
        "sources and cite them as [n]; citations of sources that do not exist are removed. 503 LLM_NOT_CONFIGURED "
        "without an LLM, 402 on plans without the feature, 429 past the plan's questions per hour.",
        request=CodeAskInputSerializer,
        responses={200: CodeAskOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        serializer = CodeAskInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        org = request.auth.organization
        result = services.codesearch_ask(
            organization=org,
            question=data["question"],
            repository=_repository(org, data.get("repository_id")),
            top_k=data["top_k"],
        )
        return Response(CodeAskOutputSerializer(result).data)


class CodeEmbeddingStatusView(APIView):
    @extend_schema(
        tags=["code search"],
        summary="Embedding coverage",
        description="Chunks indexed, chunks embedded with the current model, coverage, pending, model, dimensions, "
        "and the indexing state of each repository.",
        parameters=[OpenApiParameter("repository_id", str, description="Only this repository (UUID).")],
        responses={200: CodeEmbeddingStatusOutputSerializer},
    )
    def get(self, request: Request) -> Response:
        serializer = CodeEmbeddingStatusInputSerializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        org = request.auth.organization
        status = selectors.embedding_status(
            organization=org, repository=_repository(org, serializer.validated_data.get("repository_id"))
        )
        return Response(CodeEmbeddingStatusOutputSerializer(status).data)
