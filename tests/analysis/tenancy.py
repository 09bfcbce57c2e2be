"""Analysis routes in the generic tenancy contract (tests/platform/test_tenancy_contract.py)."""

from __future__ import annotations

from tests.tenancy import OrgRoute, register


def _repository(org):
    from tests.factories import RepositoryFactory

    return RepositoryFactory(organization=org)


def _run(org):
    from tests.factories import AnalysisRunFactory, RepositoryFactory

    return AnalysisRunFactory(repository=RepositoryFactory(organization=org))


register(
    OrgRoute(
        viewset="RepositoryViewSet",
        list_url="/api/v1/repositories",
        make=_repository,
        update={"name": "renamed"},
        deletable=True,
    )
)
register(
    OrgRoute(
        viewset="AnalysisViewSet",
        list_url="/api/v1/analysis/history",
        make=_run,
        detail_url="/api/v1/analysis/{pk}",
        extra_detail_posts=["cancel"],
    )
)
