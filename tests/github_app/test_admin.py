"""Django admin pages of the GitHub App; the cached token never shows."""

from __future__ import annotations

import pytest
from django.test import Client

from github_app import services
from github_app.models import GithubInstallation, GithubPullRequestCheck, GithubRepository, GithubWebhookDelivery
from tests.factories import UserFactory
from tests.github_app.conftest import link_installation

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client() -> Client:
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_admin_changelists_and_change_pages_render_without_the_token(github, org, remote, staff_client):
    installation = link_installation(org, github, str(remote), enable=False)
    token = services.installation_token(installation)
    repo = GithubRepository.objects.get()
    check = GithubPullRequestCheck.objects.create(
        organization=org, github_repository=repo, pull_request_number=1, head_sha="a" * 40
    )
    delivery = GithubWebhookDelivery.objects.create(delivery_id="d-1", event="ping", payload={"zen": "z"})
    for model, obj in [
        ("githubinstallation", installation),
        ("githubrepository", repo),
        ("githubpullrequestcheck", check),
        ("githubwebhookdelivery", delivery),
    ]:
        listing = staff_client.get(f"/admin/github_app/{model}/")
        assert listing.status_code == 200, model
        page = staff_client.get(f"/admin/github_app/{model}/{obj.pk}/change/")
        assert page.status_code == 200, model
        assert token.encode() not in page.content
        assert GithubInstallation.objects.get().token_encrypted.encode() not in page.content
