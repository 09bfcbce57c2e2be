"""The one place that points the ``stripe`` library at Stripe (or at a Stripe-compatible server).

dj-stripe calls the resource classes (``stripe.Subscription.retrieve(...)`` and friends), which read
the module-level ``stripe.api_base``; our own calls go through a ``StripeClient`` built from the
same settings. ``configure_stripe`` runs when the app is ready and again whenever a STRIPE_*
setting changes (tests), so both always reach the same server.
"""

from __future__ import annotations

from typing import Any

import stripe
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from repotoire.api.exceptions import ServiceUnavailable

_STRIPE_SETTINGS = {"STRIPE_API_BASE", "STRIPE_SECRET_KEY"}


def api_base() -> str:
    return (settings.STRIPE_API_BASE or stripe.DEFAULT_API_BASE).rstrip("/")


def configure_stripe() -> None:
    base = api_base()
    stripe.api_base = base
    # A Stripe-compatible stand-in serves Connect and file calls too; real Stripe uses its own hosts.
    stripe.connect_api_base = base if settings.STRIPE_API_BASE else stripe.DEFAULT_CONNECT_API_BASE
    stripe.upload_api_base = base if settings.STRIPE_API_BASE else stripe.DEFAULT_UPLOAD_API_BASE


@receiver(setting_changed)
def _reconfigure(*, setting: str, **kwargs: Any) -> None:
    if setting in _STRIPE_SETTINGS:
        configure_stripe()


def billing_configured() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


def require_billing() -> None:
    if not billing_configured():
        raise ServiceUnavailable("Billing is not configured on this server", error_code="BILLING_NOT_CONFIGURED")


def client() -> stripe.StripeClient:
    """A client for our own calls; raises BILLING_NOT_CONFIGURED (503) without a secret key."""
    require_billing()
    base = api_base()
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": base, "connect": base, "files": base} if settings.STRIPE_API_BASE else None,
        max_network_retries=2,
    )
