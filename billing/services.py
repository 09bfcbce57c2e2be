"""Billing writes and side effects: Stripe customers, checkout and portal sessions, subscription
state from Stripe's webhook events, staff overrides, and the ``billing.plan_changed`` webhook."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import stripe
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from djstripe.models import Subscription as DjstripeSubscription
from djstripe.models import WebhookEndpoint
from djstripe.settings import djstripe_settings

from accounts.models import Organization, User
from accounts.services import organization_set_plan, organization_set_stripe_customer
from billing import stripe_api
from billing.entitlements import plan_decision
from billing.models import PAID_STATUSES, BillingAccount, SubscriptionStatus
from billing.plans import PLANS, get_plan
from billing.signals import plan_changed
from repotoire.api.exceptions import Conflict, ServiceUnavailable, ValidationFailed

logger = logging.getLogger("repotoire.billing")

#: Stripe events that change an organisation's billing state (received through dj-stripe's signals).
HANDLED_EVENTS = (
    "checkout.session.completed",
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "customer.subscription.paused",
    "customer.subscription.resumed",
    "invoice.paid",
    "invoice.payment_failed",
)
LIVE_STATUSES = PAID_STATUSES | {SubscriptionStatus.PAST_DUE}
MAX_SEATS = 10_000


# --- helpers ---------------------------------------------------------------------------------


def _stripe_call(what: str, call: Any) -> Any:
    try:
        return call()
    except stripe.StripeError as exc:
        logger.warning("Stripe call failed (%s): %s", what, exc)
        raise ServiceUnavailable(f"Stripe could not {what}; try again later") from exc


def _as_dict(obj: Any) -> dict[str, Any]:
    return obj.to_dict(for_json=True) if hasattr(obj, "to_dict") else dict(obj)


def from_unix(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value
    return datetime.fromtimestamp(int(value), tz=UTC)


def _id(value: Any) -> str | None:
    """A Stripe reference is an id or an expanded object."""
    if isinstance(value, dict):
        return value.get("id")
    return value or None


def validate_redirect_url(url: str, field: str) -> str:
    """Only absolute http(s) URLs on BILLING_ALLOWED_REDIRECT_HOSTS (a leading dot allows subdomains)."""
    problem = None
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        parts, host = None, ""
    if parts is None or parts.scheme not in ("http", "https") or not host:
        problem = "Must be an absolute http(s) URL"
    elif parts.username or parts.password or "\\" in url or any(ord(c) < 33 for c in url):
        problem = "Must not contain credentials, backslashes or whitespace"
    elif settings.PRODUCTION and parts.scheme != "https":
        problem = "Must use https"
    else:
        allowed = [h.lower() for h in settings.BILLING_ALLOWED_REDIRECT_HOSTS]
        if not any(host == h or (h.startswith(".") and (host.endswith(h) or host == h[1:])) for h in allowed):
            problem = f"Host {host!r} is not an allowed redirect host"
    if problem:
        raise ValidationFailed(f"{field}: {problem}", fields={field: [problem]})
    return url


def _account_locked(organization: Organization) -> tuple[BillingAccount, str]:
    """The organisation's billing row, locked for this transaction, and the plan that applied before."""
    account, _ = BillingAccount.objects.select_for_update().get_or_create(organization=organization)
    organization.billing_account = account
    return account, plan_decision(organization).plan.id


def _organization_set_customer(organization: Organization, customer_id: str) -> str:
    return organization_set_stripe_customer(organization=organization, customer_id=customer_id)


def _after_change(organization: Organization, previous_plan: str, account: BillingAccount, now: datetime | None = None) -> None:
    """Keep the ``Organization.plan`` label in step and announce a plan change on commit."""
    organization.billing_account = account
    decision = plan_decision(organization, now=now)
    current = decision.plan.id
    if organization.plan != current:
        organization_set_plan(organization=organization, plan=current)
    if current != previous_plan:
        plan_changed.send(
            sender=BillingAccount,
            organization=organization,
            previous_plan=previous_plan,
            current_plan=current,
            subscription_status=account.status,
        )


# --- customers, checkout, portal ---------------------------------------------------------------


def billing_customer_ensure(*, organization: Organization) -> str:
    """The organisation's Stripe customer id, creating the customer on first use.

    The idempotency key is derived from the organisation, so concurrent or retried calls get the
    same Stripe customer back instead of creating a second one.
    """
    if organization.stripe_customer_id:
        return organization.stripe_customer_id
    client = stripe_api.client()
    customer = _stripe_call(
        "create the customer",
        lambda: client.v1.customers.create(
            params={
                "name": organization.name,
                "metadata": {"organization_id": str(organization.pk), "organization_slug": organization.slug},
            },
            options={"idempotency_key": f"repotoire-customer-{organization.pk}"},
        ),
    )
    return _organization_set_customer(organization, customer.id)


