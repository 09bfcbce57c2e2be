"""Staff views of code search chunks and per-repository index state (writes go through services)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from codesearch import services
from codesearch.models import CodeChunk, CodeIndex


@admin.register(CodeChunk)
class CodeChunkAdmin(admin.ModelAdmin):
    list_display = (
        "qualname",
        "kind",
        "path",
        "start_line",
        "end_line",
        "repository",
        "organization",
        "embedding_model",
        "updated_at",
    )
    list_filter = ("kind", "language", "embedding_model")
    search_fields = ("qualname", "path", "repository__name", "organization__slug")
    list_select_related = ("repository", "organization")
    # The vector and the tsvector are not for editing (nor for rendering 384 numbers).
    exclude = ("embedding", "search_vector")
    readonly_fields = [f.name for f in CodeChunk._meta.fields if f.name not in ("embedding", "search_vector")] + ["is_embedded"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: CodeChunk | None = None) -> bool:
        return False

    @admin.display(boolean=True, description="Embedded")
    def is_embedded(self, obj: CodeChunk) -> bool:
        return obj.is_embedded


@admin.register(CodeIndex)
class CodeIndexAdmin(admin.ModelAdmin):
    list_display = ("repository", "organization", "status", "commit_sha", "chunks_total", "updated_at")
    list_filter = ("status",)
    search_fields = ("repository__name", "organization__slug", "commit_sha")
    list_select_related = ("repository", "organization")
    readonly_fields = [f.name for f in CodeIndex._meta.fields]
    actions = ("reindex", "reembed_pending")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Re-index the latest completed analysis")
    def reindex(self, request: HttpRequest, queryset: QuerySet[CodeIndex]) -> None:
        queued = sum(
            1 for index in queryset.select_related("repository") if services.codesearch_reindex(repository=index.repository)
        )
        self.message_user(request, f"Queued indexing of {queued} repositories.", messages.SUCCESS)

    @admin.action(description="Embed chunks lacking a current vector")
    def reembed_pending(self, request: HttpRequest, queryset: QuerySet[CodeIndex]) -> None:
        orgs = {index.organization for index in queryset.select_related("organization")}
        total = sum(services.codesearch_reembed_stale(organization=org)["chunks"] for org in orgs)
        self.message_user(request, f"Queued {total} chunks for embedding.", messages.SUCCESS)
