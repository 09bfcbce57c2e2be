from django.apps import AppConfig


class GithubAppConfig(AppConfig):
    name = "github_app"
