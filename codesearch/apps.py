from django.apps import AppConfig


class CodesearchConfig(AppConfig):
    name = "codesearch"
