"""Repositories: list, add, page (trend, pillars, counts, recent analyses), analyse, settings, delete."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse

from analysis import selectors as analysis_selectors
from analysis import services as analysis_services
from analysis.models import AnalysisRun, Repository
from analysis.serializers import RepositoryCreateInputSerializer, RepositoryUpdateInputSerializer
from analysis.sources import redact_clone_url
from dashboard import charts
from dashboard.access import OrgView, form_data, redirect_to, validated
from findings.filters import apply_facets
from findings.models import SEVERITY_RANK, Finding
from findings.selectors import findings_summary
from history.selectors import history_top_hotspots
from repotoire.api.exceptions import ApplicationError

RECENT_RUNS = 10
TOP_HOTSPOTS = 10
TREND_POINTS = 50


class RepositoryListView(OrgView):
    nav = "repositories"

    def get(self, request: HttpRequest) -> HttpResponse:
        rows = analysis_selectors.repositories_overview(organization=self.org)
        return self.render("dashboard/repositories.html", {"rows": rows})


class RepositoryCreateView(OrgView):
    nav = "repositories"
    read_role = "member"

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render("dashboard/repository_form.html", {"values": {}, "creating": True})

    def post(self, request: HttpRequest) -> HttpResponse:
        data = form_data(request)
        try:
            repo = analysis_services.repository_create(organization=self.org, **validated(RepositoryCreateInputSerializer, data))
        except ApplicationError as exc:
            context = {"values": data, "creating": True, "error": exc.detail, "fields": exc.fields or {}}
            return self.render("dashboard/repository_form.html", context, status=exc.status_code)
        messages.success(request, f"Added {repo.name}.")
        return redirect_to("dashboard:repository", repo.pk)


class RepositoryDetailView(OrgView):
    nav = "repositories"

    def get(self, request: HttpRequest, pk: UUID) -> HttpResponse:
        repo = self.get_object_or_404(Repository.objects, "Repository not found", pk=pk)
        trend = analysis_selectors.repository_trend(organization=self.org, repository=repo, limit=TREND_POINTS)
        latest = trend[-1] if trend else None
        params = {"repository_id": repo.pk}
        findings = Finding.objects.for_org(self.org)
        # The counts are those of the findings list's default view (source files, above the
        # confidence floor: what the score weighs), so each count is what its link shows.
        summary = findings_summary(queryset=apply_facets(findings, {}), organization=self.org, params=params)
        everything = findings_summary(queryset=findings, organization=self.org, params=params)
        recent = list(AnalysisRun.objects.for_org(self.org).filter(repository=repo).order_by("-queued_at")[:RECENT_RUNS])
        chart = charts.trend_chart([(run.finished_at.strftime("%d %b %H:%M"), run.health_score) for run in trend])
        context = {
            "repo": repo,
            "clone_url": redact_clone_url(repo.clone_url),
            "latest": latest,
            "summary": summary,
            "left_out": everything["total"] - summary["total"],
            "severity_counts": sorted(summary["by_severity"].items(), key=lambda kv: -SEVERITY_RANK[kv[0]]),
            "recent": recent,
            "chart": chart,
            "active_run": next((r for r in recent if r.status in ("queued", "running")), None),
            "hotspots": history_top_hotspots(organization=self.org, repository=repo, limit=TOP_HOTSPOTS),
        }
        return self.render("dashboard/repository.html", context)


class RepositoryAnalyseView(OrgView):
    def post(self, request: HttpRequest, pk: UUID) -> HttpResponse:
        run = analysis_services.analysis_trigger(organization=self.org, repository_id=pk, created_by=request.user)
        return redirect_to("dashboard:run", run.pk)


class RepositorySettingsView(OrgView):
    nav = "repositories"
    read_role = "member"

    def get(self, request: HttpRequest, pk: UUID) -> HttpResponse:
        repo = self.get_object_or_404(Repository.objects, "Repository not found", pk=pk)
        values = {"name": repo.name, "clone_url": redact_clone_url(repo.clone_url), "default_branch": repo.default_branch}
        return self.render("dashboard/repository_form.html", {"repo": repo, "values": values, "is_active": repo.is_active})

    def post(self, request: HttpRequest, pk: UUID) -> HttpResponse:
        repo = self.get_object_or_404(Repository.objects, "Repository not found", pk=pk)
        data = form_data(request)
        data["is_active"] = "is_active" in request.POST
        data.setdefault("default_branch", "")
        if data.get("clone_url") == redact_clone_url(repo.clone_url):
            data.pop("clone_url")  # unchanged (and possibly masked): keep the stored one
        try:
            repo = analysis_services.repository_update(repository=repo, **validated(RepositoryUpdateInputSerializer, data))
        except ApplicationError as exc:
            context = {
                "repo": repo,
                "values": data,
                "is_active": data["is_active"],
                "error": exc.detail,
                "fields": exc.fields or {},
            }
            return self.render("dashboard/repository_form.html", context, status=exc.status_code)
        messages.success(request, "Settings saved.")
        return redirect_to("dashboard:repository", repo.pk)


class RepositoryDeleteView(OrgView):
    nav = "repositories"
    read_role = "member"

    def get(self, request: HttpRequest, pk: UUID) -> HttpResponse:
        repo = self.get_object_or_404(Repository.objects, "Repository not found", pk=pk)
        return self.render("dashboard/repository_delete.html", {"repo": repo})

    def post(self, request: HttpRequest, pk: UUID) -> HttpResponse:
        repo = self.get_object_or_404(Repository.objects, "Repository not found", pk=pk)
        if request.POST.get("confirm_name", "").strip() != repo.name:
            context = {"repo": repo, "error": "Type the repository's name to confirm"}
            return self.render("dashboard/repository_delete.html", context, status=400)
        name = repo.name
        analysis_services.repository_delete(repository=repo)
        messages.success(request, f"Deleted {name}.")
        return redirect_to("dashboard:repositories")
