from findings.models import Finding
from fixes.models import FixStatus
from tests.findings.factories import AnalysisRunFactory, RepositoryFactory, engine_finding, record
from tests.tenancy import OrgRoute, register


def _make_proposal(org):
    from tests.fixes.conftest import make_proposal

    repo = RepositoryFactory(organization=org)
    record(AnalysisRunFactory(repository=repo), [engine_finding("unused-import", "app.py", 3, severity="low")])
    return make_proposal(Finding.objects.get(repository=repo), FixStatus.PENDING)


register(
    OrgRoute(
        viewset="FixProposalViewSet",
        list_url="/api/v1/fixes",
        make=_make_proposal,
        extra_detail_posts=["approve", "reject", "reopen", "apply", "preview"],
    )
)
