from accounts import services
from accounts.models import Role
from tests.factories import MembershipFactory
from tests.tenancy import OrgRoute, register


def _make_key(org):
    membership = MembershipFactory(organization=org, role=Role.OWNER)
    key, _ = services.apikey_create(organization=org, created_by=membership.user, name="tenancy")
    return key


register(OrgRoute(viewset="ApiKeyViewSet", list_url="/api/v1/api-keys", make=_make_key, retrievable=False, deletable=True))
