from __future__ import annotations

import json
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookDeliveryAttempt, WebhookEndpoint
from webhooks.services import EVENT_TYPES


class CustomerWebhookOutputSerializer(serializers.ModelSerializer):
    secret_rotation_ends_at = serializers.DateTimeField(
        source="previous_secret_expires_at",
        read_only=True,
        allow_null=True,
        help_text="While set and in the future, deliveries carry a second signature made with the previous secret.",
    )
    events = serializers.ListField(child=serializers.ChoiceField(choices=EVENT_TYPES), read_only=True)

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "name",
            "url",
            "events",
            "repository_id",
            "is_active",
            "secret_hint",
            "secret_rotation_ends_at",
            "failing_since",
            "disabled_at",
            "disabled_reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class CustomerWebhookCreatedOutputSerializer(CustomerWebhookOutputSerializer):
    secret = serializers.CharField(read_only=True, help_text="The signing secret. Shown only in this response.")

    class Meta(CustomerWebhookOutputSerializer.Meta):
        fields = [*CustomerWebhookOutputSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class CustomerWebhookCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    url = serializers.URLField(max_length=2048, help_text="http(s) URL on a public address.")
    events = serializers.ListField(child=serializers.ChoiceField(choices=EVENT_TYPES), allow_empty=False)
    repository_id = serializers.UUIDField(required=False, allow_null=True, help_text="Only events about this repository.")
    is_active = serializers.BooleanField(default=True)


class CustomerWebhookUpdateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False)
    url = serializers.URLField(max_length=2048, required=False)
    events = serializers.ListField(child=serializers.ChoiceField(choices=EVENT_TYPES), allow_empty=False, required=False)
    repository_id = serializers.UUIDField(required=False, allow_null=True)
    is_active = serializers.BooleanField(required=False, help_text="true re-enables an automatically disabled webhook.")


class CustomerWebhookSecretRotateInputSerializer(serializers.Serializer):
    grace_hours = serializers.IntegerField(
        min_value=0, max_value=168, default=24, help_text="How long the previous secret keeps signing (0 = not at all)."
    )


class CustomerWebhookDeliveryQueryInputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=DeliveryStatus.choices, required=False, allow_blank=True)
    event_type = serializers.CharField(required=False, allow_blank=True, max_length=64)


class CustomerWebhookSecretOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    secret = serializers.CharField(help_text="The new signing secret. Shown only in this response.")
    secret_hint = serializers.CharField()
    secret_rotation_ends_at = serializers.DateTimeField(allow_null=True)


class CustomerWebhookDeliveryAttemptOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDeliveryAttempt
        fields = ["number", "started_at", "succeeded", "response_status_code", "response_body", "duration_ms", "error"]
        read_only_fields = fields


class CustomerWebhookDeliveryOutputSerializer(serializers.ModelSerializer):
    webhook_id = serializers.UUIDField(source="endpoint_id", read_only=True)
    status = serializers.ChoiceField(choices=DeliveryStatus.choices, read_only=True)
    next_retry_at = serializers.DateTimeField(source="next_attempt_at", read_only=True, allow_null=True)
    redelivery_of = serializers.UUIDField(source="redelivery_of_id", read_only=True, allow_null=True)
    payload = serializers.SerializerMethodField()
    attempt_log = CustomerWebhookDeliveryAttemptOutputSerializer(many=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "webhook_id",
            "event_id",
            "event_type",
            "status",
            "attempts",
            "max_attempts",
            "response_status_code",
            "duration_ms",
            "error",
            "next_retry_at",
            "last_attempt_at",
            "delivered_at",
            "created_at",
            "redelivery_of",
            "payload",
            "attempt_log",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_payload(self, obj: WebhookDelivery) -> dict[str, Any]:
        return json.loads(obj.body)
