"""History routes in the generic tenancy contract (tests/platform/test_tenancy_contract.py)."""

from __future__ import annotations

from tests.tenancy import OrgRoute, register


def _repository(org):
    from tests.factories import RepositoryFactory

    return RepositoryFactory(organization=org)


register(
    OrgRoute(
        viewset="RepositoryHistoryViewSet",
        list_url=None,
        make=_repository,
        detail_url="/api/v1/repositories/{pk}/hotspots",
    )
)
