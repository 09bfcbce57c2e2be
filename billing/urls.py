from django.urls import include, path

from billing.views import BillingCheckoutView, BillingPlansView, BillingPortalView, BillingSubscriptionView

urlpatterns = [
    path("billing/plans", BillingPlansView.as_view(), name="billing-plans"),
    path("billing/subscription", BillingSubscriptionView.as_view(), name="billing-subscription"),
    path("billing/checkout", BillingCheckoutView.as_view(), name="billing-checkout"),
    path("billing/portal", BillingPortalView.as_view(), name="billing-portal"),
    # Stripe → dj-stripe: /api/v1/stripe/webhook/<uuid> (see `manage.py stripe_webhook_endpoint`).
    path("stripe/", include("djstripe.urls", namespace="djstripe")),
]