@dataclass(frozen=True)
class CheckoutSession:
    checkout_url: str
    session_id: str


def billing_checkout_create(
    *, organization: Organization, plan: str, success_url: str, cancel_url: str, seats: int | None = None
) -> CheckoutSession:
    """Start Stripe Checkout (subscription mode) for ``plan`` with ``seats`` seats."""
    stripe_api.require_billing()
    chosen = PLANS.get(plan)
    if chosen is None or chosen.monthly_price_usd == 0:
        raise ValidationFailed("plan: Only paid plans can be bought", fields={"plan": ["Only paid plans can be bought"]})
    if not chosen.stripe_price_id:
        raise ServiceUnavailable(f"No Stripe price is configured for the {chosen.name} plan", error_code="BILLING_NOT_CONFIGURED")
    account = BillingAccount.objects.filter(organization=organization).first()
    if account is not None and account.status in LIVE_STATUSES:
        raise Conflict("This organisation already has a subscription; change it in the customer portal")
    members = organization.memberships.filter(user__is_service=False).count()
    seats = seats or max(members, 1)
    cap = chosen.seats or MAX_SEATS
    if not 1 <= seats <= cap:
        raise ValidationFailed(f"seats: Must be between 1 and {cap}", fields={"seats": [f"Must be between 1 and {cap}"]})
    validate_redirect_url(success_url, "success_url")
    validate_redirect_url(cancel_url, "cancel_url")
    customer_id = billing_customer_ensure(organization=organization)
    metadata = {"organization_id": str(organization.pk), "plan": chosen.id}
    client = stripe_api.client()
    session = _stripe_call(
        "start the checkout",
        lambda: client.v1.checkout.sessions.create(
            params={
                "mode": "subscription",
                "customer": customer_id,
                "client_reference_id": str(organization.pk),
                "line_items": [{"price": chosen.stripe_price_id, "quantity": seats}],
                "success_url": success_url,
                "cancel_url": cancel_url,
                "metadata": metadata,
                "subscription_data": {"metadata": metadata},
            }
        ),
    )
    return CheckoutSession(checkout_url=session.url, session_id=session.id)


def billing_portal_create(*, organization: Organization, return_url: str) -> str:
    """A Stripe customer-portal URL for the organisation (which must have bought something)."""
    stripe_api.require_billing()
    validate_redirect_url(return_url, "return_url")
    if not organization.stripe_customer_id:
        raise Conflict("This organisation has no billing account yet; start with a checkout")
    client = stripe_api.client()
    session = _stripe_call(
        "open the customer portal",
        lambda: client.v1.billing_portal.sessions.create(
            params={"customer": organization.stripe_customer_id, "return_url": return_url}
        ),
    )
    return session.url


# --- staff overrides --------------------------------------------------------------------------


@transaction.atomic
def billing_override_set(*, organization: Organization, plan: str, reason: str, by: User | None) -> BillingAccount:
    """Staff put ``organization`` on ``plan`` whatever its subscription says; a reason is required."""
    if plan not in PLANS:
        raise ValidationFailed("plan: Unknown plan", fields={"plan": ["Unknown plan"]})
    if not reason.strip():
        raise ValidationFailed("reason: A reason is required", fields={"reason": ["A reason is required"]})
    account, previous = _account_locked(organization)
    account.override_plan = plan
    account.override_reason = reason.strip()
    account.override_by = by
    account.override_at = timezone.now()
    account.save()
    _after_change(organization, previous, account)
    return account


@transaction.atomic
def billing_override_clear(*, organization: Organization) -> BillingAccount:
    """Back to the subscription's plan (free without one)."""
    account, previous = _account_locked(organization)
    account.override_plan = ""
    account.override_reason = ""
    account.override_by = None
    account.override_at = None
    account.save()
    if not account.has_subscription and organization.plan != "free":
        # Without a subscription the label is the plan; it held the override.
        organization_set_plan(organization=organization, plan="free")
    _after_change(organization, previous, account)
    return account


# --- Stripe events ------------------------------------------------------------------------------


