"""Code search and "ask the codebase", with the embedding coverage, through the codesearch
selectors and services (a search reads, so viewers may search and ask, as in the API)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse

from analysis.models import Repository
from codesearch import selectors, services
from codesearch.serializers import CodeAskInputSerializer, CodeSearchInputSerializer
from dashboard.access import OrgView, form_data, validated
from repotoire.api.exceptions import ApplicationError


class CodeView(OrgView):
    nav = "code"
    write_role = "viewer"

    def _repository(self, repository_id: Any) -> Repository | None:
        return self.get_object_or_404(Repository.objects, "Repository not found", pk=repository_id) if repository_id else None

    def get(self, request: HttpRequest) -> HttpResponse:
        data = form_data(request)
        context: dict[str, Any] = {"values": data, "hits": None, "error": ""}
        if data.get("query"):
            try:
                params = validated(CodeSearchInputSerializer, data)
                context["hits"] = selectors.code_search(
                    organization=self.org,
                    query=params["query"],
                    repository=self._repository(params.get("repository_id")),
                    language=params.get("language") or None,
                    path=params.get("path") or None,
                    kind=params.get("kind") or None,
                    top_k=params["top_k"],
                    mode=params["mode"],
                )
            except ApplicationError as exc:
                if exc.status_code == 404:
                    raise
                context["error"] = exc.detail
        return self.page(context)

    def post(self, request: HttpRequest) -> HttpResponse:
        data = form_data(request)
        context: dict[str, Any] = {"values": data, "hits": None, "error": "", "asked": True}
        try:
            params = validated(CodeAskInputSerializer, data)
            context["answer"] = services.codesearch_ask(
                organization=self.org,
                question=params["question"],
                repository=self._repository(params.get("repository_id")),
                top_k=params["top_k"],
            )
        except ApplicationError as exc:
            if exc.status_code == 404:
                raise
            return self.page({**context, "error": exc.detail}, status=exc.status_code)
        return self.page(context)

    def page(self, context: dict[str, Any], *, status: int = 200) -> HttpResponse:
        context["status"] = selectors.embedding_status(organization=self.org)
        context["repositories"] = list(Repository.objects.for_org(self.org).order_by("name").values_list("id", "name"))
        return self.render("dashboard/code.html", context, status=status)
