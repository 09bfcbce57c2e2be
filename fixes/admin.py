from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from fixes.models import FixProposal, FixProposalEvent
from repotoire.admin_site import diff_block


class FixProposalEventInline(admin.TabularInline):
    model = FixProposalEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "from_status", "to_status", "actor", "reason", "data"]
    readonly_fields = fields
    ordering = ["created_at", "id"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(FixProposal)
class FixProposalAdmin(admin.ModelAdmin):
    """Read-only: proposals change state through the API's review workflow (audited)."""

    list_display = ["__str__", "organization", "repository", "source", "status", "confidence_label", "created_at"]
    list_filter = ["status", "provenance", "confidence_label"]
    search_fields = ["id", "source", "title", "finding__path", "repository__name", "organization__slug"]
    list_select_related = ["organization", "repository"]
    date_hierarchy = "created_at"
    inlines = [FixProposalEventInline]
    readonly_fields = [*(f.name for f in FixProposal._meta.fields), "diff_view"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        return ["diff_view" if f == "diff" else f for f in super().get_fields(request, obj) if f != "diff_view"]

    @admin.display(description="Diff")
    def diff_view(self, proposal: FixProposal) -> str:
        return diff_block(proposal.diff)


@admin.register(FixProposalEvent)
class FixProposalEventAdmin(admin.ModelAdmin):
    list_display = ["proposal", "from_status", "to_status", "actor", "created_at"]
    list_filter = ["to_status"]
    list_select_related = ["proposal", "actor"]
    readonly_fields = [f.name for f in FixProposalEvent._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
