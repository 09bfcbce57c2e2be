"""Staff views of repositories and analysis runs (writes go through the services)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path, reverse
from django.utils.html import format_html

from analysis import selectors, services
from analysis.engine.reports import render
from analysis.models import AnalysisRun, Repository, RunStatus
from analysis.sources import redact_clone_url
from repotoire.admin_site import without_delete_selected
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
        "__str__",
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
    readonly_fields = ["report_and_findings", *(f.name for f in AnalysisRun._meta.fields)]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        # A run is history (scores, trend, findings' first/last seen): cancel it, don't delete it.
        return without_delete_selected(super().get_actions(request))

    def get_urls(self) -> list[Any]:
        report = self.admin_site.admin_view(self.report_view)
        return [path("<uuid:run_id>/report/", report, name="analysis_analysisrun_report"), *super().get_urls()]

    def report_view(self, request: HttpRequest, run_id: str) -> HttpResponse:
        """The run's HTML report, for staff of any organisation (the API shows a user's own only)."""
        run = AnalysisRun.objects.filter(pk=run_id, status=RunStatus.COMPLETED).first()
        if run is None or not self.has_view_permission(request, run):
            raise Http404("No completed analysis run with this id")
        body = render(services.report_result(run), "html", selectors.analysis_report_context(run=run))
        return HttpResponse(body, content_type="text/html; charset=utf-8")

    @admin.display(description="Report and findings")
    def report_and_findings(self, run: AnalysisRun) -> str:
        findings = reverse("admin:findings_finding_changelist") + f"?run={run.pk}"
        if run.status != RunStatus.COMPLETED:
            return format_html('<a href="{}">Findings seen in this run</a> (a report exists once it completes)', findings)
        report = reverse("admin:analysis_analysisrun_report", args=[run.pk])
        return format_html('<a href="{}">HTML report</a> · <a href="{}">Findings seen in this run</a>', report, findings)

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
