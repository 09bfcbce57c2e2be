from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.models import ApiKey
from accounts.serializers import (
    ApiKeyCreatedOutputSerializer,
    ApiKeyCreateInputSerializer,
    ApiKeyOutputSerializer,
    MeOutputSerializer,
)
from billing.entitlements import effective_plan
from repotoire.api.viewsets import OrgScopedViewSet


class MeView(APIView):
    @extend_schema(responses=MeOutputSerializer, summary="The authenticated principal", tags=["accounts"])
    def get(self, request: Request) -> Response:
        ctx = request.auth
        user = request.user
        data = {
            "user_id": user.pk,
            "username": user.username,
            "email": user.email,
            "auth_method": ctx.method,
            "organization": ctx.organization,
            "role": ctx.role,
            "plan": effective_plan(ctx.organization).id,
            "scopes": ctx.scopes,
            "api_key_id": ctx.api_key.pk if ctx.api_key else None,
        }
        return Response(MeOutputSerializer(data).data)


@extend_schema(tags=["accounts"])
class ApiKeyViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, OrgScopedViewSet):
    """Organisation API keys. Admins and owners only; secrets are shown once, at creation."""

    queryset = ApiKey.objects.select_related("created_by")
    serializer_class = ApiKeyOutputSerializer
    required_scope = "admin"

    @extend_schema(
        request=ApiKeyCreateInputSerializer, responses={201: ApiKeyCreatedOutputSerializer}, summary="Create an API key"
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = ApiKeyCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        key, raw = services.apikey_create(
            organization=self.organization,
            created_by=request.user,
            creator_role=request.auth.role,
            **serializer.validated_data,
        )
        key.key = raw
        return Response(ApiKeyCreatedOutputSerializer(key).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Revoke an API key", responses={204: None})
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.apikey_revoke(key=self.get_object(), actor_role=request.auth.role)
        return Response(status=status.HTTP_204_NO_CONTENT)
