"""Settings: API keys (created once-shown, revoked) and members with their roles."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse

from accounts import services as account_services
from accounts.models import ApiKey, Membership, Role, Scope
from accounts.serializers import ApiKeyCreateInputSerializer
from dashboard.access import OrgView, form_data, parse_uuid, redirect_to, validated
from repotoire.api.exceptions import ApplicationError, ValidationFailed


class SettingsView(OrgView):
    nav = "settings"

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render("dashboard/settings.html")


class ApiKeysView(OrgView):
    nav = "settings"
    read_role = Role.ADMIN
    write_role = Role.ADMIN

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.page()

    def page(self, *, values: dict | None = None, error: str = "", fields: dict | None = None, status: int = 200) -> HttpResponse:
        keys = list(ApiKey.objects.for_org(self.org).select_related("created_by").order_by("-created_at"))
        context = {
            "keys": keys,
            "roles": Role.choices,
            "scopes": Scope.choices,
            "values": values or {"role": Role.MEMBER},
            "error": error,
            "fields": fields or {},
            "new_key": self.request.session.pop("dashboard_new_key", None),
        }
        return self.render("dashboard/settings_keys.html", context, status=status)

    def post(self, request: HttpRequest) -> HttpResponse:
        data = form_data(request, lists=("scopes",))
        try:
            key, raw = account_services.apikey_create(
                organization=self.org,
                created_by=request.user,
                creator_role=self.role,
                **validated(ApiKeyCreateInputSerializer, data),
            )
        except ApplicationError as exc:
            return self.page(values=data, error=exc.detail, fields=exc.fields, status=exc.status_code)
        # Shown once: kept in the session only until the next page view pops it.
        request.session["dashboard_new_key"] = {"name": key.name, "key": raw}
        return redirect_to("dashboard:settings-keys")


class ApiKeyRevokeView(OrgView):
    write_role = Role.ADMIN

    def post(self, request: HttpRequest, pk: UUID) -> HttpResponse:
        key = self.get_object_or_404(ApiKey.objects, "API key not found", pk=pk)
        account_services.apikey_revoke(key=key, actor_role=self.role)
        messages.success(request, f"Revoked {key.name}.")
        return redirect_to("dashboard:settings-keys")


class MembersView(OrgView):
    """Members and roles: add a person (an existing account joins as it is; a new one gets an
    initial password), change a role, remove — the accounts services' rules and wording."""

    nav = "settings"
    read_role = Role.ADMIN
    write_role = Role.ADMIN

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.page()

    def page(self, *, values: dict | None = None, error: str = "", fields: dict | None = None, status: int = 200) -> HttpResponse:
        members = list(
            Membership.objects.for_org(self.org).filter(user__is_service=False).select_related("user").order_by("user__email")
        )
        context = {
            "members": members,
            "roles": Role.choices,
            "values": values or {"role": Role.MEMBER},
            "error": error,
            "fields": fields or {},
        }
        return self.render("dashboard/settings_members.html", context, status=status)

    def post(self, request: HttpRequest) -> HttpResponse:
        if request.POST.get("action") == "add":
            return self.add(request)
        membership = self.get_object_or_404(
            Membership.objects.select_related("organization", "user"),
            "Member not found",
            pk=parse_uuid(request.POST.get("membership"), "Member not found"),
        )
        if request.POST.get("action") == "remove":
            account_services.membership_remove(membership=membership, actor_role=self.role)
            messages.success(request, f"Removed {membership.user.email or membership.user.username}.")
        else:
            role = request.POST.get("role", "")
            if role not in Role.values:
                raise ValidationFailed("role: not a valid choice", fields={"role": [f'"{role}" is not a valid choice.']})
            account_services.membership_set_role(membership=membership, role=role, actor_role=self.role)
            messages.success(request, f"{membership.user.email or membership.user.username} is now {role}.")
        return redirect_to("dashboard:settings-members")

    def add(self, request: HttpRequest) -> HttpResponse:
        values = {"email": request.POST.get("email", "").strip(), "role": request.POST.get("role", "")}
        try:
            membership, created = account_services.membership_add(
                organization=self.org, actor_role=self.role, password=request.POST.get("password", ""), **values
            )
        except ApplicationError as exc:
            return self.page(values=values, error=exc.detail, fields=exc.fields, status=exc.status_code)
        how = "with the initial password you chose" if created else "with their existing account"
        messages.success(request, f"Added {membership.user.email} as {membership.role}; they sign in {how}.")
        return redirect_to("dashboard:settings-members")
