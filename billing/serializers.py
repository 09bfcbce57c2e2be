from __future__ import annotations

from rest_framework import serializers

from billing.models import SubscriptionStatus
from billing.plans import PAID_PLAN_CHOICES, PLAN_CHOICES

SUBSCRIPTION_STATUS_CHOICES = [(value, label) for value, label in SubscriptionStatus.choices if value]


class BillingPlanLimitsOutputSerializer(serializers.Serializer):
    api_calls_per_minute = serializers.IntegerField()
    analyses_per_hour = serializers.IntegerField(allow_null=True, help_text="null = unlimited")
    concurrent_analyses = serializers.IntegerField()
    repositories = serializers.IntegerField(allow_null=True, help_text="null = unlimited")
    seats = serializers.IntegerField(allow_null=True, help_text="null = unlimited")
    webhook_retries = serializers.IntegerField()
    delivery_history_days = serializers.IntegerField()


class BillingPlanOutputSerializer(serializers.Serializer):
    id = serializers.ChoiceField(choices=PLAN_CHOICES)
    name = serializers.CharField()
    monthly_price_usd = serializers.IntegerField()
    currency = serializers.CharField()
    purchasable = serializers.BooleanField(help_text="A Stripe price is configured and billing is enabled.")
    stripe_price_id = serializers.CharField(allow_null=True)
    limits = BillingPlanLimitsOutputSerializer()
    features = serializers.ListField(child=serializers.CharField())


class BillingPlanListOutputSerializer(serializers.Serializer):
    plans = BillingPlanOutputSerializer(many=True)


class BillingUsageCounterOutputSerializer(serializers.Serializer):
    used = serializers.IntegerField(allow_null=True)
    limit = serializers.IntegerField(allow_null=True, help_text="null = unlimited")


class BillingWindowCounterOutputSerializer(BillingUsageCounterOutputSerializer):
    resets_at = serializers.IntegerField(allow_null=True, help_text="Unix seconds when the window ends.")


class BillingUsageOutputSerializer(serializers.Serializer):
    analyses_this_hour = BillingWindowCounterOutputSerializer()
    api_calls_this_minute = BillingWindowCounterOutputSerializer()
    repositories = BillingUsageCounterOutputSerializer()
    seats = BillingUsageCounterOutputSerializer()


class BillingOverrideOutputSerializer(serializers.Serializer):
    plan = serializers.ChoiceField(choices=PLAN_CHOICES)
    reason = serializers.CharField()
    at = serializers.DateTimeField(allow_null=True)


class BillingSubscriptionOutputSerializer(serializers.Serializer):
    plan = serializers.ChoiceField(choices=PLAN_CHOICES, help_text="The effective plan: every limit follows it.")
    plan_name = serializers.CharField()
    plan_source = serializers.ChoiceField(
        choices=["override", "subscription", "grace", "lapsed", "default"],
        help_text="Why this plan applies: a staff override, the subscription, its past_due grace period, "
        "a lapsed subscription (free), or no subscription.",
    )
    status = serializers.ChoiceField(choices=SUBSCRIPTION_STATUS_CHOICES, allow_null=True)
    subscribed_plan = serializers.ChoiceField(choices=PLAN_CHOICES, allow_null=True)
    seats = serializers.IntegerField(allow_null=True)
    current_period_end = serializers.DateTimeField(allow_null=True)
    cancel_at_period_end = serializers.BooleanField()
    grace_period_ends_at = serializers.DateTimeField(allow_null=True)
    override = BillingOverrideOutputSerializer(allow_null=True)
    billing_configured = serializers.BooleanField()
    limits = BillingPlanLimitsOutputSerializer()
    features = serializers.ListField(child=serializers.CharField())
    usage = BillingUsageOutputSerializer()


class BillingCheckoutInputSerializer(serializers.Serializer):
    plan = serializers.ChoiceField(choices=PAID_PLAN_CHOICES)
    seats = serializers.IntegerField(min_value=1, required=False, help_text="Defaults to the number of members.")
    success_url = serializers.URLField(max_length=2000)
    cancel_url = serializers.URLField(max_length=2000)


class BillingCheckoutOutputSerializer(serializers.Serializer):
    checkout_url = serializers.URLField()
    session_id = serializers.CharField()


class BillingPortalInputSerializer(serializers.Serializer):
    return_url = serializers.URLField(max_length=2000)


class BillingPortalOutputSerializer(serializers.Serializer):
    portal_url = serializers.URLField()
