from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"

    def ready(self) -> None:
        # Imported here: models are not loaded when the app registry imports this module.
        from webhooks import receivers

        receivers.connect()
