from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        from billing import receivers, stripe_api

        stripe_api.configure_stripe()
        receivers.connect()
