"""GitHub App routes in the generic tenancy contract (tests/platform/test_tenancy_contract.py)."""

from __future__ import annotations

import itertools

from tests.tenancy import OrgRoute, register

_ids = itertools.count(710000)


def _installation(org):
    from github_app.models import GithubInstallation

    return GithubInstallation.objects.create(organization=org, installation_id=next(_ids), account_login=f"acct-{org.slug}")


def _repository(org):
    from github_app.models import GithubRepository

    installation = _installation(org)
    return GithubRepository.objects.create(
        organization=org, installation=installation, github_id=next(_ids), full_name=f"{org.slug}/repo"
    )


register(
    OrgRoute(
        viewset="GithubInstallationViewSet",
        list_url="/api/v1/github/installations",
        make=_installation,
    )
)
register(
    OrgRoute(
        viewset="GithubRepositoryViewSet",
        list_url=None,
        make=_repository,
        detail_url="/api/v1/github/repos/{pk}",
    )
)
