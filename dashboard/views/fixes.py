"""Fix proposals: list, detail (coloured diff, validation evidence, preview, audit trail) and the
review actions (approve, reject with reason, reopen, apply, preview), through the fixes services."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.paginator import EmptyPage, Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse

from analysis.models import Repository
from dashboard.access import OrgView, form_data, redirect_to, validated
from dashboard.highlight import diff_lines
from fixes import services
from fixes.models import FixProposal, FixProposalEvent, FixStatus
from fixes.selectors import fixes_filter
from fixes.serializers import (
    FixProposalListQueryInputSerializer,
    FixProposalRejectInputSerializer,
    FixProposalReopenInputSerializer,
)

PAGE_SIZE = 25


class FixListView(OrgView):
    nav = "fixes"

    def get(self, request: HttpRequest) -> HttpResponse:
        data = form_data(request)
        page_number = data.pop("page", "1")
        params = validated(FixProposalListQueryInputSerializer, data)
        queryset = fixes_filter(
            FixProposal.objects.for_org(self.org).select_related("repository", "finding").order_by("-created_at"), params
        )
        paginator = Paginator(queryset, PAGE_SIZE)
        try:
            page = paginator.page(int(page_number) if str(page_number).isdigit() else 1)
        except EmptyPage:
            page = paginator.page(paginator.num_pages)
        context = {
            "page": page,
            "proposals": list(page.object_list),
            "values": data,
            "statuses": FixStatus.choices,
            "repositories": list(Repository.objects.for_org(self.org).order_by("name").values_list("id", "name")),
        }
        return self.render("dashboard/fixes.html", context)


class FixDetailView(OrgView):
    nav = "fixes"

    def get(self, request: HttpRequest, pk: UUID) -> HttpResponse:
        proposal = self.get_object_or_404(
            FixProposal.objects.select_related(
                "repository", "finding", "approved_by", "rejected_by", "applied_by"
            ).prefetch_related(
                Prefetch("events", queryset=FixProposalEvent.objects.select_related("actor").order_by("created_at", "id"))
            ),
            "Fix proposal not found",
            pk=pk,
        )
        context = {
            "proposal": proposal,
            "diff_lines": diff_lines(proposal.diff),
            "is_pending": proposal.status == FixStatus.PENDING,
        }
        return self.render("dashboard/fix.html", context)


class FixActionView(OrgView):
    """POST /app/fixes/<id>/<action>/: one review action, then back to the proposal's page."""

    DONE = {
        "approve": "Fix approved.",
        "reject": "Fix rejected.",
        "reopen": "Fix sent back to review.",
        "apply": "Fix applied.",
        "preview": "Preview finished.",
    }

    def post(self, request: HttpRequest, pk: UUID, action: str) -> HttpResponse:
        proposal = self.get_object_or_404(
            FixProposal.objects.select_related("repository", "finding"), "Fix proposal not found", pk=pk
        )
        if action == "approve":
            services.fix_approve(proposal=proposal, actor=request.user)
        elif action == "reject":
            reason = validated(FixProposalRejectInputSerializer, form_data(request))["reason"]
            services.fix_reject(proposal=proposal, actor=request.user, reason=reason)
        elif action == "reopen":
            reason = validated(FixProposalReopenInputSerializer, form_data(request))["reason"]
            services.fix_reopen(proposal=proposal, actor=request.user, reason=reason)
        elif action == "apply":
            services.fix_apply(proposal=proposal, actor=request.user)
        elif action == "preview":
            services.fix_preview(proposal=proposal, actor=request.user)
        messages.success(request, self.DONE[action])
        return redirect_to("dashboard:fix", proposal.pk)
