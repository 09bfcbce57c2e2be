"""Findings routes in the generic tenancy contract (tests/platform/test_tenancy_contract.py)."""

from __future__ import annotations

from tests.tenancy import OrgRoute, register


def _finding(org):
    from findings.models import Finding
    from tests.findings.factories import AnalysisRunFactory, RepositoryFactory, engine_finding, record

    run = AnalysisRunFactory(repository=RepositoryFactory(organization=org))
    record(run, [engine_finding()])
    return Finding.objects.get(last_seen_run=run)


register(
    OrgRoute(
        viewset="FindingViewSet",
        list_url="/api/v1/findings",
        make=_finding,
        update={"status": "acknowledged", "reason": "tenancy contract"},
    )
)
