"""Registry for the generic tenancy contract test (tests/platform/test_tenancy_contract.py).

Each app declares its organisation-scoped routes in ``tests/<app>/tenancy.py``::

    from tests.tenancy import OrgRoute, register

    register(OrgRoute(viewset="RepositoryViewSet", list_url="/api/v1/repositories",
                      make=lambda org: RepositoryFactory(organization=org),
                      update={"name": "renamed"}, deletable=True))

The contract test fails when an ``OrgScopedViewSet`` served by the URLconf has no entry here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ROUTES: dict[str, OrgRoute] = {}


@dataclass
class OrgRoute:
    viewset: str  # class name of the OrgScopedViewSet
    list_url: str | None  # None when the viewset has no list action
    make: Callable[[Any], Any]  # org -> a new object owned by org
    detail_url: str = "{list_url}/{pk}"  # format string; {pk} is the object's primary key
    retrievable: bool = True
    update: dict[str, Any] | None = None  # PATCH body, when the viewset supports partial_update
    deletable: bool = False
    extra_detail_posts: list[str] = field(default_factory=list)  # e.g. ["test", "rotate-secret"]

    def detail(self, obj: Any) -> str:
        return self.detail_url.format(list_url=self.list_url, pk=obj.pk)


def register(route: OrgRoute) -> None:
    ROUTES[route.viewset] = route
