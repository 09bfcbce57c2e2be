from django.apps import AppConfig


class RepotoireConfig(AppConfig):
    name = "repotoire"
    verbose_name = "Repotoire platform"

    def ready(self) -> None:
        # Imported here: models are not loaded when the app registry imports this module.
        from django.db.models.signals import post_migrate

        from repotoire import qworker
        from repotoire.api import openapi  # noqa: F401 - registers the auth scheme extensions
        from repotoire.cache import ensure_cache_table

        qworker.connect()

        # Also when tables are built without migrations (the test suite's --nomigrations).
        post_migrate.connect(ensure_cache_table, sender=self)
