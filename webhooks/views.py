"""Customer webhooks API. Every role may read (list, detail, deliveries); changing anything
(create, update, delete, test, redeliver, rotate the secret) needs the ``admin`` scope."""

from __future__ import annotations

import uuid
from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from repotoire.api.exceptions import NotFound
from repotoire.api.viewsets import OrgScopedViewSet
from webhooks import events, services
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.serializers import (
    CustomerWebhookCreatedOutputSerializer,
    CustomerWebhookCreateInputSerializer,
    CustomerWebhookDeliveryOutputSerializer,
    CustomerWebhookDeliveryQueryInputSerializer,
    CustomerWebhookOutputSerializer,
    CustomerWebhookSecretOutputSerializer,
    CustomerWebhookSecretRotateInputSerializer,
    CustomerWebhookUpdateInputSerializer,
)

ADMIN_ACTIONS = ("create", "partial_update", "destroy", "send_test", "redeliver", "rotate_secret")


@extend_schema_view(
    list=extend_schema(summary="List customer webhooks", description=events.openapi_description()),
    retrieve=extend_schema(summary="Get a customer webhook"),
)
@extend_schema(tags=["customer-webhooks"])
class CustomerWebhookViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgScopedViewSet):
    """Endpoints that receive signed events. The signing secret is shown once (create, rotate)."""

    queryset = WebhookEndpoint.objects.all()
    serializer_class = CustomerWebhookOutputSerializer
    action_scopes = dict.fromkeys(ADMIN_ACTIONS, "admin")

    @extend_schema(
        summary="Create a customer webhook",
        description="The response carries the signing secret, shown only this once.\n\n" + events.openapi_description(),
        request=CustomerWebhookCreateInputSerializer,
        responses={201: CustomerWebhookCreatedOutputSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = CustomerWebhookCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint, secret = services.webhook_endpoint_create(
            organization=self.organization, created_by=request.user, **serializer.validated_data
        )
        endpoint.secret = secret
        return Response(CustomerWebhookCreatedOutputSerializer(endpoint).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Update a customer webhook",
        request=CustomerWebhookUpdateInputSerializer,
        responses={200: CustomerWebhookOutputSerializer},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        endpoint = self.get_object()
        serializer = CustomerWebhookUpdateInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        endpoint = services.webhook_endpoint_update(endpoint=endpoint, **serializer.validated_data)
        return Response(CustomerWebhookOutputSerializer(endpoint).data)

    @extend_schema(summary="Delete a customer webhook and its delivery history", responses={204: None})
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.webhook_endpoint_delete(endpoint=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Send a webhook.test event now",
        description="Makes one signed delivery attempt synchronously (no retries) and returns the delivery with its result.",
        request=None,
        responses={200: CustomerWebhookDeliveryOutputSerializer},
    )
    @action(detail=True, methods=["post"], url_path="test")
    def send_test(self, request: Request, pk: str | None = None) -> Response:
        delivery = services.webhook_test(endpoint=self.get_object())
        return Response(CustomerWebhookDeliveryOutputSerializer(delivery).data)

    @extend_schema(
        summary="List a webhook's deliveries",
        description="Newest first, with every attempt (status code, first 1 KB of the body, duration, error).",
        parameters=[CustomerWebhookDeliveryQueryInputSerializer],
        responses={200: CustomerWebhookDeliveryOutputSerializer(many=True)},
    )
    @action(detail=True, methods=["get"], url_path="deliveries")
    def deliveries(self, request: Request, pk: str | None = None) -> Response:
        endpoint = self.get_object()
        params = CustomerWebhookDeliveryQueryInputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        queryset = (
            WebhookDelivery.objects.for_org(self.organization)
            .filter(endpoint=endpoint)
            .prefetch_related("attempt_log")
            .order_by("-created_at", "-id")
        )
        if params.validated_data.get("status"):
            queryset = queryset.filter(status=params.validated_data["status"])
        if params.validated_data.get("event_type"):
            queryset = queryset.filter(event_type=params.validated_data["event_type"])
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(CustomerWebhookDeliveryOutputSerializer(page, many=True).data)

    @extend_schema(
        summary="Redeliver an event",
        description="Queues the same event (same body and event id, a new delivery id, a fresh signature) with the plan's retries.",
        request=None,
        responses={202: CustomerWebhookDeliveryOutputSerializer},
    )
    @action(detail=True, methods=["post"], url_path=r"deliveries/(?P<delivery_id>[0-9a-fA-F-]{36})/redeliver")
    def redeliver(self, request: Request, pk: str | None = None, delivery_id: str | None = None) -> Response:
        endpoint = self.get_object()
        try:
            delivery_pk = uuid.UUID(str(delivery_id))
        except ValueError as exc:
            raise NotFound("Delivery not found") from exc
        delivery = (
            WebhookDelivery.objects.for_org(self.organization)
            .select_related("endpoint", "organization")
            .filter(endpoint=endpoint, pk=delivery_pk)
            .first()
        )
        if delivery is None:
            raise NotFound("Delivery not found")
        copy = services.delivery_redeliver(delivery=delivery)
        return Response(CustomerWebhookDeliveryOutputSerializer(copy).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Rotate the signing secret",
        description="Returns the new secret (shown once). The previous one keeps signing for `grace_hours`.",
        request=CustomerWebhookSecretRotateInputSerializer,
        responses={200: CustomerWebhookSecretOutputSerializer},
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, pk: str | None = None) -> Response:
        endpoint = self.get_object()
        serializer = CustomerWebhookSecretRotateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        secret = services.webhook_secret_rotate(endpoint=endpoint, **serializer.validated_data)
        data = {
            "id": endpoint.pk,
            "secret": secret,
            "secret_hint": endpoint.secret_hint,
            "secret_rotation_ends_at": endpoint.previous_secret_expires_at,
        }
        return Response(CustomerWebhookSecretOutputSerializer(data).data)
