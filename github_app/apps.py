from django.apps import AppConfig


class GithubAppConfig(AppConfig):
    name = "github_app"

    def ready(self) -> None:
        # Imported here: models are not loaded when the app registry imports this module.
        from analysis.providers import clone_credentials_register
        from github_app.services import github_clone_auth_headers

        clone_credentials_register(github_clone_auth_headers)
