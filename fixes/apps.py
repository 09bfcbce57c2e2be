from django.apps import AppConfig


class FixesConfig(AppConfig):
    name = "fixes"
