"""An analysis run: live progress (SSE), then its summary, new/fixed findings and reports."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest, HttpResponse

from analysis import services as analysis_services
from analysis.models import AnalysisRun
from dashboard.access import OrgView, redirect_to
from findings.models import Finding, Severity

# (label, ?format=) of GET /api/v1/analysis/{id}/report, which the browser fetches with its session.
SEVERITIES = [s.value for s in Severity]  # critical first
REPORTS = (("HTML", "html"), ("SARIF", "sarif"), ("Markdown", "markdown"), ("JSON", "json"))


class RunDetailView(OrgView):
    nav = "repositories"

    def get(self, request: HttpRequest, pk: UUID) -> HttpResponse:
        run = self.get_object_or_404(AnalysisRun.objects.select_related("repository"), "Analysis not found", pk=pk)
        previous = (
            AnalysisRun.objects.for_org(self.org)
            .completed()
            .filter(repository_id=run.repository_id, queued_at__lt=run.queued_at)
            .order_by("-queued_at")
            .only("id", "health_score", "grade", "queued_at")
            .first()
        )
        findings = Finding.objects.for_org(self.org)
        context = {
            "run": run,
            "previous": previous,
            "delta": (run.health_score - previous.health_score)
            if previous and previous.health_score is not None and run.health_score is not None
            else None,
            "new_count": findings.filter(first_seen_run=run).count() if run.status == "completed" else None,
            "fixed_count": findings.filter(fixed_in_run=run).count() if run.status == "completed" else None,
            "reports": REPORTS,
            "severity_counts": [(sev, run.findings_counts.get(sev, 0)) for sev in SEVERITIES],
            "suppressed": run.findings_counts.get("suppressed", 0),
        }
        return self.render("dashboard/run.html", context)


class RunCancelView(OrgView):
    def post(self, request: HttpRequest, pk: UUID) -> HttpResponse:
        run = self.get_object_or_404(AnalysisRun.objects.select_related("organization"), "Analysis not found", pk=pk)
        analysis_services.analysis_cancel(run=run)
        return redirect_to("dashboard:run", run.pk)
