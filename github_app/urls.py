from django.urls import path
from rest_framework.routers import SimpleRouter

from github_app.views import (
    GithubInstallationViewSet,
    GithubInstallUrlView,
    GithubRepositoryViewSet,
    GithubSetupView,
    GithubWebhookView,
)

router = SimpleRouter(trailing_slash=False)
router.register("github/installations", GithubInstallationViewSet, basename="github-installation")
router.register("github/repos", GithubRepositoryViewSet, basename="github-repository")

urlpatterns = [
    path("github/webhook", GithubWebhookView.as_view(), name="github-webhook"),
    path("github/setup", GithubSetupView.as_view(), name="github-setup"),
    path("github/install-url", GithubInstallUrlView.as_view(), name="github-install-url"),
    *router.urls,
]
