"""Billing API: public plans, the organisation's subscription and usage, checkout and portal."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from billing import selectors, services
from billing.serializers import (
    BillingCheckoutInputSerializer,
    BillingCheckoutOutputSerializer,
    BillingPlanListOutputSerializer,
    BillingPortalInputSerializer,
    BillingPortalOutputSerializer,
    BillingSubscriptionOutputSerializer,
)

_ERROR = {"$ref": "#/components/schemas/ErrorEnvelope"}
_NOT_CONFIGURED = OpenApiResponse(
    _ERROR, description="BILLING_NOT_CONFIGURED: no Stripe key, or no price for the plan; SERVICE_UNAVAILABLE: Stripe failed"
)


class BillingPlansView(APIView):
    """Public: no credential, no rate limit."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @extend_schema(
        responses=BillingPlanListOutputSerializer, summary="Available plans with limits and prices", tags=["billing"], auth=[]
    )
    def get(self, request: Request) -> Response:
        return Response(BillingPlanListOutputSerializer({"plans": selectors.plans_list()}).data)


class BillingSubscriptionView(APIView):
    @extend_schema(
        responses=BillingSubscriptionOutputSerializer, summary="The organisation's plan, subscription and usage", tags=["billing"]
    )
    def get(self, request: Request) -> Response:
        overview = selectors.subscription_overview(request.auth.organization)
        return Response(BillingSubscriptionOutputSerializer(overview).data)


class BillingCheckoutView(APIView):
    required_scope = "admin"

    @extend_schema(
        request=BillingCheckoutInputSerializer,
        responses={
            200: BillingCheckoutOutputSerializer,
            409: OpenApiResponse(_ERROR, description="CONFLICT: a subscription is live; change the plan in the customer portal"),
            503: _NOT_CONFIGURED,
        },
        summary="Start a Stripe Checkout session for a paid plan (owners and admins)",
        tags=["billing"],
    )
    def post(self, request: Request) -> Response:
        serializer = BillingCheckoutInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session = services.billing_checkout_create(organization=request.auth.organization, **serializer.validated_data)
        return Response(
            BillingCheckoutOutputSerializer({"checkout_url": session.checkout_url, "session_id": session.session_id}).data
        )


class BillingPortalView(APIView):
    required_scope = "admin"

    @extend_schema(
        request=BillingPortalInputSerializer,
        responses={
            200: BillingPortalOutputSerializer,
            409: OpenApiResponse(_ERROR, description="CONFLICT: no checkout yet"),
            503: _NOT_CONFIGURED,
        },
        summary="Open the Stripe customer portal (owners and admins)",
        tags=["billing"],
    )
    def post(self, request: Request) -> Response:
        serializer = BillingPortalInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        url = services.billing_portal_create(organization=request.auth.organization, **serializer.validated_data)
        return Response(BillingPortalOutputSerializer({"portal_url": url}).data)
