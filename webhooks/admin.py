from django.contrib import admin

from webhooks.models import WebhookDelivery, WebhookDeliveryAttempt, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "url", "is_active", "failing_since", "disabled_reason", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "url", "organization__slug"]
    # Secrets stay out of the admin: encrypted values are noise and rotation has its own action.
    exclude = ["secret_encrypted", "previous_secret_encrypted"]
    readonly_fields = ["secret_hint", "previous_secret_expires_at", "failing_since", "disabled_at", "created_at", "updated_at"]
    raw_id_fields = ["organization", "created_by"]


class WebhookDeliveryAttemptInline(admin.TabularInline):
    model = WebhookDeliveryAttempt
    extra = 0
    can_delete = False
    readonly_fields = [
        "number",
        "started_at",
        "succeeded",
        "response_status_code",
        "response_body",
        "duration_ms",
        "error",
        "remote_ip",
    ]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "event_type", "endpoint", "status", "attempts", "response_status_code", "next_attempt_at", "created_at"]
    list_filter = ["status", "event_type"]
    search_fields = ["id", "event_id", "endpoint__name"]
    raw_id_fields = ["organization", "endpoint", "redelivery_of"]
    readonly_fields = ["body", "attempts", "claimed_at", "last_attempt_at", "delivered_at", "created_at"]
    inlines = [WebhookDeliveryAttemptInline]