def plan_for_subscription(subscription: dict[str, Any]) -> str | None:
    """Our plan id for a Stripe subscription: by its price, else by the metadata checkout set."""
    by_price = {p.stripe_price_id: p.id for p in PLANS.values() if p.stripe_price_id}
    for item in (subscription.get("items") or {}).get("data") or []:
        price_id = _id(item.get("price")) or _id(item.get("plan"))
        if price_id in by_price:
            return by_price[price_id]
    wanted = (subscription.get("metadata") or {}).get("plan")
    return wanted if wanted in PLANS and wanted != "free" else None


def _subscription_figures(subscription: dict[str, Any]) -> tuple[int, datetime | None]:
    items = (subscription.get("items") or {}).get("data") or []
    seats = sum(int(item.get("quantity") or 0) for item in items) or int(subscription.get("quantity") or 0)
    # API versions from 2025-03-31 carry the period on the items; older ones on the subscription.
    ends = [e for e in (from_unix(item.get("current_period_end")) for item in items) if e]
    period_end = max(ends) if ends else from_unix(subscription.get("current_period_end"))
    return seats, period_end


def _organization_for(customer_id: str | None, metadata: dict[str, Any]) -> Organization | None:
    if customer_id:
        org = Organization.objects.filter(stripe_customer_id=customer_id).first()
        if org is not None:
            return org
    try:
        org_id = uuid.UUID(str((metadata or {}).get("organization_id")))
    except ValueError:
        return None
    org = Organization.objects.filter(pk=org_id).first()
    if org is None:
        return None
    if customer_id and not org.stripe_customer_id:
        _organization_set_customer(org, customer_id)
    if customer_id and org.stripe_customer_id != customer_id:
        logger.warning(
            "Stripe customer %s claims organisation %s, which has customer %s", customer_id, org_id, org.stripe_customer_id
        )
        return None
    return org


def _retrieve_subscription(subscription_id: str) -> dict[str, Any]:
    """The subscription as Stripe has it now, synced into dj-stripe's table on the way: dj-stripe
    refreshes it for subscription events only (an invoice's link to it moved under
    ``parent.subscription_details``, which dj-stripe's Invoice sync does not follow)."""
    client = stripe_api.client()
    subscription = _stripe_call("retrieve the subscription", lambda: client.v1.subscriptions.retrieve(subscription_id))
    # dj-stripe wants the StripeObject (it pages through the items with auto_paging_iter).
    DjstripeSubscription.sync_from_stripe_data(subscription, api_key=settings.STRIPE_SECRET_KEY)
    return _as_dict(subscription)


def _subscription_of(event_type: str, obj: dict[str, Any]) -> dict[str, Any] | None:
    """The subscription an event is about, in its state as of the event (or now, when the event
    only refers to it by id)."""
    if event_type.startswith("customer.subscription."):
        return obj
    if event_type == "checkout.session.completed":
        if obj.get("mode") != "subscription" or not obj.get("subscription"):
            return None
        # The session names the organisation, which links the customer if nothing did yet.
        metadata = {"organization_id": obj.get("client_reference_id")} | (obj.get("metadata") or {})
        _organization_for(_id(obj.get("customer")), metadata)
        sub = obj["subscription"]
        return sub if isinstance(sub, dict) else _retrieve_subscription(sub)
    # invoice.*: from API version 2025-03-31 the subscription is under parent.subscription_details.
    parent = (obj.get("parent") or {}).get("subscription_details") or {}
    sub_id = _id(parent.get("subscription")) or _id(obj.get("subscription"))
    return _retrieve_subscription(sub_id) if sub_id else None


def billing_event_apply(*, event_id: str, event_type: str, created: datetime, obj: dict[str, Any]) -> bool:
    """Apply one Stripe event to the organisation it concerns; True when the state changed.

    Idempotent: a replay carries the same ``created`` and subscription state, and an event older
    than the newest one applied is ignored, so late deliveries cannot roll the state back.
    """
    if event_type not in HANDLED_EVENTS:
        return False
    subscription = _subscription_of(event_type, obj)
    if not subscription:
        return False
    organization = _organization_for(_id(subscription.get("customer")), subscription.get("metadata") or {})
    if organization is None:
        logger.warning("Stripe event %s (%s) is about no known organisation", event_id, event_type)
        return False
    return billing_subscription_apply(
        organization=organization, subscription=subscription, event_id=event_id, created=created, event_type=event_type
    )


