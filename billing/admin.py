"""Billing in the admin: each organisation's plan, subscription status and usage, and staff
plan overrides (which need a reason and record who set them and when)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest

from accounts.admin import OrganizationAdmin
from accounts.models import Organization
from billing import services
from billing.entitlements import plan_decision
from billing.models import BillingAccount
from billing.plans import PLAN_CHOICES
from billing.selectors import subscription_overview


class PlanOverrideForm(forms.ModelForm):
    override_plan = forms.ChoiceField(choices=[("", "— no override —"), *PLAN_CHOICES], required=False)

    class Meta:
        model = BillingAccount
        fields = ["override_plan", "override_reason"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("override_plan") and not (data.get("override_reason") or "").strip():
            self.add_error("override_reason", "Say why this organisation gets another plan.")
        return data


READONLY_STATE = [
    "organization",
    "effective_plan",
    "subscribed_plan",
    "status",
    "seats",
    "current_period_end",
    "cancel_at_period_end",
    "past_due_since",
    "stripe_subscription_id",
    "last_event_id",
    "last_event_at",
    "override_by",
    "override_at",
    "usage",
]


class NewBillingAccountForm(PlanOverrideForm):
    """A billing row for an organisation that has none yet (optionally with a staff plan override)."""

    class Meta(PlanOverrideForm.Meta):
        fields = ["organization", "override_plan", "override_reason"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = Organization.objects.filter(billing_account__isnull=True).order_by("name")
        self.fields["organization"].help_text = "Organisations that have no billing account yet."


def _effective(account: BillingAccount) -> str:
    decision = plan_decision(account.organization)
    return f"{decision.plan.name} ({decision.source})"


def _usage(account: BillingAccount) -> str:
    usage = subscription_overview(account.organization)["usage"]

    def show(counter: dict[str, Any]) -> str:
        return f"{counter['used'] if counter['used'] is not None else '–'} / {counter['limit'] if counter['limit'] is not None else '∞'}"

    return (
        f"analyses this hour {show(usage['analyses_this_hour'])}; API calls this minute "
        f"{show(usage['api_calls_this_minute'])}; repositories {show(usage['repositories'])}; seats {show(usage['seats'])}"
    )


def _save_override(request: HttpRequest, account: BillingAccount, form: forms.ModelForm) -> None:
    plan, reason = form.cleaned_data.get("override_plan"), form.cleaned_data.get("override_reason") or ""
    org = account.organization
    if plan:
        services.billing_override_set(organization=org, plan=plan, reason=reason, by=request.user)
    else:
        services.billing_override_clear(organization=org)


@admin.register(BillingAccount)
class BillingAccountAdmin(admin.ModelAdmin):
    form = PlanOverrideForm
    list_display = ["organization", "effective_plan", "subscribed_plan", "status", "seats", "current_period_end", "override_plan"]
    list_filter = ["status", "subscribed_plan", "override_plan"]
    search_fields = ["organization__slug", "organization__name", "stripe_subscription_id", "organization__stripe_customer_id"]
    list_select_related = ["organization"]
    readonly_fields = READONLY_STATE
    fields = [*READONLY_STATE[:-3], "override_plan", "override_reason", "override_by", "override_at", "usage"]

    def get_form(self, request: HttpRequest, obj: BillingAccount | None = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = NewBillingAccountForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: BillingAccount | None = None) -> list[str]:
        return ["organization", "override_plan", "override_reason"] if obj is None else list(self.fields)

    def get_readonly_fields(self, request: HttpRequest, obj: BillingAccount | None = None) -> list[str]:
        return [] if obj is None else list(self.readonly_fields)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="Effective plan")
    def effective_plan(self, account: BillingAccount) -> str:
        return _effective(account)

    @admin.display(description="Usage")
    def usage(self, account: BillingAccount) -> str:
        return _usage(account)

    def save_model(self, request: HttpRequest, obj: BillingAccount, form: forms.ModelForm, change: bool) -> None:
        # The service writes the row (created on first need), who and when included.
        _save_override(request, obj, form)
        obj.pk = BillingAccount.objects.get(organization=obj.organization).pk
        messages.info(request, f"{obj.organization}: now on {_effective(obj)}")


class BillingAccountInline(admin.StackedInline):
    model = BillingAccount
    form = PlanOverrideForm
    can_delete = False
    extra = 1
    max_num = 1
    verbose_name = verbose_name_plural = "Billing"
    readonly_fields = [f for f in READONLY_STATE if f != "organization"]
    fields = [*readonly_fields[:-3], "override_plan", "override_reason", "override_by", "override_at", "usage"]

    def effective_plan(self, account: BillingAccount) -> str:
        return _effective(account) if account.pk else "–"

    def usage(self, account: BillingAccount) -> str:
        return _usage(account) if account.pk else "–"


# The organisation page shows billing too; its plan column is a label that billing keeps in step.
admin.site.unregister(Organization)


@admin.register(Organization)
class OrganizationBillingAdmin(OrganizationAdmin):
    inlines = [*OrganizationAdmin.inlines, BillingAccountInline]
    readonly_fields = [*OrganizationAdmin.readonly_fields, "plan", "stripe_customer_id"]

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not BillingAccount:
            return super().save_formset(request, form, formset, change)
        # The service writes the row (who/when included); the admin's change log reads these.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline_form in formset.forms:
            if not inline_form.has_changed():
                continue
            account = inline_form.instance
            created = account.pk is None
            account.organization = form.instance
            _save_override(request, account, inline_form)
            if created:
                formset.new_objects.append(BillingAccount.objects.get(organization=form.instance))
            else:
                formset.changed_objects.append((account, inline_form.changed_data))
        return None
