from tests.tenancy import OrgRoute, register
from webhooks import services


def _make_webhook(org):
    endpoint, _ = services.webhook_endpoint_create(
        organization=org, created_by=None, name="tenancy", url="https://93.184.216.34/hook", events=["analysis.completed"]
    )
    return endpoint


register(
    OrgRoute(
        viewset="CustomerWebhookViewSet",
        list_url="/api/v1/customer-webhooks",
        make=_make_webhook,
        update={"name": "renamed"},
        deletable=True,
        extra_detail_posts=["test", "rotate-secret"],
    )
)
