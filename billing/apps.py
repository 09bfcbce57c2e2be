from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        # Imported here: models are not loaded when the app registry imports this module.
        from billing import receivers, stripe_api

        stripe_api.configure_stripe()
        receivers.connect()
