"""Staff views of repositories and analysis runs (writes go through the services)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from analysis import services
from analysis.models import AnalysisRun, Repository
from analysis.sources import redact_clone_url
from repotoire.api.exceptions import ApplicationError


@admin.register(Repository)
class RepositoryAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "organization",
        "provider",
        "safe_clone_url",
        "last_grade",
        "last_score",
        "last_analyzed_at",
        "is_active",
    )
    list_filter = ("provider", "is_active", "last_grade")
    search_fields = ("name", "organization__slug", "organization__name")
    list_select_related = ("organization",)
    readonly_fields = ("last_commit_sha", "last_score", "last_grade", "last_analyzed_at", "created_at", "updated_at")
    raw_id_fields = ("organization",)

    @admin.display(description="Clone URL")
    def safe_clone_url(self, obj: Repository) -> str:
        return redact_clone_url(obj.clone_url)


@admin.register(AnalysisRun)
class AnalysisRunAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "repository",
        "organization",
        "status",
        "trigger",
        "progress_percent",
        "grade",
        "health_score",
        "error_code",
        "queued_at",
        "finished_at",
    )
    list_filter = ("status", "trigger", "error_code", "grade")
    search_fields = ("id", "repository__name", "organization__slug", "commit_sha")
    list_select_related = ("repository", "organization")
    date_hierarchy = "queued_at"
    actions = ("rerun_analysis", "cancel_analysis")
    readonly_fields = [f.name for f in AnalysisRun._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Re-run analysis")
    def rerun_analysis(self, request: HttpRequest, queryset: QuerySet[AnalysisRun]) -> None:
        queued = 0
        for run in queryset.select_related("organization", "repository"):
            try:
                services.analysis_rerun(run=run, created_by=request.user)
                queued += 1
            except ApplicationError as exc:
                self.message_user(request, f"{run.repository}: {exc.detail}", messages.WARNING)
        if queued:
            self.message_user(request, f"Queued {queued} analyses.", messages.SUCCESS)

    @admin.action(description="Cancel analysis")
    def cancel_analysis(self, request: HttpRequest, queryset: QuerySet[AnalysisRun]) -> None:
        cancelled = 0
        for run in queryset.select_related("organization", "repository"):
            try:
                services.analysis_cancel(run=run)
                cancelled += 1
            except ApplicationError as exc:
                self.message_user(request, f"{run.repository}: {exc.detail}", messages.WARNING)
        if cancelled:
            self.message_user(request, f"Cancelled {cancelled} analyses.", messages.SUCCESS)
