"""Customer webhooks: list, create (secret shown once), edit, delete, test, deliveries with their
attempts, redeliver and rotate the secret. Everyone reads; admins change (as in the API)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse

from accounts.models import Role
from analysis.models import Repository
from dashboard.access import OrgView, form_data, redirect_to, validated
from repotoire.api.exceptions import ApplicationError
from webhooks import services
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookDeliveryAttempt, WebhookEndpoint
from webhooks.serializers import (
    CustomerWebhookCreateInputSerializer,
    CustomerWebhookSecretRotateInputSerializer,
    CustomerWebhookUpdateInputSerializer,
)

DELIVERIES_SHOWN = 25
SECRET_SESSION_KEY = "dashboard_new_webhook_secret"


def _form_values(request: HttpRequest) -> dict[str, Any]:
    data = form_data(request, lists=("events",))
    data["is_active"] = "is_active" in request.POST
    data.setdefault("repository_id", None)
    return data


class WebhookListView(OrgView):
    nav = "settings"
    write_role = Role.ADMIN

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.page()

    def page(self, *, values: dict | None = None, error: str = "", fields: dict | None = None, status: int = 200) -> HttpResponse:
        context = {
            "endpoints": list(WebhookEndpoint.objects.for_org(self.org).order_by("name")),
            "event_types": services.EVENT_TYPES,
            "repositories": list(Repository.objects.for_org(self.org).order_by("name").values_list("id", "name")),
            "values": values or {"is_active": True, "events": []},
            "error": error,
            "fields": fields or {},
            "new_secret": self.request.session.pop(SECRET_SESSION_KEY, None),
        }
        return self.render("dashboard/settings_webhooks.html", context, status=status)

    def post(self, request: HttpRequest) -> HttpResponse:
        data = _form_values(request)
        try:
            endpoint, secret = services.webhook_endpoint_create(
                organization=self.org, created_by=request.user, **validated(CustomerWebhookCreateInputSerializer, data)
            )
        except ApplicationError as exc:
            return self.page(values=data, error=exc.detail, fields=exc.fields, status=exc.status_code)
        request.session[SECRET_SESSION_KEY] = {"name": endpoint.name, "secret": secret}
        return redirect_to("dashboard:webhook", endpoint.pk)


class WebhookDetailView(OrgView):
    nav = "settings"
    write_role = Role.ADMIN

    def get(self, request: HttpRequest, pk: UUID) -> HttpResponse:
        endpoint = self.get_object_or_404(WebhookEndpoint.objects, "Webhook not found", pk=pk)
        return self.page(endpoint)

    def page(
        self,
        endpoint: WebhookEndpoint,
        *,
        values: dict | None = None,
        error: str = "",
        fields: dict | None = None,
        status: int = 200,
    ) -> HttpResponse:
        deliveries = list(
            WebhookDelivery.objects.for_org(self.org)
            .filter(endpoint=endpoint)
            .prefetch_related(Prefetch("attempt_log", queryset=WebhookDeliveryAttempt.objects.order_by("number")))
            .order_by("-created_at", "-id")[:DELIVERIES_SHOWN]
        )
        context = {
            "endpoint": endpoint,
            "deliveries": deliveries,
            "event_types": services.EVENT_TYPES,
            "repositories": list(Repository.objects.for_org(self.org).order_by("name").values_list("id", "name")),
            "values": values
            or {
                "name": endpoint.name,
                "url": endpoint.url,
                "events": endpoint.events,
                "repository_id": str(endpoint.repository_id or ""),
                "is_active": endpoint.is_active,
            },
            "error": error,
            "fields": fields or {},
            "new_secret": self.request.session.pop(SECRET_SESSION_KEY, None),
        }
        return self.render("dashboard/settings_webhook.html", context, status=status)

    def post(self, request: HttpRequest, pk: UUID) -> HttpResponse:
        endpoint = self.get_object_or_404(WebhookEndpoint.objects, "Webhook not found", pk=pk)
        data = _form_values(request)
        try:
            services.webhook_endpoint_update(endpoint=endpoint, **validated(CustomerWebhookUpdateInputSerializer, data))
        except ApplicationError as exc:
            return self.page(endpoint, values=data, error=exc.detail, fields=exc.fields, status=exc.status_code)
        messages.success(request, "Webhook saved.")
        return redirect_to("dashboard:webhook", endpoint.pk)


class WebhookActionView(OrgView):
    """POST /app/settings/webhooks/<id>/<action>/: test, rotate, delete."""

    write_role = Role.ADMIN

    def post(self, request: HttpRequest, pk: UUID, action: str) -> HttpResponse:
        endpoint = self.get_object_or_404(WebhookEndpoint.objects.select_related("organization"), "Webhook not found", pk=pk)
        if action == "delete":
            services.webhook_endpoint_delete(endpoint=endpoint)
            messages.success(request, f"Deleted {endpoint.name}.")
            return redirect_to("dashboard:webhooks")
        if action == "test":
            delivery = services.webhook_test(endpoint=endpoint)
            code = delivery.response_status_code
            outcome = f"answered {code}" if code else (delivery.error or "no answer")
            (messages.success if delivery.status == DeliveryStatus.SUCCEEDED else messages.error)(
                request, f"Test event sent: {outcome}."
            )
        elif action == "rotate":
            params = validated(CustomerWebhookSecretRotateInputSerializer, form_data(request))
            secret = services.webhook_secret_rotate(endpoint=endpoint, **params)
            request.session[SECRET_SESSION_KEY] = {"name": endpoint.name, "secret": secret}
        return redirect_to("dashboard:webhook", endpoint.pk)


class WebhookRedeliverView(OrgView):
    write_role = Role.ADMIN

    def post(self, request: HttpRequest, pk: UUID, delivery_id: UUID) -> HttpResponse:
        endpoint = self.get_object_or_404(WebhookEndpoint.objects, "Webhook not found", pk=pk)
        delivery = self.get_object_or_404(
            WebhookDelivery.objects.select_related("endpoint", "organization").filter(endpoint=endpoint),
            "Delivery not found",
            pk=delivery_id,
        )
        services.delivery_redeliver(delivery=delivery)
        messages.success(request, "Redelivery queued.")
        return redirect_to("dashboard:webhook", endpoint.pk)
