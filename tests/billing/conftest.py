from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from tests.billing.stripe_stub import PRICE_ENTERPRISE, PRICE_PRO, SECRET_KEY, WEBHOOK_SECRET, FakeStripe, sign
from tests.stubs.http import StubServer


@pytest.fixture
def fake_stripe(settings) -> Iterator[FakeStripe]:
    """Stripe configured and pointed at a local stand-in (for our calls and dj-stripe's)."""
    fake = FakeStripe()
    with StubServer(fake.handle) as server:
        settings.STRIPE_SECRET_KEY = SECRET_KEY
        settings.STRIPE_TEST_SECRET_KEY = SECRET_KEY
        settings.STRIPE_LIVE_SECRET_KEY = ""
        settings.STRIPE_LIVE_MODE = False
        settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
        settings.STRIPE_PRICE_PRO = PRICE_PRO
        settings.STRIPE_PRICE_ENTERPRISE = PRICE_ENTERPRISE
        settings.STRIPE_API_BASE = server.url
        yield fake


@pytest.fixture
def webhook_url(fake_stripe, db) -> str:
    from billing.services import stripe_webhook_endpoint_sync

    endpoint = stripe_webhook_endpoint_sync(secret=WEBHOOK_SECRET, base_url="http://testserver", endpoint_id="we_test_endpoint")
    return urlsplit(endpoint.url).path


@pytest.fixture
def post_event(client, webhook_url):
    """POST a signed Stripe event to dj-stripe's endpoint, as Stripe does."""

    def post(event: dict, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None, signature: str | None = None):
        payload = json.dumps(event)
        header = signature if signature is not None else sign(payload, secret=secret, timestamp=timestamp)
        return client.post(webhook_url, data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)

    return post
