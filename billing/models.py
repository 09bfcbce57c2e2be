"""Billing state of an organisation: its Stripe subscription as last reported, and staff overrides.

dj-stripe keeps Stripe's own objects (Customer, Subscription, Price, Invoice, Event) in its
tables; ``BillingAccount`` is our reading of them for one organisation, written only by
``billing.services`` and read by ``billing.entitlements.effective_plan``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.models import OrgScopedQuerySet
from billing.plans import PLAN_CHOICES


class SubscriptionStatus(models.TextChoices):
    """Stripe's subscription statuses, plus NONE for "never subscribed"."""

    NONE = "", "No subscription"
    INCOMPLETE = "incomplete", "Incomplete"
    INCOMPLETE_EXPIRED = "incomplete_expired", "Incomplete (expired)"
    TRIALING = "trialing", "Trialing"
    ACTIVE = "active", "Active"
    PAST_DUE = "past_due", "Past due"
    CANCELED = "canceled", "Canceled"
    UNPAID = "unpaid", "Unpaid"
    PAUSED = "paused", "Paused"


#: Statuses whose subscribed plan applies without conditions.
PAID_STATUSES = frozenset({SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING})


class BillingAccountQuerySet(OrgScopedQuerySet):
    pass


class BillingAccount(models.Model):
    """One per organisation (created on first need): the subscription state that decides its plan.

    ``last_event_at`` is the ``created`` time of the newest Stripe event applied; an event older
    than it changes nothing, so out-of-order deliveries cannot roll the state back.
    """

    organization = models.OneToOneField("accounts.Organization", on_delete=models.CASCADE, related_name="billing_account")
    subscribed_plan = models.CharField(
        max_length=20, choices=PLAN_CHOICES, default="free", help_text="Plan of the Stripe subscription."
    )
    status = models.CharField(max_length=20, choices=SubscriptionStatus.choices, default=SubscriptionStatus.NONE, blank=True)
    seats = models.PositiveIntegerField(default=0, help_text="Seats bought (the subscription item's quantity).")
    current_period_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    stripe_subscription_id = models.CharField(max_length=255, blank=True, db_index=True)
    past_due_since = models.DateTimeField(null=True, blank=True, help_text="Start of the past_due grace period.")
    last_event_id = models.CharField(max_length=255, blank=True)
    last_event_at = models.DateTimeField(null=True, blank=True, help_text="created time of the newest Stripe event applied.")

    override_plan = models.CharField(
        max_length=20, choices=PLAN_CHOICES, blank=True, help_text="Set by staff; wins over the subscription."
    )
    override_reason = models.TextField(blank=True)
    override_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    override_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = BillingAccountQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(override_plan="") | ~Q(override_reason=""),
                name="billing_override_needs_reason",
            ),
            models.CheckConstraint(condition=Q(status__in=SubscriptionStatus.values), name="billing_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.organization}: {self.subscribed_plan} ({self.status or 'none'})"

    @property
    def has_subscription(self) -> bool:
        return self.status != SubscriptionStatus.NONE

    def grace_ends_at(self) -> datetime | None:
        if self.status != SubscriptionStatus.PAST_DUE or self.past_due_since is None:
            return None
        return self.past_due_since + timedelta(days=settings.BILLING_PAST_DUE_GRACE_DAYS)
