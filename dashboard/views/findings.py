"""Findings: the filterable table, a finding's page, single and bulk triage, request a fix."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.paginator import EmptyPage, Paginator
from django.http import HttpRequest, HttpResponse

from analysis.models import Repository
from dashboard.access import OrgView, form_data, redirect_to, safe_next, validated
from findings import selectors, services
from findings.filters import ORDERINGS, FindingListQueryInputSerializer, filter_findings
from findings.models import TRIAGE_STATUSES, FileRole, Finding, FindingKind, FindingLanguage, FindingStatus, Severity
from findings.serializers import FindingBulkTriageInputSerializer, FindingTriageInputSerializer
from fixes import services as fix_services
from fixes.models import FixProposal
from repotoire.api.exceptions import ApplicationError, ValidationFailed

PAGE_SIZES = (25, 50, 100)
# The table's columns only: snippets, messages and metadata stay in the database.
LIST_FIELDS = ("id", "title", "severity", "kind", "role", "path", "line", "detector", "status", "repository__name")
FILTER_LISTS = ("severity", "status")
SORTS = {"severity": "Severity", "file": "File", "detector": "Detector", "created": "Newest last", "-created": "Newest first"}


def _page_size(value: Any) -> int:
    try:
        size = int(value)
    except (TypeError, ValueError):
        return PAGE_SIZES[0]
    return size if size in PAGE_SIZES else PAGE_SIZES[0]


class FindingListView(OrgView):
    nav = "findings"

    def get(self, request: HttpRequest) -> HttpResponse:
        data = form_data(request, lists=FILTER_LISTS)
        page_number, page_size = data.pop("page", "1"), _page_size(data.pop("page_size", None))
        error, fields = "", {}
        try:
            params = validated(FindingListQueryInputSerializer, data)
            scope = filter_findings(
                Finding.objects.for_org(self.org).select_related("repository").only(*LIST_FIELDS),
                organization=self.org,
                params=params,
            )
            queryset = scope.queryset
        except ApplicationError as exc:
            if exc.status_code == 404:
                raise
            error, fields, queryset = exc.detail, exc.fields or {}, Finding.objects.none()
        paginator = Paginator(queryset, page_size)
        try:
            page = paginator.page(int(page_number) if str(page_number).isdigit() else 1)
        except EmptyPage:
            page = paginator.page(paginator.num_pages)
        findings = list(page.object_list)
        for finding in findings:  # a run's own line when the list is one run's, else the current one
            finding.shown_line = getattr(finding, "run_line", None) or finding.line
        context = {
            "page": page,
            "findings": findings,
            "values": data,
            "selected_severity": data.get("severity", []),
            "selected_status": data.get("status", []),
            "page_size": page_size,
            "page_sizes": PAGE_SIZES,
            "repositories": list(Repository.objects.for_org(self.org).order_by("name").values_list("id", "name")),
            "severities": Severity.choices,
            "statuses": FindingStatus.choices,
            "kinds": FindingKind.choices,
            "roles": FileRole.choices,
            "languages": FindingLanguage.choices,
            "triage_statuses": [(s.value, s.label) for s in TRIAGE_STATUSES],
            "categories": sorted({spec["category"] for spec in selectors.detector_specs().values()}),
            "detectors": sorted(selectors.detector_specs()),
            "sorts": SORTS,
            "orderings": list(ORDERINGS),
            "error": error,
            "fields": fields,
        }
        template = (
            "dashboard/findings_table.html"
            if request.htmx and request.htmx.target == "findings-results"
            else "dashboard/findings.html"
        )
        return self.render(template, context, status=400 if error else 200)


class FindingBulkTriageView(OrgView):
    def post(self, request: HttpRequest) -> HttpResponse:
        data = form_data(request, lists=("ids",))
        back = safe_next(request, "/app/findings/")
        try:
            params = validated(FindingBulkTriageInputSerializer, data)
            findings = services.findings_triage_bulk(organization=self.org, actor=request.user, **params)
        except ApplicationError as exc:
            if exc.status_code == 404:
                raise
            messages.error(request, exc.detail)
        else:
            messages.success(
                request,
                f"{len(findings)} finding{'s' if len(findings) != 1 else ''} set to {params['status'].replace('_', ' ')}.",
            )
        response = HttpResponse(status=303)
        response["Location"] = back
        return response


class FindingDetailView(OrgView):
    nav = "findings"

    def get(self, request: HttpRequest, pk: UUID) -> HttpResponse:
        finding = self.get_object_or_404(Finding.objects.select_related("repository", "triaged_by"), "Finding not found", pk=pk)
        return self.page(finding)

    def page(
        self, finding: Finding, *, error: str = "", fields: dict[str, list[str]] | None = None, status: int = 200
    ) -> HttpResponse:
        selectors.finding_with_history(finding)
        proposals = list(FixProposal.objects.for_org(self.org).filter(finding=finding).order_by("-created_at")[:5])
        context = {
            "finding": finding,
            "spec": selectors.detector_specs().get(finding.detector, {}),
            "proposals": proposals,
            "triage_statuses": [(s.value, s.label) for s in TRIAGE_STATUSES],
            "error": error,
            "fields": fields or {},
        }
        return self.render("dashboard/finding.html", context, status=status)

    def post(self, request: HttpRequest, pk: UUID) -> HttpResponse:
        finding = self.get_object_or_404(Finding.objects.select_related("repository", "triaged_by"), "Finding not found", pk=pk)
        try:
            params = validated(FindingTriageInputSerializer, form_data(request))
            services.finding_triage(finding=finding, actor=request.user, **params)
        except ValidationFailed as exc:
            return self.page(finding, error=exc.detail, fields=exc.fields, status=400)
        messages.success(request, f"Status set to {finding.get_status_display().lower()}.")
        return redirect_to("dashboard:finding", finding.pk)


class FindingFixRequestView(OrgView):
    def post(self, request: HttpRequest, pk: UUID) -> HttpResponse:
        finding = self.get_object_or_404(Finding.objects.select_related("repository"), "Finding not found", pk=pk)
        proposal, created = fix_services.fix_request(finding=finding, requested_by=request.user)
        messages.success(request, "Fix requested: it is being generated." if created else "A fix proposal already exists.")
        return redirect_to("dashboard:fix", proposal.pk)
