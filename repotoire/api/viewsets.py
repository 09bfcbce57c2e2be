"""The one base viewset for organisation-owned resources.

``get_queryset`` scopes the model's queryset to the credential's organisation, so another
organisation's object is simply not found (404, never 403). Concrete viewsets declare
``queryset`` (with their select_related/annotations) and must not override ``get_queryset``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import viewsets

from accounts.models import Organization


class OrgScopedViewSet(viewsets.GenericViewSet):
    lookup_value_regex = "[0-9a-fA-F-]{36}"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "get_queryset" in cls.__dict__:
            raise TypeError(f"{cls.__name__} must not override get_queryset(); set `queryset` instead")

    @property
    def organization(self) -> Organization:
        return self.request.auth.organization

    def get_queryset(self) -> QuerySet:
        qs = super().get_queryset()
        if getattr(self, "swagger_fake_view", False):
            return qs.none()
        return qs.for_org(self.organization)
