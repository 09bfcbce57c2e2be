"""Billing (plan, usage against limits, Stripe checkout and portal) and GitHub (installations,
their repositories, quality gates), through the billing and github_app services."""

from __future__ import annotations

from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from accounts.models import Role
from analysis.services import concurrency_usage
from billing import selectors as billing_selectors
from billing import services as billing_services
from billing.plans import PAID_PLAN_CHOICES
from billing.serializers import BillingCheckoutInputSerializer, BillingPortalInputSerializer
from dashboard.access import OrgView, form_data, redirect_to, validated
from github_app import services as github_services
from github_app.models import GithubInstallation, GithubRepository
from github_app.serializers import GithubQualityGateSerializer, GithubReposSetInputSerializer

GATE_FIELDS = list(GithubQualityGateSerializer.Meta.fields)
GATE_FLAGS = ("gate_enabled", "fail_on_new_security", "fail_on_new_import_cycle", "fail_on_hotspot_complexity")
# What a person reads beside each condition (the API's field names are for programs).
GATE_LABELS = {
    "gate_enabled": "Check pull requests",
    "min_health_score": "Minimum health score",
    "max_new_critical": "Most new critical findings",
    "max_new_high": "Most new high findings",
    "max_new_findings": "Most new findings",
    "fail_on_new_security": "Fail on any new security finding",
    "fail_on_new_import_cycle": "Fail on a new import cycle",
    "fail_on_hotspot_complexity": "Fail when a top-10 hotspot gets more complex",
    "max_score_drop": "Largest score drop",
    "gate_min_confidence": "Ignore findings below confidence (0–1)",
}


class BillingView(OrgView):
    nav = "settings"
    read_role = Role.ADMIN
    write_role = Role.OWNER

    def get(self, request: HttpRequest) -> HttpResponse:
        context = {
            "overview": billing_selectors.subscription_overview(self.org),
            "concurrency": concurrency_usage(self.org),
            "plans": billing_selectors.plans_list(),
            "paid_plans": PAID_PLAN_CHOICES,
        }
        return self.render("dashboard/settings_billing.html", context)

    def post(self, request: HttpRequest) -> HttpResponse:
        back = request.build_absolute_uri("/app/settings/billing/")
        if request.POST.get("action") == "portal":
            url = billing_services.billing_portal_create(
                organization=self.org, **validated(BillingPortalInputSerializer, {"return_url": back})
            )
            return HttpResponseRedirect(url)
        data = {**form_data(request), "success_url": back + "?checkout=success", "cancel_url": back}
        data.pop("action", None)
        session = billing_services.billing_checkout_create(
            organization=self.org, **validated(BillingCheckoutInputSerializer, data)
        )
        return HttpResponseRedirect(session.checkout_url)


class GithubView(OrgView):
    nav = "settings"

    def get(self, request: HttpRequest) -> HttpResponse:
        repos = GithubRepository.objects.filter(removed_at__isnull=True).select_related("repository").order_by("full_name")
        installations = list(
            GithubInstallation.objects.for_org(self.org)
            .annotate(repository_count=Count("repositories", filter=Q(repositories__removed_at__isnull=True)))
            .prefetch_related(Prefetch("repositories", queryset=repos, to_attr="live_repositories"))
            .order_by("account_login", "installation_id")
        )
        context = {
            "installations": installations,
            "github_enabled": settings.GITHUB_ENABLED,
            "gate_fields": [(f, GATE_LABELS[f]) for f in GATE_FIELDS if f not in GATE_FLAGS],
            "gate_flags": [(f, GATE_LABELS[f]) for f in GATE_FLAGS],
        }
        return self.render("dashboard/settings_github.html", context)


class GithubInstallView(OrgView):
    write_role = Role.ADMIN

    def post(self, request: HttpRequest) -> HttpResponse:
        return HttpResponseRedirect(github_services.github_install_url(organization=self.org)["url"])


class GithubReposView(OrgView):
    def post(self, request: HttpRequest, pk: UUID) -> HttpResponse:
        installation = self.get_object_or_404(GithubInstallation.objects, "Installation not found", pk=pk)
        data = form_data(request, lists=("repo_ids",))
        data["enabled"] = request.POST.get("enabled") == "true"
        github_services.github_repos_set_enabled(installation=installation, **validated(GithubReposSetInputSerializer, data))
        messages.success(request, "Repositories enabled." if data["enabled"] else "Repositories disabled.")
        return redirect_to("dashboard:settings-github")


class GithubGateView(OrgView):
    def post(self, request: HttpRequest, pk: UUID) -> HttpResponse:
        repo = self.get_object_or_404(GithubRepository.objects, "Repository not found", pk=pk)
        data: dict[str, object] = {
            name: request.POST.get(name, "").strip() or None for name in GATE_FIELDS if name not in GATE_FLAGS
        }
        data.update({flag: flag in request.POST for flag in GATE_FLAGS})
        github_services.github_quality_gate_update(github_repository=repo, **validated(GithubQualityGateSerializer, data))
        messages.success(request, f"Quality gate of {repo.full_name} saved.")
        return redirect_to("dashboard:settings-github")
