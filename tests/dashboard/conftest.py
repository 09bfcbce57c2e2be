"""Dashboard tests: the personas of tests/conftest.py signed in through Django's test client."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.findings.conftest import world  # noqa: F401 - the findings world, shared as a fixture


def signed_in(persona) -> Client:
    client = Client()
    client.force_login(persona.user)
    return client


@pytest.fixture
def owner_page(owner) -> Client:
    return signed_in(owner)


@pytest.fixture
def member_page(member) -> Client:
    return signed_in(member)


@pytest.fixture
def viewer_page(viewer) -> Client:
    return signed_in(viewer)


@pytest.fixture
def admin_page(admin_user) -> Client:
    return signed_in(admin_user)


@pytest.fixture
def outsider_page(outsider) -> Client:
    return signed_in(outsider)


from tests.billing.conftest import fake_stripe  # noqa: E402, F401 - the Stripe stand-in on 127.0.0.1
from tests.codesearch.conftest import indexed, sample_repo  # noqa: E402, F401 - an analysed, embedded repository
from tests.webhooks.conftest import allow_private_targets, receiver  # noqa: E402, F401 - a local webhook receiver