@transaction.atomic
def billing_subscription_apply(
    *, organization: Organization, subscription: dict[str, Any], event_id: str, created: datetime, event_type: str = ""
) -> bool:
    """Record ``subscription`` (as of ``created``) as the organisation's billing state."""
    status = subscription.get("status") or ""
    if status not in SubscriptionStatus.values or status == SubscriptionStatus.NONE:
        logger.warning("Ignoring subscription %s with unknown status %r", subscription.get("id"), status)
        return False
    account, previous = _account_locked(organization)
    if account.last_event_at is not None and created < account.last_event_at:
        logger.info("Ignoring Stripe event %s: older than %s", event_id, account.last_event_id)
        return False
    sub_id = subscription.get("id") or ""
    if (
        event_type == "customer.subscription.created"
        and created == account.last_event_at
        and sub_id == account.stripe_subscription_id
    ):
        # Stripe's timestamps are in seconds: a creation and an update of the same second may
        # arrive in either order, and a creation never follows a change of the same subscription.
        logger.info("Ignoring Stripe event %s: the subscription was already updated that second", event_id)
        return False
    if account.stripe_subscription_id and sub_id != account.stripe_subscription_id:
        if account.status in LIVE_STATUSES and status not in LIVE_STATUSES:
            # The end of a replaced subscription must not take away the one that replaced it.
            logger.info("Ignoring %s for subscription %s: %s is current", status, sub_id, account.stripe_subscription_id)
            return False
    plan = plan_for_subscription(subscription)
    if plan is None:
        logger.warning("Subscription %s has no price of ours; keeping plan %s", sub_id, account.subscribed_plan)
        plan = account.subscribed_plan if sub_id == account.stripe_subscription_id else "free"
    seats, period_end = _subscription_figures(subscription)
    if status == SubscriptionStatus.PAST_DUE:
        if (
            account.status != SubscriptionStatus.PAST_DUE
            or account.past_due_since is None
            or sub_id != account.stripe_subscription_id
        ):
            account.past_due_since = created
    else:
        account.past_due_since = None
    account.stripe_subscription_id = sub_id
    account.status = status
    account.subscribed_plan = get_plan(plan).id
    account.seats = seats
    account.current_period_end = period_end
    account.cancel_at_period_end = bool(subscription.get("cancel_at_period_end"))
    account.last_event_id = event_id
    account.last_event_at = created
    account.save()
    _after_change(organization, previous, account)
    return True


# --- the dj-stripe webhook endpoint ----------------------------------------------------------


@transaction.atomic
def stripe_webhook_endpoint_sync(
    *, secret: str, base_url: str, endpoint_id: str, fixed_uuid: uuid.UUID | None = None
) -> WebhookEndpoint:
    """Create or update the dj-stripe ``WebhookEndpoint`` that Stripe's events are posted to.

    The signing secret comes from settings (Stripe shows it once, when the endpoint is created in
    the dashboard); the URL keeps its UUID across runs unless ``fixed_uuid`` pins another one.
    """
    if not secret:
        raise ValidationFailed("STRIPE_WEBHOOK_SECRET is empty", fields={"secret": ["Required"]})
    endpoint = WebhookEndpoint.objects.select_for_update().filter(id=endpoint_id).first()
    if endpoint is None:
        endpoint = WebhookEndpoint(
            id=endpoint_id,
            djstripe_uuid=fixed_uuid or uuid.uuid4(),
            api_version=djstripe_settings.STRIPE_API_VERSION,
            status="enabled",
        )
    elif fixed_uuid:
        endpoint.djstripe_uuid = fixed_uuid
    endpoint.enabled_events = list(HANDLED_EVENTS)
    endpoint.secret = secret
    endpoint.livemode = bool(settings.STRIPE_LIVE_MODE)
    path = reverse("djstripe:djstripe_webhook_by_uuid", kwargs={"uuid": endpoint.djstripe_uuid})
    endpoint.url = base_url.rstrip("/") + path
    endpoint.save()
    return endpoint


# --- time-based transitions ---------------------------------------------------------------------


def billing_grace_sweep(*, now: datetime | None = None) -> int:
    """Catch up with past_due grace periods that ended: relabel the organisation (free) and send
    ``billing.plan_changed``. ``effective_plan`` already applies free the moment a grace period
    ends; this only keeps the label and the customer's webhooks in step. Returns how many changed."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.BILLING_PAST_DUE_GRACE_DAYS)
    changed = 0
    lapsed = BillingAccount.objects.filter(status=SubscriptionStatus.PAST_DUE, past_due_since__lte=cutoff, override_plan="")
    for account_id in lapsed.exclude(organization__plan="free").values_list("pk", flat=True):
        with transaction.atomic():
            account = BillingAccount.objects.select_for_update().select_related("organization").get(pk=account_id)
            organization = account.organization
            organization.billing_account = account
            previous = organization.plan
            if plan_decision(organization, now=now).plan.id != previous:
                _after_change(organization, previous, account, now=now)
                changed += 1
    return changed
