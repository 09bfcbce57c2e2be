from django.apps import AppConfig


class CodesearchConfig(AppConfig):
    name = "codesearch"

    def ready(self) -> None:
        from codesearch import checks  # noqa: F401 - registers the embedding model check
