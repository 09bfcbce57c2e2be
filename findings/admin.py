from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.models import Organization
from analysis.models import AnalysisRun
from findings.models import Finding, FindingStatus, FindingTriageEvent
from findings.services import MAX_BULK_TRIAGE, findings_triage_bulk
from repotoire.admin_site import code_block, without_delete_selected
from repotoire.api.exceptions import ApplicationError


class FindingTriageEventInline(admin.TabularInline):
    model = FindingTriageEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "from_status", "to_status", "reason", "expires_at", "actor", "source", "run"]
    readonly_fields = fields
    ordering = ["-created_at", "-id"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class DetectorListFilter(admin.SimpleListFilter):
    title = "detector"
    parameter_name = "detector"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        detectors = Finding.objects.order_by("detector").values_list("detector", flat=True).distinct()
        return [(d, d) for d in detectors]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Finding]) -> QuerySet[Finding]:
        return queryset.filter(detector=self.value()) if self.value() else queryset


class RunListFilter(admin.SimpleListFilter):
    """Findings seen in one analysis run (the run's page links here with ``?run=<id>``)."""

    title = "analysis run"
    parameter_name = "run"

    def _run(self) -> AnalysisRun | None:
        try:
            return AnalysisRun.objects.select_related("repository").filter(pk=self.value()).first()
        except (ValueError, ValidationError):
            return None

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        run = self._run() if self.value() else None
        return [(str(run.pk), str(run))] if run else []

    def queryset(self, request: HttpRequest, queryset: QuerySet[Finding]) -> QuerySet[Finding]:
        return queryset.filter(occurrences__run_id=self.value()) if self.value() and self._run() else queryset


def _triage_action(status: str, label: str) -> Any:
    def action(modeladmin: FindingAdmin, request: HttpRequest, queryset: QuerySet[Finding]) -> None:
        by_org: dict[Any, list[Any]] = defaultdict(list)
        for finding_id, org_id in queryset.values_list("id", "organization_id"):
            by_org[org_id].append(finding_id)
        done = 0
        try:
            for org_id, ids in by_org.items():
                org = Organization.objects.get(pk=org_id)
                for start in range(0, len(ids), MAX_BULK_TRIAGE):
                    chunk = ids[start : start + MAX_BULK_TRIAGE]
                    findings_triage_bulk(
                        organization=org,
                        ids=chunk,
                        actor=request.user,
                        status=status,
                        reason=f"{label} in the admin",
                        source=FindingTriageEvent.Source.ADMIN,
                    )
                    done += len(chunk)
        except ApplicationError as exc:
            modeladmin.message_user(request, f"{exc.detail} ({done} updated before the error)", messages.ERROR)
            return
        modeladmin.message_user(request, f"{done} finding(s): {label.lower()}.", messages.SUCCESS)

    action.__name__ = f"triage_{status}"
    return admin.action(description=f"{label} selected findings")(action)


@admin.register(Finding)
class FindingAdmin(admin.ModelAdmin):
    list_display = ["title", "repository", "severity", "status", "detector", "path", "line", "updated_at"]
    list_filter = [
        "severity",
        "status",
        DetectorListFilter,
        "category",
        ("repository", admin.RelatedOnlyFieldListFilter),
        RunListFilter,
    ]
    list_select_related = ["repository"]
    search_fields = ["title", "message", "path", "fingerprint", "id"]
    show_full_result_count = False
    raw_id_fields = ["repository", "first_seen_run", "last_seen_run", "fixed_in_run", "triaged_by"]
    readonly_fields = [
        "id",
        "organization",
        "fingerprint",
        "first_seen_run",
        "last_seen_run",
        "fixed_in_run",
        "reopened_count",
        "reopened_at",
        "triaged_by",
        "triaged_at",
        "created_at",
        "updated_at",
        "snippet_code",
    ]
    inlines = [FindingTriageEventInline]
    actions = [
        _triage_action(FindingStatus.ACKNOWLEDGED, "Acknowledge"),
        _triage_action(FindingStatus.ACCEPTED, "Accept"),
        _triage_action(FindingStatus.FALSE_POSITIVE, "Mark as false positive"),
        _triage_action(FindingStatus.OPEN, "Reopen"),
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:  # findings come from analyses
        return False

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        # Findings leave through triage (audited) or a later analysis, never a bulk delete.
        return without_delete_selected(super().get_actions(request))

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        return ["snippet_code" if f == "snippet" else f for f in super().get_fields(request, obj) if f != "snippet_code"]

    @admin.display(description="Snippet")
    def snippet_code(self, finding: Finding) -> str:
        return code_block(finding.snippet)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Read-only form: status changes go through the triage actions so that history is recorded.
        return False
